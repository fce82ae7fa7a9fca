"""lambdacheck's Python runtime interface client.

Runs one Python handler behind the Lambda Runtime API the way Lambda's managed Python runtimes do
(their client is AWS's awslambdaric 4.x; spec/lambda-contract.md, section 2): load the handler,
then loop on /next, call the handler with the decoded event and a context object, post the result
or the error. What a handler or its caller can observe (payloads, error bodies, log lines, the
context object, the logging set-up, the modules loaded before the handler) is meant to be the
same; suites/differential compares the two.

Started by lambdacheck_bootstrap.py. Standard library only; simplejson is used when it can be
imported, as AWS's client does, and without it results are encoded the way simplejson would.

Before the handler this imports only modules AWS's client imports too (a module of the
function's with the same name would otherwise be shadowed), plus _socket. Some of those it loads
only on first use (see defer_imports).
"""

import importlib
import importlib.util
import json
import math
import os
import re
import sys
import threading  # noqa: F401  (loaded eagerly: it learns the main thread when it is loaded)
import time

import _socket

_API = "/2018-06-01/runtime"
_THIS_FILE = __file__
_NBSP = "\u00a0"
_XRAY_CAUSE_LIMIT = 1024 * 1024  # a cause this long or longer is sent empty
_UTF8_RUNTIMES = {
    "AWS_Lambda_python3.12",
    "AWS_Lambda_python3.13",
    "AWS_Lambda_python3.14",
    "AWS_Lambda_python3.15",
}
# What Lambda's Python runtime provides besides the standard library, taken from the host's
# site-packages in isolated mode.
_RUNTIME_PACKAGES = (
    "boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six", "simplejson",
)
_UNHANDLED_WARNING = (
    "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function "
    "code. However, in rare cases, a Lambda runtime update can cause unexpected function "
    "behavior. For functions using managed runtimes, runtime updates can be triggered by a "
    "function change, or can be applied automatically. To determine if the runtime has been "
    "updated, check the runtime version in the INIT_START log entry. If this error correlates "
    "with a change in the runtime version, you may be able to mitigate this error by "
    "temporarily rolling back to the previous runtime version. For more information, see "
    "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html\r"
)

_request_id = None  # the invocation in progress, for log records
_tenant_id = None


class Fault(Exception):
    """An error the runtime itself reports, with a Lambda error type (Runtime.*)."""

    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace


# --- modules loaded on first use --------------------------------------------------------------

# Standard modules AWS's client has loaded before the handler (logging with what it imports, and
# decimal with what it imports) that this client needs only once something logs, fails or encodes
# a Decimal. They are found before the function's folder goes first on sys.path and placed in
# sys.modules unexecuted: a function's module of the same name is shadowed as on Lambda, and a
# cold start that never logs does not pay for logging.
DEFERRED = ("string", "token", "tokenize", "linecache", "textwrap", "traceback", "weakref",
            "numbers", "contextvars", "decimal", "logging")


class _ThenConfigure:
    """The loader of a deferred module: runs the module, then what must follow its loading."""

    def __init__(self, loader, then):
        self.loader = loader
        self.then = then

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        module.__loader__ = module.__spec__.loader = self.loader  # as if loaded plainly
        if self.then is not None:
            self.then(module)


def defer_imports(names, then=None):
    """Places each of names not yet loaded in sys.modules, to be executed on its first attribute
    access; then: {name: function(module)} run right after that module is executed."""
    then = then or {}
    for name in names:
        if name in sys.modules:
            continue
        spec = importlib.util.find_spec(name)
        if spec is None or not hasattr(spec.loader, "exec_module"):
            continue  # not there: the import statement that wants it says so
        spec.loader = importlib.util.LazyLoader(_ThenConfigure(spec.loader, then.get(name)))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)


_START_TIME = time.time()
_logging_loaded = "logging" in sys.modules
defer_imports(DEFERRED, {"logging": lambda module: _on_logging_loaded(module)})

# Not import statements: those would load the modules now (they look at __spec__).
decimal = sys.modules.get("decimal") or importlib.import_module("decimal")
logging = sys.modules.get("logging") or importlib.import_module("logging")
traceback = sys.modules.get("traceback") or importlib.import_module("traceback")


# --- the module search path -------------------------------------------------------------------


class RuntimeProvidedPackages:
    """Finds, among the host's installed packages, only those Lambda's runtime itself ships, and
    what those packages import in turn (their dependencies as this host installed them).

    Isolated mode: a function sees the standard library, its code folder and these; a dependency
    missing from its deployment package is missing here too.
    """

    def __init__(self, names, folders):
        self.names = frozenset(names)
        self.folders = list(folders)

    def find_spec(self, name, path=None, target=None):
        if path is not None:
            return None  # a submodule: its package's own path finds it
        if name not in self.names and not self._imported_by_host_package():
            return None
        from importlib.machinery import PathFinder

        return PathFinder.find_spec(name, self.folders)

    def _imported_by_host_package(self):
        """True when the import statement being run is in a host package's code."""
        frame = sys._getframe(2)
        while frame is not None:
            filename = frame.f_code.co_filename
            if not (filename.startswith("<frozen importlib") or filename == _THIS_FILE
                    or filename.endswith(os.sep + os.path.join("importlib", "__init__.py"))):
                return _inside(filename, self.folders)
            frame = frame.f_back
        return False

    def invalidate_caches(self):
        pass


def _inside(path, folders):
    real = os.path.realpath(path)
    return any(real == f or real.startswith(f + os.sep) for f in folders)


