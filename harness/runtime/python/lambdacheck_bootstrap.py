"""Starts lambdacheck's bundled Python runtime client (lambdacheck_runtime.py, beside this file).

    python3 -S lambdacheck_bootstrap.py [--host-packages] [--exit-on-sigterm]
                                        [--pycache-prefix DIR] [--layer DIR]... MODULE.FUNCTION

This file runs as __main__, which Python compiles on every start, so it stays this small: the
client itself is an imported module, compiled once. The options are the harness's; the handler
sees sys.argv as [this file, MODULE.FUNCTION].
"""

import sys


def _start():
    args = sys.argv[1:]
    options = {"host_packages": False, "exit_on_sigterm": False, "layers": []}
    while len(args) > 1 and args[0].startswith("--"):
        flag = args.pop(0)
        if flag == "--host-packages":
            options["host_packages"] = True
        elif flag == "--exit-on-sigterm":
            options["exit_on_sigterm"] = True
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

    return lambdacheck_runtime.main(sys.argv, **options)


sys.exit(_start())
