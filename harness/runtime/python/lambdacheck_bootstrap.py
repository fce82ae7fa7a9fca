"""lambdacheck's Python runtime interface client.

Runs one Python handler behind the Lambda Runtime API the way AWS's Python runtime does
(spec/lambda-contract.md, section 2): load the handler, then loop on /next, call the handler with
the decoded event and a context object, and post the result or the error.

Usage: python3 lambdacheck_bootstrap.py MODULE.FUNCTION
       (AWS_LAMBDA_RUNTIME_API=host:port in the environment; the handler is the last argument)

Standard library only. simplejson is used when it is importable, as the reference client does;
without it, Decimal results are still written with their own digits.
"""

import decimal
import importlib
import json as _stdjson
import logging
import math
import os
import signal
import socket
import sys
import time
import traceback
import uuid

try:
    import simplejson as _simplejson
except ImportError:  # the standard library is enough
    _simplejson = None

_API_PREFIX = "/2018-06-01/runtime"
_THIS_FILE = os.path.abspath(__file__)
_NBSP = "\u00a0"
_UNHANDLED_WARNING = (
    "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function "
    "code. However, in rare cases, a Lambda runtime update can cause unexpected function "
    "behavior. For functions using managed runtimes, runtime updates can be triggered by a "
    "function change, or can be applied automatically. To determine if the runtime has been "
    "updated, check the runtime version in the INIT_START log entry. If this error correlates "
    "with a change in the runtime version, you may be able to mitigate this error by "
    "temporarily rolling back to the previous runtime version."
)

_current_request_id = None
_current_tenant_id = None


class Fault(Exception):
    """An error the runtime itself reports, with a Lambda error type (Runtime.*)."""

    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace


# --- JSON -----------------------------------------------------------------------------------


def _writes_utf8():
    """Python 3.12 and later runtimes write non-ASCII text as UTF-8 instead of \\u escapes."""
    env = os.environ.get("AWS_EXECUTION_ENV", "")
    prefix = "AWS_Lambda_python3."
    if not env.startswith(prefix):
        return False
    try:
        return int(env[len(prefix):]) >= 12
    except ValueError:
        return False


class _ResultEncoder:
    """json.dumps with Lambda's rules: Decimal keeps its digits, NaN stays NaN, tuples are lists."""

    def __init__(self):
        ascii_only = not _writes_utf8()
        if _simplejson is not None:
            self._encoder = _simplejson.JSONEncoder(
                use_decimal=False, ensure_ascii=ascii_only, default=self._default_simplejson
            )
        else:
            self._encoder = _stdjson.JSONEncoder(ensure_ascii=ascii_only, default=self._default)
        self._marker = "\x00lcdec-%s-" % uuid.uuid4().hex
        self._decimals = []

    def _default_simplejson(self, value):
        if isinstance(value, decimal.Decimal):
            return math.nan if value.is_nan() else _simplejson.RawJSON(str(value))
        raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")

    def _default(self, value):
        # The standard encoder cannot emit raw digits: stand a unique string in for each Decimal
        # and splice the digits in after encoding.
        if isinstance(value, decimal.Decimal):
            if value.is_nan():
                return math.nan
            self._decimals.append(str(value))
            return "%s%d\x00" % (self._marker, len(self._decimals) - 1)
        raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")

    def encode(self, value):
        self._decimals = []
        text = self._encoder.encode(value)
        for i, digits in enumerate(self._decimals):
            placeholder = _stdjson.dumps("%s%d\x00" % (self._marker, i))
            text = text.replace(placeholder, digits, 1)
        return text


_encoder = _ResultEncoder()


def to_json(value):
    return _encoder.encode(value)


def marshal_result(result):
    """Returns (body bytes, content type) for a handler's return value (spec 2.3)."""
    if isinstance(result, bytes):
        return result, "application/unknown"
    try:
        return to_json(result).encode("utf-8"), "application/json"
    except Exception as exc:
        raise Fault("Runtime.MarshalError", "Unable to marshal response: {}".format(exc))


