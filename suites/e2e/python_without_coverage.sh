#!/bin/sh
# A Python interpreter that cannot import coverage, whatever is installed: the test of
# 'check --coverage' on a machine without coverage.py.
exec /usr/bin/python3 -S -I -c "import sys; sys.modules['coverage'] = None; exec(sys.argv[1])" "$2"