def set_search_path(host_packages):
    """What Python would search, without this client's own folder. Without host_packages, the
    host's site-packages are replaced by RuntimeProvidedPackages (and by coverage.py when it
    measures this process). The function's folder goes first later (put_task_root_first)."""
    import site

    own = os.path.realpath(os.path.dirname(_THIS_FILE))
    if host_packages and sys.flags.no_site:
        site.main()
    if sys.flags.no_site:
        # What site adds besides paths: exit(), quit(), help() and friends.
        site.setquit()
        site.setcopyright()
        site.sethelper()
    folders = []
    if not host_packages:
        folders = [f for f in site.getsitepackages() + [site.getusersitepackages()] if f]
        folders = [os.path.realpath(f) for f in folders]
    sys.path[:] = [p for p in sys.path if p and os.path.realpath(p) != own
                   and not _inside(p, folders)]
    if sys.version_info >= (3, 12):
        # what Lambda's Python 3.12+ runtimes provide besides the standard library and boto3:
        # snapshot_restore_py (SnapStart's runtime hooks), last, as in their site-packages
        sys.path.append(os.path.join(own, "provided"))
    if folders:
        names = list(_RUNTIME_PACKAGES)
        if "coverage" in sys.modules:
            names.append("coverage")
        sys.meta_path.append(RuntimeProvidedPackages(names, folders))


# --- JSON ---------------------------------------------------------------------------------------


def put_task_root_first(task_root, layers=()):
    """The function's folder first on sys.path, as on Lambda, once the client has imported what
    it needs: a module of the function's named like one of those cannot break the client. Then
    its layers, as Lambda's /opt/python/lib/python3.X/site-packages and /opt/python, the last
    layer first (its files would have overwritten the others')."""
    version = "python%d.%d" % sys.version_info[:2]
    last_first = list(reversed(layers))
    opt = [os.path.join(layer, "python", "lib", version, "site-packages") for layer in last_first]
    opt += [os.path.join(layer, "python") for layer in last_first]
    front = [task_root] + opt
    sys.path[:] = front + [p for p in sys.path if p not in front]


def _ascii_only():
    return os.environ.get("AWS_EXECUTION_ENV") not in _UTF8_RUNTIMES


def _call_asdict(value):
    """(True, value._asdict()) when value has a callable _asdict that accepts no arguments."""
    method = getattr(value, "_asdict", None)
    if callable(method):
        try:
            return True, method()
        except TypeError:
            pass
    return False, None


def _asdict_result(result):
    if not isinstance(result, dict):
        raise TypeError("_asdict() must return a dict, not %s" % type(result).__name__)
    return result


_PLAIN = frozenset((str, int, float, bool, type(None)))
_CONTAINERS = (list, tuple, dict)


def _differs_from_simplejson(value):
    """True when the standard encoder would treat something in value otherwise than simplejson:
    a list, tuple or dict with an _asdict method (a namedtuple), or a bytes key."""
    pending, seen = [value], set()
    while pending:
        item = pending.pop()
        if not isinstance(item, _CONTAINERS) or id(item) in seen:
            continue
        seen.add(id(item))
        if type(item) not in _CONTAINERS and callable(getattr(item, "_asdict", None)):
            return True
        if isinstance(item, dict):
            if bytes in set(map(type, item)):
                return True
            item = item.values()
        if not _PLAIN.issuperset(map(type, item)):
            pending.extend(v for v in item if isinstance(v, _CONTAINERS))
    return False


def _as_simplejson_sees_it(value, active):
    """A copy of value in which what simplejson encodes differently is already converted."""
    if type(value) in _PLAIN or not isinstance(value, _CONTAINERS) or id(value) in active:
        return value
    active.add(id(value))
    try:
        if type(value) not in _CONTAINERS:
            found, result = _call_asdict(value)
            if found:
                return _as_simplejson_sees_it(_asdict_result(result), active)
        if isinstance(value, dict):
            return {
                (k.decode("utf-8") if isinstance(k, bytes) else k): _as_simplejson_sees_it(v, active)
                for k, v in value.items()
            }
        return [_as_simplejson_sees_it(v, active) for v in value]
    finally:
        active.discard(id(value))


class StandardEncoder:
    """The standard library's encoder made to write what simplejson (as AWS's client configures
    it) writes: Decimals as their own digits, bytes as UTF-8 text, objects with _asdict() (such
    as namedtuples) as objects, NaN and Infinity as such."""

    def __init__(self, ascii_only):
        self._encoder = json.JSONEncoder(ensure_ascii=ascii_only, default=self._default)
        # A Decimal is written as a marker string, then the marker is replaced by its digits.
        marker = "\x00lambdacheck-decimal-%s-" % os.urandom(8).hex()
        self._marker = marker
        self._markers = re.compile(re.escape(self._encoder.encode(marker)[:-1]) + r'(\d+)"')
        self._digits = []

    def _default(self, value):
        if isinstance(value, bytes):
            return value.decode("utf-8")
        found, result = _call_asdict(value)
        if found:
            return _as_simplejson_sees_it(_asdict_result(result), set())
        if isinstance(value, decimal.Decimal):
            if value.is_nan():
                return math.nan
            self._digits.append(str(value))
            return "%s%d" % (self._marker, len(self._digits) - 1)
        raise TypeError("Object of type %s is not JSON serializable" % value.__class__.__name__)

    def encode(self, value):
        if _differs_from_simplejson(value):
            value = _as_simplejson_sees_it(value, set())
        self._digits = []
        text = self._encoder.encode(value)
        if self._digits:
            digits = self._digits
            text = self._markers.sub(lambda m: digits[int(m.group(1))], text)
        return text