def unmarshal_event(body, content_type):
    """Decodes the event (spec 2.2): JSON only for exactly application/json, else raw bytes."""
    if content_type != "application/json":
        return body
    try:
        if _simplejson is not None:
            return _simplejson.loads(body)
        return _stdjson.loads(body)
    except Exception as exc:
        raise Fault("Runtime.UnmarshalError", "Unable to unmarshal input: {}".format(exc))


# --- the context object ---------------------------------------------------------------------


class _Record:
    """An object whose attributes are named fields taken from a dict (None when absent)."""

    _fields = ()

    def __init__(self, values):
        for name in self._fields:
            setattr(self, name, values.get(name))

    def __repr__(self):
        inner = ",".join("%s=%s" % (n, getattr(self, n)) for n in self._fields)
        return "%s([%s])" % (self.__class__.__name__, inner)


class CognitoIdentity(_Record):
    _fields = ("cognito_identity_id", "cognito_identity_pool_id")


class Client(_Record):
    _fields = (
        "installation_id",
        "app_title",
        "app_version_name",
        "app_version_code",
        "app_package_name",
    )


class ClientContext(_Record):
    _fields = ("custom", "env", "client")


def _parse_header_json(text, name):
    try:
        return _stdjson.loads(text)
    except Exception as exc:
        raise Fault(
            "Runtime.LambdaContextUnmarshalError", "Unable to parse {} JSON: {}".format(name, exc)
        )


class LambdaContext:
    """The handler's second argument (spec 2.5)."""

    def __init__(self, invocation):
        env = os.environ
        self.aws_request_id = invocation.request_id
        self.invoked_function_arn = invocation.function_arn
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.tenant_id = invocation.tenant_id
        self._deadline_ms = invocation.deadline_ms

        self.client_context = None
        if invocation.client_context:
            parsed = _parse_header_json(invocation.client_context, "Client Context")
            if isinstance(parsed, dict):
                self.client_context = ClientContext(parsed)
                if isinstance(self.client_context.client, dict):
                    self.client_context.client = Client(self.client_context.client)

        self.identity = CognitoIdentity({})
        if invocation.cognito_identity:
            parsed = _parse_header_json(invocation.cognito_identity, "Cognito Identity")
            if isinstance(parsed, dict):
                self.identity.cognito_identity_id = parsed.get("cognitoIdentityId")
                self.identity.cognito_identity_pool_id = parsed.get("cognitoIdentityPoolId")

    def get_remaining_time_in_millis(self):
        left = self._deadline_ms - int(time.time() * 1000)
        return left if left > 0 else 0

    def log(self, message):
        sys.stdout.write(str(message))

    def __repr__(self):
        names = (
            "aws_request_id",
            "log_group_name",
            "log_stream_name",
            "function_name",
            "memory_limit_in_mb",
            "function_version",
            "invoked_function_arn",
            "client_context",
            "identity",
            "tenant_id",
        )
        return "LambdaContext([%s])" % ",".join("%s=%s" % (n, getattr(self, n)) for n in names)


# --- errors ---------------------------------------------------------------------------------


def make_error(message, error_type, stack_trace, request_id=None):
    """The error body of spec 2.4: four keys, in this order, never missing."""
    return {
        "errorMessage": message if message else "",
        "errorType": error_type if error_type else "",
        "requestId": request_id if request_id is not None else "",
        "stackTrace": stack_trace if stack_trace else [],
    }


def _user_frames(tb):
    """The traceback's frames from the first one that is not this file's."""
    frames = traceback.extract_tb(tb)
    for i, frame in enumerate(frames):
        if frame.filename != _THIS_FILE:
            return frames[i:]
    return frames


def error_from_exception(exc_info, request_id=None):
    etype, value, tb = exc_info
    frames = _user_frames(tb)
    body = make_error(str(value), etype.__name__, traceback.format_list(frames), request_id)
    return body, xray_cause(etype.__name__, str(value), frames)


