"""Runtime hooks for Lambda SnapStart, as Lambda's Python 3.12+ runtimes provide them.

lambdacheck's own module of the name and interface that AWS documents
(https://docs.aws.amazon.com/lambda/latest/dg/snapstart-runtime-hooks-python.html):

    from snapshot_restore_py import register_before_snapshot, register_after_restore

    @register_before_snapshot
    def close_connections(): ...

    register_after_restore(reseed, seed_source="os")

Each register_* call records (function, args, kwargs) and returns the function, so that both
serve as decorators. The runtime client reads the records with get_before_snapshot() and
get_after_restore(): it runs the first kind in the reverse order of registration before the
snapshot, the second in the order of registration in every restored environment. A function
that ships its own copy of AWS's package imports that one instead: the client reads whichever
module the function imported.
"""

__all__ = ["register_before_snapshot", "register_after_restore"]

_hooks = {"before_snapshot": [], "after_restore": []}


def _register(kind, func, args, kwargs):
    # not checked here: a hook that cannot be called fails when it runs, as with AWS's module
    _hooks[kind].append((func, args, kwargs))
    return func


def register_before_snapshot(func, *args, **kwargs):
    """Runs func(*args, **kwargs) before Lambda takes the snapshot; returns func."""
    return _register("before_snapshot", func, args, kwargs)


def register_after_restore(func, *args, **kwargs):
    """Runs func(*args, **kwargs) in each environment restored from the snapshot; returns func."""
    return _register("after_restore", func, args, kwargs)


def get_before_snapshot():
    """The before-snapshot hooks as (func, args, kwargs), in the order they were registered."""
    return _hooks["before_snapshot"]


def get_after_restore():
    """The after-restore hooks as (func, args, kwargs), in the order they were registered."""
    return _hooks["after_restore"]