def _simplejson_encoder(simplejson, ascii_only):
    class Encoder(simplejson.JSONEncoder):
        def default(self, value):
            if isinstance(value, decimal.Decimal):
                return math.nan if value.is_nan() else simplejson.RawJSON(str(value))
            return super().default(value)

    return Encoder(use_decimal=False, ensure_ascii=ascii_only, allow_nan=True)


_simplejson = None
_encoder = None


def use_json_library():
    """Settles the JSON library: simplejson when it can be imported, as AWS's client uses it."""
    global _simplejson, _encoder
    try:
        import simplejson as _simplejson
    except ImportError:
        _simplejson = None
    _encoder = make_encoder()


def make_encoder():
    if _simplejson is not None:
        return _simplejson_encoder(_simplejson, _ascii_only())
    return StandardEncoder(_ascii_only())


def to_json(value):
    return make_encoder().encode(value)


def marshal_result(result):
    """(body, content type) for a handler's return value (spec 2.3); body is str or bytes."""
    if isinstance(result, bytes):
        return result, "application/unknown"
    try:
        return _encoder.encode(result), "application/json"
    except Exception as exc:
        raise Fault("Runtime.MarshalError", "Unable to marshal response: {}".format(exc))


def unmarshal_event(body, content_type):
    """The event (spec 2.2): JSON only for exactly application/json, else the raw bytes."""
    if content_type != "application/json":
        return body
    try:
        return (_simplejson or json).loads(body)
    except Exception as exc:
        raise Fault("Runtime.UnmarshalError", "Unable to unmarshal input: {}".format(exc))


# --- the context object -----------------------------------------------------------------------


def _fields_repr(obj, names):
    return "%s([%s])" % (
        type(obj).__name__, ",".join("%s=%s" % (n, getattr(obj, n)) for n in names)
    )


class CognitoIdentity:
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]

    def __repr__(self):
        return _fields_repr(self, self.__slots__)


class Client:
    __slots__ = [
        "installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name",
    ]

    def __repr__(self):
        return _fields_repr(self, self.__slots__)


class ClientContext:
    __slots__ = ["custom", "env", "client"]

    def __repr__(self):
        return _fields_repr(self, self.__slots__)


def _from_fields(cls, values):
    """An instance of cls with each slot taken from the dict values (None when absent)."""
    if values is None:
        return None
    obj = cls()
    for name in cls.__slots__:
        setattr(obj, name, values.get(name, None))
    return obj


def _parse_header_json(text, name):
    try:
        return json.loads(text)
    except Exception as exc:
        raise Fault(
            "Runtime.LambdaContextUnmarshalError", "Unable to parse {} JSON: {}".format(name, exc)
        )


_CONTEXT_FIELDS = (
    "aws_request_id", "log_group_name", "log_stream_name", "function_name", "memory_limit_in_mb",
    "function_version", "invoked_function_arn", "client_context", "identity", "tenant_id",
)


class LambdaContext:
    """The handler's second argument (spec 2.5)."""

    def __init__(self, request_id, client_context, cognito_identity, deadline_ms,
                 invoked_function_arn=None, tenant_id=None):
        env = os.environ
        self.aws_request_id = request_id
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.tenant_id = tenant_id
        self.client_context = _from_fields(ClientContext, client_context)
        if self.client_context is not None:
            self.client_context.client = _from_fields(Client, self.client_context.client)
        self.identity = _from_fields(CognitoIdentity, {})
        if cognito_identity is not None:
            self.identity.cognito_identity_id = cognito_identity.get("cognitoIdentityId")
            self.identity.cognito_identity_pool_id = cognito_identity.get("cognitoIdentityPoolId")
        self._epoch_deadline_time_in_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        left = self._epoch_deadline_time_in_ms - int(time.time() * 1000)
        return left if left > 0 else 0

    def log(self, msg):
        for handler in logging.getLogger().handlers:
            if hasattr(handler, "log_sink"):
                handler.log_sink.log(str(msg))
                return
        sys.stdout.write(str(msg))

    def __repr__(self):
        return _fields_repr(self, _CONTEXT_FIELDS)


def make_context(invocation):
    client_context = cognito_identity = None
    if invocation.client_context:
        client_context = _parse_header_json(invocation.client_context, "Client Context")
    if invocation.cognito_identity:
        cognito_identity = _parse_header_json(invocation.cognito_identity, "Cognito Identity")
    return LambdaContext(invocation.request_id, client_context, cognito_identity,
                         invocation.deadline_ms, invocation.function_arn, invocation.tenant_id)


# --- errors -------------------------------------------------------------------------------------


def make_error(message, error_type, stack_trace, request_id=None):
    """The error body of spec 2.4: four keys, in this order, never missing."""
    return {
        "errorMessage": message if message else "",
        "errorType": error_type if error_type else "",
        "requestId": request_id if request_id is not None else "",
        "stackTrace": stack_trace if stack_trace else [],
    }