def xray_cause(error_type, message, frames):
    """The Lambda-Runtime-Function-XRay-Error-Cause header's JSON."""
    stack = [{"label": f.name, "path": f.filename, "line": f.lineno} for f in frames]
    return {
        "working_directory": os.getcwd(),
        "exceptions": [{"message": message, "type": error_type, "stack": stack}],
        "paths": sorted({f.filename for f in frames}),
    }


def _log_error_text(error):
    description = "[ERROR]"
    if error["errorType"]:
        description += " " + error["errorType"]
    if error["errorMessage"]:
        if error["errorType"]:
            description += ":"
        description += " " + error["errorMessage"]
    lines = [description, "Traceback (most recent call last):"]
    for element in error["stackTrace"]:
        if element == "":
            lines.append("")
            continue
        for line in element.splitlines():
            stripped = line.lstrip(" ")
            lines.append(_NBSP * (len(line) - len(stripped)) + stripped)
    sys.stdout.write("\r".join(lines) + "\n")


def _log_error_json(error):
    record = {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()), "level": "ERROR"}
    record.update(error)
    sys.stdout.write(to_json(record) + "\n")


def log_error(error):
    if _log_format_is_json():
        _log_error_json(error)
    else:
        _log_error_text(error)


# --- logging --------------------------------------------------------------------------------


def _log_format_is_json():
    return os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON"


def _log_level():
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
    if level is None:
        return ""
    return {"TRACE": "DEBUG"}.get(level.upper(), level.upper())


class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = _current_request_id or ""
        record.tenant_id = _current_tenant_id
        return True


class _StdoutHandler(logging.Handler):
    def emit(self, record):
        try:
            sys.stdout.write(self.format(record))
        except Exception:
            self.handleError(record)


_RESERVED = {
    "name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module", "exc_info",
    "exc_text", "stack_info", "lineno", "funcName", "created", "msecs", "relativeCreated",
    "thread", "threadName", "processName", "process", "aws_request_id", "tenant_id", "taskName",
}


