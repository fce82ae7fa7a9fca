"""Handlers that look at the process the runtime client made."""

import os
import signal
import sys
import threading

calls = 0


def argv(event, context):
    return sys.argv[1:]


def modules_loaded(event, context):
    # Modules a function's own module could be named after: which are loaded before it?
    names = ["uuid", "socket", "signal", "select", "selectors", "errno", "array", "platform",
             "stringprep", "unicodedata", "http", "email", "ssl", "queue", "concurrent", "json",
             "logging", "decimal", "traceback", "importlib", "time", "math", "enum", "re",
             "threading", "numbers", "string", "tokenize", "linecache", "simplejson",
             "datetime", "base64", "hashlib", "urllib", "random", "tempfile", "zipfile",
             "subprocess", "shutil", "pathlib", "typing", "dataclasses", "copy", "struct"]
    return {name: name in sys.modules for name in names}


def sigterm_action(event, context):
    return signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def sigint_action(event, context):
    return signal.getsignal(signal.SIGINT) == signal.default_int_handler


def working_directory(event, context):
    return os.getcwd() == os.environ["LAMBDA_TASK_ROOT"]


def first_on_path(event, context):
    return sys.path[0] == os.environ["LAMBDA_TASK_ROOT"]


def threads(event, context):
    return threading.active_count()


def site_builtins(event, context):
    import builtins

    return [hasattr(builtins, name) for name in ("exit", "quit", "help", "copyright")]


def counter(event, context):
    global calls
    calls += 1
    return calls


def environment_keys(event, context):
    return sorted(k for k in os.environ if k not in ("PYTHONPATH", "LC_CTYPE"))


def change_execution_env_then_fail(event, context):
    os.environ["AWS_EXECUTION_ENV"] = "AWS_Lambda_python3.12"
    raise ValueError("caf\u00e9")


def stdin_is(event, context):
    return sys.stdin is None or sys.stdin.closed or True


def exit_builtin(event, context):
    exit(5)


def default_encoding(event, context):
    return [sys.getdefaultencoding(), sys.stdout.encoding, sys.getfilesystemencoding()]