def user_frames(tb):
    """The traceback as (file, line, function, text) tuples from the first frame that is not
    this client's. Tuples, not FrameSummary objects: formatted, they carry no column markers."""
    frames = [(f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(tb)]
    for i, frame in enumerate(frames):
        if frame[0] != _THIS_FILE:
            return frames[i:]
    return frames


def xray_cause(error_type, message, frames):
    """The Lambda-Runtime-Function-XRay-Error-Cause header's content."""
    return {
        "working_directory": os.getcwd(),
        "exceptions": [{
            "message": message,
            "type": error_type,
            "stack": [{"label": name, "path": path, "line": line} for path, line, name, _ in frames],
        }],
        "paths": list({path for path, _, _, _ in frames}),
    }


def error_from_exception(exc_info, request_id=None):
    """(error body, X-Ray cause) for an exception the handler raised."""
    etype, value, tb = exc_info
    frames = user_frames(tb)
    body = make_error(str(value), etype.__name__, traceback.format_list(frames), request_id)
    return body, xray_cause(etype.__name__, str(value), frames)


# --- logging ------------------------------------------------------------------------------------

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# LogRecord attributes that are not a record's extras.
_RECORD_ATTRIBUTES = frozenset((
    "name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module", "exc_info",
    "exc_text", "stack_info", "lineno", "funcName", "created", "msecs", "relativeCreated",
    "thread", "threadName", "processName", "process", "aws_request_id", "tenant_id",
    "_frame_type",
))


def log_format_is_json():
    value = os.environ.get("AWS_LAMBDA_LOG_FORMAT")
    return bool(value) and value.upper() == "JSON"


def log_level_name(value):
    """AWS_LAMBDA_LOG_LEVEL as Lambda's client reads it: only an exact TRACE means DEBUG."""
    if value is None:
        return ""
    return (value if value != "TRACE" else "DEBUG").upper()


def _bucket(levelno):
    return min(50, max(0, levelno)) // 10 * 10


class StandardLogSink:
    """Where log records and error reports go: the process's standard output."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, exc_tb):
        pass

    def log(self, msg, frame_type=None):
        sys.stdout.write(msg)

    def log_error(self, message_lines):
        sys.stdout.write("\r".join(message_lines) + "\n")


def _define_logging_classes():
    """The root logger's handler, filter and JSON formatter, made once logging is loaded."""
    global LambdaLoggerHandler, LambdaLoggerHandlerWithFrameType, LambdaLoggerFilter, JsonFormatter

    class LambdaLoggerHandler(logging.Handler):
        """The root logger's handler. Errors while formatting reach the caller of the log call."""

        def __init__(self, log_sink):
            logging.Handler.__init__(self)
            self.log_sink = log_sink

        def emit(self, record):
            self.log_sink.log(self.format(record))

    class LambdaLoggerHandlerWithFrameType(logging.Handler):
        """The handler used when a log format or level is configured (frames carry the level)."""

        def __init__(self, log_sink):
            super().__init__()
            self.log_sink = log_sink

        def emit(self, record):
            self.log_sink.log(self.format(record), frame_type=getattr(record, "_frame_type", None))

    class LambdaLoggerFilter(logging.Filter):
        """Stamps each record with the invocation's request id (and tenant id)."""

        def filter(self, record):
            record.aws_request_id = _request_id or ""
            record.tenant_id = _tenant_id
            return True

    class JsonFormatter(logging.Formatter):
        """One JSON object per record: timestamp, level, message, logger, then whatever applies of
        stackTrace, errorType, errorMessage, requestId, location, tenantId, and the extras."""

        def __init__(self):
            super().__init__(datefmt=_TIME_FORMAT)
            self._encode = json.JSONEncoder(ensure_ascii=False).encode

        def format(self, record):
            record.levelno = _bucket(record.levelno)
            record.levelname = logging.getLevelName(record.levelno)
            exc = record.exc_info
            out = {
                "timestamp": self.formatTime(record, self.datefmt),
                "level": record.levelname,
                "message": record.getMessage(),
                "logger": record.name,
                "stackTrace": traceback.format_tb(exc[2]) if exc else None,
                "errorType": exc[0].__name__ if exc else None,
                "errorMessage": str(exc[1]) if exc else None,
                "requestId": getattr(record, "aws_request_id", None),
                "location": "%s:%s:%s" % (record.pathname, record.funcName, record.lineno)
                if exc else None,
            }
            if getattr(record, "tenant_id", None) is not None:
                out["tenantId"] = record.tenant_id
            for key, value in record.__dict__.items():
                if key not in _RECORD_ATTRIBUTES and key not in out:
                    out[key] = value
            return self._encode({k: v for k, v in out.items() if v is not None}) + "\n"

    for cls in (LambdaLoggerHandler, LambdaLoggerHandlerWithFrameType, LambdaLoggerFilter,
                JsonFormatter):
        cls.__qualname__ = cls.__name__  # named as if defined at module level


_TEXT_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n"


_logging_config = None  # (json_format, level, log_sink), once main has read them


def setup_logging(json_format, level, log_sink):
    """Configures the root logger as AWS's client does: now when logging is loaded, else as soon
    as something loads it (see DEFERRED)."""
    global _logging_config
    _logging_config = (json_format, level, log_sink)
    if _logging_loaded:
        _configure_logging(*_logging_config)


def _on_logging_loaded(module):
    global _logging_loaded
    _logging_loaded = True
    module._startTime = _START_TIME  # relativeCreated counts from the start, as on Lambda
    if _logging_config is not None:
        _configure_logging(*_logging_config)


def _configure_logging(json_format, level, log_sink):
    _define_logging_classes()
    logging.Formatter.converter = time.gmtime
    if json_format or level:
        handler = LambdaLoggerHandlerWithFrameType(log_sink)
    else:
        handler = LambdaLoggerHandler(log_sink)
    if json_format:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(_TEXT_FORMAT, "%Y-%m-%dT%H:%M:%S"))
    root = logging.getLogger()
    if level in logging._nameToLevel:
        root.setLevel(level)
    handler.addFilter(LambdaLoggerFilter())
    root.addHandler(handler)


