"""A template process: lambdacheck's fast start of fresh Python execution environments.

    python3 -S lambdacheck_bootstrap.py --template FD [the client's options] MODULE.FUNCTION

The harness starts this once per (interpreter, command, folder, environment) with exactly the
command line, working folder and environment a fresh environment of the function would get,
except the values that differ between environments (its Runtime API address, its log stream).
The bootstrap runs the client up to the point where it needs those (lambdacheck_runtime.prepare)
and calls serve(): from then on every request on FD makes one new environment, a copy of this
process that goes on from that point as a new process would.

The copy is made with clone(CLONE_PARENT), so that the new process is the harness's own child, as
a process it started itself is (it waits for it, kills its group, and it dies with the harness),
and CPython's own fork hooks run around it (PyOS_BeforeFork / PyOS_AfterFork_*: the random module
reseeds, threading learns the new thread id, logging renews its locks). The copy then takes what a
new process of the harness gets: its own process group, its output on stdout and stderr, death
with the harness, the reaping of what it orphans, exactly the environment given, and no trace of
this module (its modules are taken out of sys.modules, sys.orig_argv loses --template FD).

What remains different from a new process is in the README ("Fast fresh environments").

Protocol (FD is a Unix stream socket): once prepared, this writes b"R". Each request is a message
of 4 bytes (the length, big-endian) and that many bytes of environment ("NAME=value" entries each
ending in a NUL), carrying one descriptor (SCM_RIGHTS) for the new process's stdout and stderr,
the length and the descriptor in the first part. The answer is 4 bytes: the new process's pid, or
a negative errno when none was made. End of file on FD ends this process.
"""

import os
import socket
import struct
import sys

# clone(2)'s number where this is known to work, and its flags
_SYS_CLONE = {"x86_64": 56, "aarch64": 220}
_CLONE_PARENT = 0x00008000
_SIGCHLD = 17
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_SIGKILL = 9
_MAX_REQUEST = 1 << 20


def _libc():
    """The C library's functions, called with the GIL held (as os.fork holds it), or None where
    this interpreter has no ctypes or the machine no known clone number."""
    if os.uname().machine not in _SYS_CLONE:
        return None
    try:
        import ctypes
    except ImportError:
        return None
    libc = ctypes.PyDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    api = ctypes.pythonapi
    for name in ("PyOS_BeforeFork", "PyOS_AfterFork_Parent", "PyOS_AfterFork_Child"):
        getattr(api, name).restype = None
    return libc, api, ctypes


def _read_exactly(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _receive(conn):
    """One request: (environment entries, descriptor), or None at end of file."""
    fds = []
    msg, ancdata, _flags, _addr = conn.recvmsg(4, socket.CMSG_SPACE(4))
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.extend(struct.unpack("%di" % (len(data) // 4), data[: len(data) // 4 * 4]))
    if len(msg) < 4:
        more = _read_exactly(conn, 4 - len(msg)) if msg else None
        if more is None:
            for fd in fds:
                os.close(fd)
            return None
        msg += more
    (length,) = struct.unpack(">I", msg)
    body = _read_exactly(conn, length) if 0 < length <= _MAX_REQUEST else None
    if body is None or len(fds) != 1:
        for fd in fds:
            os.close(fd)
        return None
    entries = [e for e in body.split(b"\0") if e]
    return entries, fds[0]


def _clone(libc, api):
    api.PyOS_BeforeFork()
    pid = libc.syscall(_SYS_CLONE[os.uname().machine], _CLONE_PARENT | _SIGCHLD, 0, 0, 0, 0)
    if pid == 0:
        api.PyOS_AfterFork_Child()
    else:
        api.PyOS_AfterFork_Parent()
    return pid


def _set_by_startup():
    """What the interpreter's start-up added to the environment it was given (LC_CTYPE, when it
    coerces a C locale: PEP 538), as {name: value}: a new process has it too, after the rest."""
    try:
        with open("/proc/self/environ", "rb") as f:
            given = {e.partition(b"=")[0] for e in f.read().split(b"\0") if e}
    except OSError:
        return {}
    return {k: v for k, v in os.environb.items() if k not in given}


def _set_environment(entries, by_startup):
    """os.environ (and the C library's environ) become exactly entries, in their order, then
    what start-up adds to them."""
    for name in list(os.environ):
        del os.environ[name]
    names = set()
    for entry in entries:
        name, _, value = entry.partition(b"=")
        names.add(name)
        os.environ[os.fsdecode(name)] = os.fsdecode(value)
    for name, value in by_startup.items():
        if name not in names:
            os.environ[os.fsdecode(name)] = os.fsdecode(value)


def _update_environment(entries):
    """A snapshot's copy: os.environ gets the entries that differ from what this process was
    started with (its Runtime API address), and loses the names it was started with that they
    lack; what the function's init set or changed stays, as in an environment restored from a
    snapshot."""
    try:
        with open("/proc/self/environ", "rb") as f:
            given = dict(e.partition(b"=")[::2] for e in f.read().split(b"\0") if e)
    except OSError:
        given = {}
    new = dict(e.partition(b"=")[::2] for e in entries)
    for name in given:
        if name not in new:
            os.environ.pop(os.fsdecode(name), None)
    for name, value in new.items():
        if given.get(name) != value:
            os.environ[os.fsdecode(name)] = os.fsdecode(value)


def _become_environment(conn, output_fd, entries, harness, own_modules, libc, by_startup,
                        keep_environment):
    """In the new process: what the harness gives a process it starts, then no trace of this."""
    threading = sys.modules.get("threading")
    if threading is not None and hasattr(threading.main_thread(), "_set_native_id"):
        threading.main_thread()._set_native_id()  # os.fork leaves the template's (3.11)
    conn.close()
    libc.prctl(_PR_SET_PDEATHSIG, _SIGKILL, 0, 0, 0)
    if os.getppid() != harness:
        os._exit(127)  # the harness is already gone
    os.setpgid(0, 0)
    libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    os.close(output_fd)
    if keep_environment:
        _update_environment(entries)
    else:
        _set_environment(entries, by_startup)
    orig = getattr(sys, "orig_argv", None)
    if orig is not None and "--template" in orig:
        at = orig.index("--template")
        del orig[at : at + 2]
    for name in [m for m in sys.modules if m not in own_modules]:
        del sys.modules[name]


def serve(fd, modules_before, keep_environment=False):
    """Makes environments until end of file on fd; returns only in a new environment.
    modules_before: sys.modules' names before this module was imported (its own are dropped).
    keep_environment: a snapshot's copies keep what init did to os.environ
    (_update_environment); else a copy's environment is exactly the one given."""
    conn = socket.socket(fileno=fd)
    harness = os.getppid()
    found = _libc()
    if found is None:
        conn.sendall(b"N")  # no fast start here: the harness starts processes itself
        os._exit(0)
    libc, api, _ctypes = found
    by_startup = _set_by_startup()
    conn.sendall(b"R")
    while True:
        request = _receive(conn)
        if request is None:
            os._exit(0)
        entries, output_fd = request
        pid = _clone(libc, api)
        if pid == 0:
            _become_environment(conn, output_fd, entries, harness, modules_before, libc,
                                by_startup, keep_environment)
            return
        os.close(output_fd)
        error = -_ctypes.get_errno() if pid < 0 else pid
        conn.sendall(struct.pack(">i", error if error != 0 else -1))
