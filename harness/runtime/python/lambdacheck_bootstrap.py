"""Starts lambdacheck's bundled Python runtime client (lambdacheck_runtime.py, beside this file).

    python3 -S lambdacheck_bootstrap.py [--template FD [--snapshot]] [--host-packages]
                                        [--exit-on-sigterm] [--pycache-prefix DIR]
                                        [--layer DIR]... MODULE.FUNCTION

This file runs as __main__, which Python compiles on every start, so it stays this small: the
client itself is an imported module, compiled once. The options are the harness's; the handler
sees sys.argv as [this file, MODULE.FUNCTION]. --template FD: this process is a template that
makes fresh environments as copies of itself (lambdacheck_template.py); with --snapshot, of
itself once initialised (a SnapStart function's snapshot: its copies are restored from it).
"""

import sys


def _start():
    args = sys.argv[1:]
    options = {"host_packages": False, "exit_on_sigterm": False, "layers": []}
    template = None
    snapshot = False
    while len(args) > 1 and args[0].startswith("--"):
        flag = args.pop(0)
        if flag == "--host-packages":
            options["host_packages"] = True
        elif flag == "--exit-on-sigterm":
            options["exit_on_sigterm"] = True
        elif flag == "--template":
            template = int(args.pop(0))
        elif flag == "--snapshot":
            snapshot = True
        elif flag == "--layer":
            options["layers"].append(args.pop(0))
        elif flag == "--pycache-prefix":
            # Compiled modules (this client's and the handler's) are cached here, not beside
            # the sources: nothing is written into the function's code folder.
            sys.pycache_prefix = args.pop(0)
        else:
            sys.stderr.write("lambdacheck runtime: unknown option %s\n" % flag)
            return 2
    if sys.pycache_prefix is None:
        sys.dont_write_bytecode = True
    sys.argv[1:] = args
    import lambdacheck_runtime

    prepared = template is not None and _serve_as_template(template, lambdacheck_runtime, options,
                                                           snapshot)
    return lambdacheck_runtime.main(sys.argv, prepared=prepared, **options)


def _serve_as_template(fd, runtime, options, snapshot):
    """Prepares the client (and, for a snapshot, starts it: the handler loaded, the
    before-snapshot hooks run), then makes environments; returns only in a new one: True, or the
    started client of a snapshot."""
    runtime.prepare(options["host_packages"], options["exit_on_sigterm"])
    started = runtime.snapshot(sys.argv, options["layers"]) if snapshot else True
    before = list(sys.modules)
    # by its path: the client's folder is off sys.path once prepared
    import importlib.util
    import os

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lambdacheck_template.py")
    spec = importlib.util.spec_from_file_location("lambdacheck_template", path)
    template = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(template)
    template.serve(fd, before, keep_environment=snapshot)
    return started


sys.exit(_start())