def _replace_indent(line):
    stripped = line.lstrip(" ")
    return _NBSP * (len(line) - len(stripped)) + stripped


def log_error_text(error, log_sink):
    """The [ERROR] report of an unhandled error, one carriage return between lines."""
    description = "[ERROR]"
    if error.get("errorType"):
        description += " " + error["errorType"]
    if error.get("errorMessage"):
        if error.get("errorType"):
            description += ":"
        description += " " + error["errorMessage"]
    lines = [description]
    if error.get("stackTrace") is not None:
        lines.append("Traceback (most recent call last):")
        for element in error["stackTrace"]:
            if element == "":
                lines.append("")
            else:
                lines.extend(_replace_indent(line) for line in element.splitlines())
    log_sink.log_error(lines)


def log_error_json(error, log_sink):
    stamp = time.strftime(_TIME_FORMAT, logging.Formatter.converter(time.time()))
    record = {"timestamp": stamp, "log_level": "ERROR"}
    record.update(error)
    log_sink.log_error([to_json(record)])


class Unbuffered:
    """Flushes after every write, so output reaches the log before the result is posted."""

    def __init__(self, stream):
        self.stream = stream

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, exc_tb):
        pass

    def __getattr__(self, name):
        return getattr(self.stream, name)

    def write(self, msg):
        self.stream.write(msg)
        self.stream.flush()

    def writelines(self, msgs):
        self.stream.writelines(msgs)
        self.stream.flush()


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