class JsonLogFormatter(logging.Formatter):
    """One JSON object per record: timestamp, level, message, logger, then requestId and extras."""

    def format(self, record):
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        out = {
            "timestamp": "%s.%03dZ" % (stamp, int(record.msecs)),
            "level": logging.getLevelName(min(50, max(0, record.levelno)) // 10 * 10),
            "message": record.getMessage(),
            "logger": record.name,
        }
        if record.exc_info:
            out["stackTrace"] = traceback.format_tb(record.exc_info[2])
            out["errorType"] = record.exc_info[0].__name__
            out["errorMessage"] = str(record.exc_info[1])
        out["requestId"] = getattr(record, "aws_request_id", None)
        if record.exc_info:
            out["location"] = "%s:%s:%d" % (record.pathname, record.funcName, record.lineno)
        if getattr(record, "tenant_id", None) is not None:
            out["tenantId"] = record.tenant_id
        for key, value in record.__dict__.items():
            if key not in _RESERVED and key not in out:
                out[key] = value
        out = {k: v for k, v in out.items() if v is not None}
        return _stdjson.dumps(out, ensure_ascii=False, default=str) + "\n"


def setup_logging():
    logging.Formatter.converter = time.gmtime
    handler = _StdoutHandler()
    if _log_format_is_json():
        handler.setFormatter(JsonLogFormatter())
    else:
        handler.setFormatter(
            logging.Formatter(
                "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
                "%Y-%m-%dT%H:%M:%S",
            )
        )
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    level = _log_level()
    if level in logging._nameToLevel:
        root.setLevel(level)
    root.addHandler(handler)


class _Unbuffered:
    """Flushes after every write, so output reaches the log before the result is posted."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        written = self._stream.write(text)
        self._stream.flush()
        return written

    def writelines(self, lines):
        self._stream.writelines(lines)
        self._stream.flush()

    def __getattr__(self, name):
        return getattr(self._stream, name)


# --- the handler ----------------------------------------------------------------------------


def load_handler(name):
    """Imports MODULE and returns FUNCTION for a handler name MODULE.FUNCTION (spec 2.1)."""
    try:
        module_name, function_name = name.rsplit(".", 1)
    except ValueError as exc:
        raise Fault("Runtime.MalformedHandlerName", "Bad handler '{}': {}".format(name, exc))
    try:
        if module_name.split(".")[0] in sys.builtin_module_names:
            raise Fault(
                "Runtime.BuiltInModuleConflict",
                "Cannot use built-in module {} as a handler module".format(module_name),
            )
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        raise Fault(
            "Runtime.ImportModuleError",
            "Unable to import module '{}': {}".format(module_name, exc),
        )
    except SyntaxError as exc:
        trace = ['  File "%s" Line %s\n    %s' % (exc.filename, exc.lineno, exc.text)]
        raise Fault(
            "Runtime.UserCodeSyntaxError",
            "Syntax error in module '{}': {}".format(module_name, exc),
            trace,
        )
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise Fault(
            "Runtime.HandlerNotFound",
            "Handler '{}' missing on module '{}'".format(function_name, module_name),
        )


# --- the Runtime API ------------------------------------------------------------------------


class Invocation:
    def __init__(self, headers, body):
        header = headers.get
        self.request_id = header("lambda-runtime-aws-request-id")
        self.deadline_ms = int(header("lambda-runtime-deadline-ms"))
        self.function_arn = header("lambda-runtime-invoked-function-arn", "")
        self.trace_id = header("lambda-runtime-trace-id")
        self.client_context = header("lambda-runtime-client-context")
        self.cognito_identity = header("lambda-runtime-cognito-identity")
        self.tenant_id = header("lambda-runtime-aws-tenant-id")
        self.content_type = header("content-type")
        self.body = body


class _Connection:
    """A kept-alive HTTP/1.1 connection: one write per request, headers parsed by hand.

    http.client parses every response's headers with the email package, which costs more than
    the rest of an invocation; the Runtime API needs only the plain subset handled here.
    """

    def __init__(self, host, port):
        self._address = (host, port)
        self._host = "%s:%d" % (host, port)
        self._sock = None
        self._buffer = bytearray()

    def close(self):
        if self._sock is not None:
            self._sock.close()
        self._sock = None
        self._buffer = bytearray()

    def _connect(self):
        self._sock = socket.create_connection(self._address)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def request(self, method, path, body=b"", headers=None):
        lines = ["%s %s HTTP/1.1" % (method, path), "Host: " + self._host]
        for name, value in (headers or {}).items():
            lines.append("%s: %s" % (name, value))
        if method != "GET":
            lines.append("Content-Length: %d" % len(body))
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body
        fresh = self._sock is None
        if fresh:
            self._connect()
        try:
            self._sock.sendall(data)
            return self._read_response()
        except (ConnectionResetError, BrokenPipeError, _ClosedBeforeAnswer):
            self.close()
            if fresh:
                raise
            self._connect()  # a kept-alive connection the server had closed: once more
            self._sock.sendall(data)
            return self._read_response()

    def _fill(self):
        chunk = self._sock.recv(262144)
        if not chunk:
            raise _ClosedBeforeAnswer()
        self._buffer += chunk

    def _take(self, count):
        while len(self._buffer) < count:
            self._fill()
        data = bytes(self._buffer[:count])
        del self._buffer[:count]
        return data

    def _line(self):
        while True:
            end = self._buffer.find(b"\r\n")
            if end >= 0:
                return self._take(end + 2)[:-2]
            self._fill()

    def _head(self):
        """The status and headers of a response, read as one block."""
        while True:
            end = self._buffer.find(b"\r\n\r\n")
            if end >= 0:
                break
            self._fill()
        lines = bytes(self._buffer[:end]).decode("utf-8", "replace").split("\r\n")
        del self._buffer[: end + 4]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return int(lines[0].split(" ", 2)[1]), headers

    def _read_response(self):
        status, headers = self._head()
        while status == 100:
            status, headers = self._head()
        if "content-length" in headers:
            body = self._take(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = self._read_chunked()
        else:
            body = b""
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, body

    def _read_chunked(self):
        parts = []
        while True:
            size = int(self._line().split(b";", 1)[0], 16)
            if size == 0:
                while self._line():
                    pass
                return b"".join(parts)
            parts.append(self._take(size))
            self._take(2)


class _ClosedBeforeAnswer(Exception):
    pass


class RuntimeAPI:
    """The Runtime API at AWS_LAMBDA_RUNTIME_API."""

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self._connection = _Connection(host, int(port))

    def next(self):
        status, headers, body = self._connection.request("GET", _API_PREFIX + "/invocation/next")
        if status != 200:
            raise SystemExit(
                "lambdacheck runtime: /next answered %d: %s"
                % (status, body.decode("utf-8", "replace"))
            )
        return Invocation(headers, body)

    def _post(self, path, body, headers):
        status, _, detail = self._connection.request("POST", _API_PREFIX + path, body, headers)
        if status != 202:
            sys.stderr.write(
                "lambdacheck runtime: POST %s answered %d: %s\n"
                % (path, status, detail.decode("utf-8", "replace"))
            )

    def post_result(self, request_id, body, content_type):
        self._post("/invocation/%s/response" % request_id, body, {"Content-Type": content_type})

    def post_error(self, request_id, error, cause):
        headers = {
            "Content-Type": "application/json",
            "Lambda-Runtime-Function-Error-Type": error["errorType"],
        }
        if cause is not None:
            headers["Lambda-Runtime-Function-XRay-Error-Cause"] = _stdjson.dumps(cause)
        self._post("/invocation/%s/error" % request_id, to_json(error).encode("utf-8"), headers)

    def post_init_error(self, error):
        headers = {
            "Content-Type": "application/json",
            "Lambda-Runtime-Function-Error-Type": error["errorType"],
        }
        self._post("/init/error", to_json(error).encode("utf-8"), headers)


# --- the loop -------------------------------------------------------------------------------


def _set_trace_id(trace_id):
    if trace_id is not None:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)


def handle(api, handler, invocation):
    global _current_request_id, _current_tenant_id
    _current_request_id = invocation.request_id
    _current_tenant_id = invocation.tenant_id
    _set_trace_id(invocation.trace_id)
    error = cause = None
    try:
        context = LambdaContext(invocation)
        event = unmarshal_event(invocation.body, invocation.content_type)
        body, content_type = marshal_result(handler(event, context))
    except Fault as fault:
        error = make_error(fault.message, fault.error_type, fault.trace, invocation.request_id)
        cause = xray_cause("LambdaValidationError", fault.message, [])
    except Exception:
        error, cause = error_from_exception(sys.exc_info(), invocation.request_id)
    if error is not None:
        log_error(error)
        api.post_error(invocation.request_id, error, cause)
    else:
        api.post_result(invocation.request_id, body, content_type)


def _init(handler_name):
    """Loads the handler; returns (handler, None) or (None, error body)."""
    try:
        return load_handler(handler_name), None
    except Fault as fault:
        return None, make_error(fault.message, fault.error_type, fault.trace)
    except Exception:
        return None, error_from_exception(sys.exc_info())[0]


def main(argv):
    if len(argv) < 2:
        sys.stderr.write("usage: %s MODULE.FUNCTION\n" % argv[0])
        return 2
    address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not address:
        sys.stderr.write("lambdacheck runtime: AWS_LAMBDA_RUNTIME_API is not set\n")
        return 2
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    # The handler's folder comes first; this client's own folder must not shadow its modules.
    if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(_THIS_FILE):
        sys.path.pop(0)
    sys.path.insert(0, task_root)
    sys.stdout = _Unbuffered(sys.stdout)
    sys.stderr = _Unbuffered(sys.stderr)
    setup_logging()
    # A shutdown (SIGTERM) ends the process the normal way, so atexit handlers run: coverage.py
    # saves its data there.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))

    api = RuntimeAPI(address)
    handler, error = _init(argv[-1])
    if error is not None:
        logging.warning(_UNHANDLED_WARNING)
        log_error(error)
        api.post_init_error(error)
        return 1
    while True:
        handle(api, handler, api.next())


if __name__ == "__main__":
    sys.exit(main(sys.argv))
