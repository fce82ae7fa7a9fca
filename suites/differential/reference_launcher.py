"""Starts AWS's Python client (awslambdaric) the way a managed runtime does, for the differential
suite: the client's own modules are imported first, from the interpreter and PYTHONPATH, and only
then does the function's folder (LAMBDA_TASK_ROOT) go first on sys.path, so a function module named
like a standard one shadows what the client has not imported, and cannot break the client itself.
(`python -m awslambdaric` in the function's folder, as in container images, puts the folder
first from the start.)

    python3 reference_launcher.py MODULE.FUNCTION     (PYTHONPATH: the awslambdaric build)
"""

import os
import sys

del sys.path[0]  # this file's folder
from awslambdaric import __main__ as reference  # noqa: E402

sys.path.insert(0, os.environ["LAMBDA_TASK_ROOT"])
reference.main(sys.argv)