def _findable(name):
    """True when this interpreter can import the package name (a submodule may still be
    missing)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # ValueError: None in sys.modules, or no __spec__
        return False


# What a layer holds for a package that is one module, not a folder.
_LAYOUT = {"six": "six.py"}


def note_missing_runtime_package(exc):
    """When exc is the import of a package Lambda's runtime ships (boto3, botocore, ...) failing
    because this interpreter has none, says so in the log, and how to supply it: on Lambda the
    import would have worked, so the error alone misleads."""
    name = getattr(exc, "name", None) if isinstance(exc, ImportError) else None
    top = (name or "").split(".")[0]
    if top not in _RUNTIME_PACKAGES or _findable(top):
        return
    version = "%d.%d" % sys.version_info[:2]
    sys.stdout.write(
        "lambdacheck: note: %s is part of Lambda's python%s runtime, but this interpreter (%s) "
        "has none. Supply it: a layer folder holding python/%s (\"layers\" in the manifest), or "
        "a Python %s that has it in its site-packages (a venv with %s installed; Debian's "
        "python3-%s serves /usr/bin/python3 only), given with --python or the function's "
        "\"python\"\n" % (top, version, sys.executable, _LAYOUT.get(top, top), version, top, top))


# --- the Runtime API ----------------------------------------------------------------------------


def _runtime_log_error(message):
    """A line as the client's native part logs its own errors, straight to the output."""
    sys.stdout.write("[ERROR] [%d] LAMBDA_RUNTIME %s\n" % (time.time_ns() // 1000000, message))


class Invocation:
    """One /next answer."""

    __slots__ = ("request_id", "deadline_ms", "function_arn", "trace_id", "client_context",
                 "cognito_identity", "tenant_id", "content_type", "body")

    def __init__(self, headers, body):
        def present(name):
            return headers.get(name) or None

        self.request_id = headers["lambda-runtime-aws-request-id"]
        self.deadline_ms = _leading_digits(headers.get("lambda-runtime-deadline-ms", ""))
        self.function_arn = headers.get("lambda-runtime-invoked-function-arn", "")
        self.trace_id = present("lambda-runtime-trace-id")
        self.client_context = present("lambda-runtime-client-context")
        self.cognito_identity = present("lambda-runtime-cognito-identity")
        self.tenant_id = present("lambda-runtime-aws-tenant-id")
        self.content_type = present("content-type")
        self.body = body


def _leading_digits(text):
    n = 0
    while n < len(text) and text[n].isdigit():
        n += 1
    return int(text[:n]) if n else 0


class ClosedBeforeAnswer(Exception):
    pass


class Connection:
    """A kept-alive HTTP/1.1 connection to the Runtime API, on the bare socket module.

    Responses are received into one reused buffer; a body of known length is received straight
    into its own buffer.
    """

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self._address = (host.strip("[]"), int(port))
        self._host = address
        self._sock = None
        self._buf = bytearray(65536)
        self._start = self._end = 0  # unread bytes are _buf[_start:_end]

    def close(self):
        if self._sock is not None:
            self._sock.close()
        self._sock = None
        self._start = self._end = 0

    def _connect(self):
        family = _socket.AF_INET6 if ":" in self._address[0] else _socket.AF_INET
        sock = _socket.socket(family, _socket.SOCK_STREAM)
        try:
            sock.connect(self._address)
            sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
        except BaseException:
            sock.close()
            raise
        self._sock = sock

    def request(self, method, path, body=b"", headers=()):
        lines = ["%s %s HTTP/1.1\r\nHost: %s\r\n" % (method, path, self._host)]
        for name, value in headers:
            lines.append("%s: %s\r\n" % (name, value))
        if method != "GET":
            lines.append("Content-Length: %d\r\n" % len(body))
        head = "".join(lines).encode("utf-8") + b"\r\n"
        fresh = self._sock is None
        if fresh:
            self._connect()
        try:
            return self._exchange(head, body)
        except (ConnectionResetError, BrokenPipeError, ClosedBeforeAnswer):
            self.close()
            if fresh:
                raise
            self._connect()  # the server had closed the kept-alive connection: once more
            return self._exchange(head, body)

    def _exchange(self, head, body):
        if len(body) < 65536:
            self._sock.sendall(head + body)
        else:
            self._sock.sendall(head)
            self._sock.sendall(body)
        status, headers = self._head()
        while status == 100:
            status, headers = self._head()
        if "content-length" in headers:
            payload = self._take(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            payload = self._chunked()
        else:
            payload = b""
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, payload

    def _fill(self):
        """Receives more bytes after the unread ones, compacting or growing the buffer."""
        if self._start and self._end == len(self._buf):
            unread = self._end - self._start
            self._buf[:unread] = self._buf[self._start:self._end]
            self._start, self._end = 0, unread
        if self._end == len(self._buf):
            self._buf.extend(bytes(len(self._buf)))
        with memoryview(self._buf) as view:
            n = self._sock.recv_into(view[self._end:])
        if n == 0:
            raise ClosedBeforeAnswer()
        self._end += n

    def _find(self, needle):
        while True:
            at = self._buf.find(needle, self._start, self._end)
            if at >= 0:
                return at
            self._fill()

    def _head(self):
        end = self._find(b"\r\n\r\n")
        lines = self._buf[self._start:end].decode("utf-8", "replace").split("\r\n")
        self._start = end + 4
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return int(lines[0].split(" ", 2)[1]), headers

    def _take(self, count):
        buffered = min(count, self._end - self._start)
        if buffered == count:
            data = bytes(self._buf[self._start:self._start + count])
            self._start += count
            return data
        data = bytearray(count)
        data[:buffered] = self._buf[self._start:self._end]
        self._start = self._end = 0
        with memoryview(data) as view:
            while buffered < count:
                n = self._sock.recv_into(view[buffered:])
                if n == 0:
                    raise ClosedBeforeAnswer()
                buffered += n
        return bytes(data)

    def _line(self):
        end = self._find(b"\r\n")
        line = bytes(self._buf[self._start:end])
        self._start = end + 2
        return line

    def _chunked(self):
        parts = []
        while True:
            size = int(self._line().split(b";", 1)[0], 16)
            if size == 0:
                while self._line():
                    pass
                return b"".join(parts)
            parts.append(self._take(size))
            self._take(2)


class LambdaRuntimeClientError(Exception):
    """The Runtime API refused an init error report."""


class RuntimeAPI:
    """The Runtime API at AWS_LAMBDA_RUNTIME_API, and what the client does when a call fails."""

    def __init__(self, address):
        self.address = address
        self.connection = Connection(address)
        self._agent = "lambdacheck-python/%d.%d.%d" % sys.version_info[:3]

    def next(self):
        try:
            status, headers, body = self.connection.request(
                "GET", _API + "/invocation/next", headers=(("User-Agent", self._agent),)
            )
        except (OSError, ClosedBeforeAnswer, ValueError, IndexError):
            _runtime_log_error("Failed to get next invocation. No Response from endpoint")
            raise RuntimeError("Failed to get next")
        if not 200 <= status <= 299:
            _runtime_log_error("Failed to get next invocation. Http Response code: %d" % status)
            raise RuntimeError("Failed to get next")
        if "lambda-runtime-aws-request-id" not in headers:
            _runtime_log_error("Failed to find header lambda-runtime-aws-request-id in response")
            raise RuntimeError("Failed to get next")
        return Invocation(headers, body)

    def _post(self, path, body, headers, failure):
        headers = (("User-Agent", self._agent),) + headers
        try:
            status, _, detail = self.connection.request("POST", _API + path, body, headers)
        except (OSError, ClosedBeforeAnswer, ValueError, IndexError):
            raise RuntimeError(failure)
        if not 200 <= status <= 299:
            _runtime_log_error(
                "Failed to post handler success response. Http response code: %d. %s"
                % (status, detail.decode("utf-8", "replace"))
            )
            raise RuntimeError(failure)

    def post_result(self, request_id, body, content_type):
        if not isinstance(body, bytes):
            body = body.encode("utf-8")
        self._post("/invocation/%s/response" % request_id, body,
                   (("Content-Type", content_type or "text/html"),),
                   "Failed to post invocation response")

    def post_error(self, request_id, error_json, cause_json):
        if len(cause_json.encode()) >= _XRAY_CAUSE_LIMIT:
            cause_json = ""
        headers = (("Content-Type", "application/json"),
                   ("Lambda-Runtime-Function-XRay-Error-Cause", cause_json))
        self._post("/invocation/%s/error" % request_id, error_json.encode("utf-8"), headers,
                   "Failed to post invocation error")

    def post_init_error(self, error, error_type=None):
        """Posted on a connection of its own, as AWS's client does (through http.client).
        error_type: the Lambda-Runtime-Function-Error-Type header, when not the body's."""
        status, detail = self._call_once("POST", "/init/error", to_json(error).encode("utf-8"),
                                         error_type or error["errorType"])
        if status == 403 and _managed_instances():
            # Every process of a Managed Instances environment initialises on its own; the
            # platform takes the first init error and refuses the others.
            return
        if status != 202:
            raise LambdaRuntimeClientError(
                "Request to Lambda Runtime '%s/init/error' endpoint failed. Reason: '%d'. "
                "Response body: '%s'" % (_API, status, detail)
            )

    def _call_once(self, method, path, body=b"", error_type=None):
        """One request on a connection of its own: (status, body)."""
        connection = Connection(self.address)
        headers = (("Lambda-Runtime-Function-Error-Type", error_type),) if error_type else ()
        try:
            status, _, detail = connection.request(method, _API + path, body, headers)
        finally:
            connection.close()
        return status, detail

    def restore_next(self):
        """SnapStart: waits in /restore/next until this environment is restored."""
        status, detail = self._call_once("GET", "/restore/next")
        if status != 200:
            raise LambdaRuntimeClientError(
                "Request to Lambda Runtime '%s/restore/next' endpoint failed. Reason: '%d'. "
                "Response body: '%s'" % (_API, status, detail))

    def post_restore_error(self, error):
        status, detail = self._call_once("POST", "/restore/error",
                                         to_json(error).encode("utf-8"),
                                         "Runtime.AfterRestoreError")
        if status != 202:
            raise LambdaRuntimeClientError(
                "Request to Lambda Runtime '%s/restore/error' endpoint failed. Reason: '%d'. "
                "Response body: '%s'" % (_API, status, detail))


class NoRuntimeAPI:
    """Where a SnapStart template's init reports to (lambdacheck_template.py): nowhere. An init
    that fails leaves the template unused, and the environment that needed it initialises itself,
    reporting the failure to its own Runtime API."""

    def post_init_error(self, error, error_type=None):
        pass


# --- the loop -----------------------------------------------------------------------------------


def _set_trace_id(trace_id):
    if trace_id is not None:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)


class Runtime:
    """The handler and what it answers through."""

    def __init__(self, api, log_sink, json_logs):
        self.api = api
        self.log_sink = log_sink
        self.log_error = log_error_json if json_logs else log_error_text

    def handle_event_request(self, handler, invocation):
        """Runs one invocation and posts its outcome. (A frame of this method is what a handler
        that is not callable shows in its stack trace, under this name, as on Lambda.)"""
        error = None
        try:
            context = make_context(invocation)
            event = unmarshal_event(invocation.body, invocation.content_type)
            body, content_type = marshal_result(handler(event, context))
        except Fault as fault:
            cause = xray_cause("LambdaValidationError", fault.message, [])
            error = make_error(fault.message, fault.error_type, fault.trace, invocation.request_id)
        except Exception as exc:
            error, cause = error_from_exception(sys.exc_info(), invocation.request_id)
            note_missing_runtime_package(exc)
        if error is not None:
            self.log_error(error, self.log_sink)
            self.api.post_error(invocation.request_id, to_json(error), to_json(cause))
        else:
            self.api.post_result(invocation.request_id, body, content_type)

    def load(self, handler_name):
        """The handler, or None after reporting the init error."""
        missing = None
        try:
            return load_handler(handler_name)
        except Fault as fault:
            error = make_error(fault.message, fault.error_type, fault.trace)
            missing = fault.__context__
        except Exception:
            etype, value, tb = sys.exc_info()
            error = make_error(str(value), etype.__name__,
                               traceback.format_list(user_frames(tb)))
            missing = value
        logging.warning(_UNHANDLED_WARNING)
        self.log_error(error, self.log_sink)
        note_missing_runtime_package(missing)
        self.api.post_init_error(error)
        return None


def _import_like_reference():
    """What AWS's client has imported before the handler besides what this module imports, so
    that a function's module of the same name is shadowed exactly as on Lambda."""
    if os.environ.get("AWS_EXECUTION_ENV") in _UTF8_RUNTIMES:
        import concurrent.futures.thread  # noqa: F401  (it polls /next from a thread there)


def _managed_instances():
    """A Lambda Managed Instances environment: the platform sets AWS_LAMBDA_MAX_CONCURRENCY
    (runtimes-api.html), and AWS's client then runs that many processes."""
    return os.environ.get("AWS_LAMBDA_MAX_CONCURRENCY") is not None


def _die_with(parent):
    """A worker dies with the process that started it, as that one dies with the harness: no
    worker outlives its environment."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except (ImportError, OSError, AttributeError):
        pass
    if os.getppid() != parent:  # it died before the line above
        os._exit(1)


def _run_processes():
    """Under Managed Instances, forks AWS_LAMBDA_MAX_CONCURRENCY processes that each load the
    handler and serve one invocation at a time, sharing /tmp, as AWS's Python client does
    (lambda-managed-instances-python-runtime.html). Returns in each child; the parent waits for
    them all and exits (status 0), so the environment ends once no process serves it. A process
    that dies leaves the others serving, as on Lambda."""
    try:
        count = max(1, int(os.environ["AWS_LAMBDA_MAX_CONCURRENCY"]))
    except ValueError:
        count = 1
    children = []
    parent = os.getpid()
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            _die_with(parent)
            return
        children.append(pid)
    import signal

    def forward(signum, frame):
        for child in children:
            try:
                os.kill(child, signum)
            except OSError:
                pass

    signal.signal(signal.SIGTERM, forward)
    for child in children:
        while True:
            try:
                os.waitpid(child, 0)
                break
            except InterruptedError:
                continue
    # AWS's client only joins its workers, then returns: the environment's process ends
    # without a status of its own, whatever the workers' were
    os._exit(0)


def prepare(host_packages, exit_on_sigterm):
    """What the client does before the handler that depends only on its command line and on the
    function's settings, never on one environment's values (its Runtime API address, its log
    stream): a template process (lambdacheck_template.py) does it once for all its copies."""
    if exit_on_sigterm:
        import signal

        def exit_once(signum, frame):
            # A second SIGTERM (the harness signals an environment when it stops it and again
            # when it frees it) must not interrupt the exit: coverage.py saves its data then.
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            sys.exit(0)

        signal.signal(signal.SIGTERM, exit_once)
    set_search_path(host_packages)
    use_json_library()
    _import_like_reference()


# --- SnapStart ------------------------------------------------------------------------------------
#
# A SnapStart function (AWS_LAMBDA_INITIALIZATION_TYPE=snap-start) initialises once; its
# before-snapshot hooks run then, in the reverse order of their registration, and the runtime
# waits in /restore/next while Lambda takes the snapshot. In every environment restored from it
# /restore/next returns, the after-restore hooks run in the order of their registration, and the
# loop begins. A before-snapshot hook that fails is an init error (Runtime.BeforeSnapshotError,
# exit 64), an after-restore hook that fails a restore error (Runtime.AfterRestoreError, exit 65)
# (https://docs.aws.amazon.com/lambda/latest/dg/snapstart-runtime-hooks-python.html; AWS's
# client does the same). Hooks are registered with the snapshot_restore_py module that Lambda's
# Python runtimes provide (this client's copy is in provided/, or the function's own).


def snap_start():
    return os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start"


def _registered_hooks(getter):
    module = sys.modules.get("snapshot_restore_py")
    get = getattr(module, getter, None)
    return list(get()) if get is not None else []


def run_before_snapshot():
    for func, args, kwargs in reversed(_registered_hooks("get_before_snapshot")):
        func(*args, **kwargs)


def run_after_restore():
    for func, args, kwargs in _registered_hooks("get_after_restore"):
        func(*args, **kwargs)


def _hook_error():
    etype, value, tb = sys.exc_info()
    return make_error(str(value), etype.__name__, traceback.format_list(user_frames(tb)))


class Started:
    """A client whose handler is loaded: what the loop needs, made once per process, or once per
    snapshot in a SnapStart template (its copies go on from here)."""

    def __init__(self, runtime, handler, log_sink):
        self.runtime = runtime
        self.handler = handler
        self.log_sink = log_sink


def start(argv, api, layers):
    """Loads the handler with the logging set up, as the client does before its first /next;
    exits (status 1) after reporting an init error to api."""
    put_task_root_first(os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd(), layers)
    json_logs = log_format_is_json()
    if _managed_instances():
        _run_processes()
    sys.stdout = Unbuffered(sys.stdout)
    sys.stderr = Unbuffered(sys.stderr)
    log_sink = StandardLogSink()
    runtime = Runtime(api, log_sink, json_logs)
    setup_logging(json_logs, log_level_name(os.environ.get("AWS_LAMBDA_LOG_LEVEL")), log_sink)
    handler = runtime.load(argv[-1])
    if handler is None:
        sys.exit(1)
    return Started(runtime, handler, log_sink)


def before_snapshot(started):
    """The before-snapshot hooks; a failure is reported as an init error and ends the process."""
    try:
        run_before_snapshot()
    except Exception:
        error = _hook_error()
        started.runtime.log_error(error, started.log_sink)
        started.runtime.api.post_init_error(error, "Runtime.BeforeSnapshotError")
        sys.exit(64)


def restore(started):
    """/restore/next, then the after-restore hooks; a failure ends the process."""
    api = started.runtime.api
    try:
        api.restore_next()
    except Exception:
        error = _hook_error()
        started.runtime.log_error(error, started.log_sink)
        api.post_init_error(error, "Runtime.BeforeSnapshotError")
        sys.exit(64)
    try:
        run_after_restore()
    except Exception:
        error = _hook_error()
        started.runtime.log_error(error, started.log_sink)
        api.post_restore_error(error)
        sys.exit(65)


def snapshot(argv, layers):
    """In a SnapStart template: init and the before-snapshot hooks, reporting to no Runtime API
    (a failure ends the template; see NoRuntimeAPI)."""
    started = start(argv, NoRuntimeAPI(), layers)
    before_snapshot(started)
    return started


def main(argv, host_packages=False, exit_on_sigterm=False, layers=(), prepared=False):
    """Runs the client. host_packages: see set_search_path. exit_on_sigterm: SIGTERM ends the
    process the normal way (for coverage.py, which saves its data then); by default it keeps
    its default action, as on Lambda. layers: the function's layer folders (its /opt).
    prepared: this process is a template's copy, which has run prepare() already (True), or, a
    SnapStart template's, has started too (a Started: it is restored from the snapshot)."""
    global _request_id, _tenant_id, _START_TIME
    if len(argv) < 2:
        sys.stderr.write("usage: %s MODULE.FUNCTION\n" % argv[0])
        return 2
    address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not address:
        sys.stderr.write("lambdacheck runtime: AWS_LAMBDA_RUNTIME_API is not set\n")
        return 2
    api = RuntimeAPI(address)
    if isinstance(prepared, Started):
        started = prepared
        started.runtime.api = api
    else:
        if prepared:
            _START_TIME = time.time()  # this process's start, not its template's
        else:
            prepare(host_packages, exit_on_sigterm)
        started = start(argv, api, layers)
        if snap_start():
            before_snapshot(started)
    if snap_start():
        restore(started)
    runtime, handler = started.runtime, started.handler
    while True:
        invocation = api.next()
        _request_id, _tenant_id = invocation.request_id, invocation.tenant_id
        _set_trace_id(invocation.trace_id)
        runtime.handle_event_request(handler, invocation)
