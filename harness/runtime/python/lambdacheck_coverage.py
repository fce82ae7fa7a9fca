"""Runs coverage.py's `coverage run` under any Python 3, with coverage.py taken from a folder.

    python3.X lambdacheck_coverage.py FOLDER [coverage run options] SCRIPT ARGS...

FOLDER holds a `coverage` package (lambdacheck links the one some interpreter of the host has,
such as Debian's python3-coverage for /usr/bin/python3). Its C tracer is built for that
interpreter's version only; under another version it does not load and coverage.py measures with
its pure-Python tracer (sys.settrace) instead, so one installed coverage.py serves every Python
runtime. Only the `coverage` package comes from FOLDER: the measured function sees nothing more.
"""

import sys


def _run():
    folder = sys.argv.pop(1)
    sys.path.insert(0, folder)
    from coverage.cmdline import main

    return main(["run"] + sys.argv[1:])


sys.exit(_run())
