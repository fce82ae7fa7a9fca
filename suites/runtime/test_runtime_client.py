"""Unit tests of the bundled Python runtime client (harness/runtime/python).

What a handler or its caller observes must be what AWS's client (awslambdaric 4.x) gives; the
expected values here are that client's, as suites/differential confirms against the real thing.
The emulator validates what it sends, so what only another Runtime API server can send (headers
that are not JSON, chunked answers, a refused result) is tested here against small fakes.
Run with any python3 (simplejson is used when the interpreter has it; both ways are tested):
    python3 -m unittest discover -s suites/runtime
"""

import collections
import contextlib
import decimal
import http.server
import io
import json
import logging
import math
import os
import socketserver
import subprocess
import tempfile
import sys
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
RUNTIME_DIR = os.path.realpath(os.path.join(HERE, "..", "..", "harness", "runtime", "python"))
sys.path.insert(0, RUNTIME_DIR)

import lambdacheck_runtime as client  # noqa: E402

try:
    import simplejson
except ImportError:
    simplejson = None


class FakeInvocation:
    def __init__(self, **fields):
        self.request_id = "req-1"
        self.deadline_ms = 1
        self.function_arn = ""
        self.trace_id = None
        self.client_context = None
        self.cognito_identity = None
        self.tenant_id = None
        self.content_type = "application/json"
        self.body = b"{}"
        self.__dict__.update(fields)


class RecordingAPI:
    def __init__(self):
        self.errors = []
        self.results = []

    def post_error(self, request_id, error_json, cause_json):
        self.errors.append((request_id, json.loads(error_json), json.loads(cause_json)))

    def post_result(self, request_id, body, content_type):
        self.results.append((request_id, body, content_type))


class Capture:
    """A log sink that keeps what it is given."""

    def __init__(self):
        self.lines = []

    def log(self, msg, frame_type=None):
        self.lines.append(msg)

    def log_error(self, message_lines):
        self.lines.append("\r".join(message_lines) + "\n")


def run_handler(handler, **fields):
    client.use_json_library()
    api, sink = RecordingAPI(), Capture()
    client.Runtime(api, sink, json_logs=False).handle_event_request(handler, FakeInvocation(**fields))
    return api, sink


def keyed_sum(event, context):
    d = {"a": 1}
    return d["a"] + d["b"]


# --- errors ---------------------------------------------------------------------------------


class StackTraces(unittest.TestCase):
    def test_frames_carry_no_column_markers(self):
        # Python 3.11+ underlines the failing part of a line when given frame objects; AWS's
        # client formats (file, line, function, text) tuples, which have no columns.
        api, sink = run_handler(keyed_sum)
        (_, error, cause), = api.errors
        self.assertEqual(error["errorType"], "KeyError")
        self.assertEqual(error["errorMessage"], "'b'")
        self.assertEqual(
            error["stackTrace"],
            ['  File "%s", line %d, in keyed_sum\n    return d["a"] + d["b"]\n'
             % (os.path.abspath(__file__), keyed_sum.__code__.co_firstlineno + 2)],
        )
        for line in sink.lines[0].split("\r"):
            self.assertNotIn("^", line)
            self.assertNotIn("~", line)

    def test_the_error_report_is_one_record_with_no_break_space_indents(self):
        _, sink = run_handler(keyed_sum)
        report, = sink.lines
        lines = report.split("\r")
        self.assertEqual(lines[0], "[ERROR] KeyError: 'b'")
        self.assertEqual(lines[1], "Traceback (most recent call last):")
        self.assertTrue(lines[2].startswith("\u00a0\u00a0File "))
        self.assertEqual(lines[3], "\u00a0\u00a0\u00a0\u00a0return d[\"a\"] + d[\"b\"]\n")

    def test_the_xray_cause_names_the_frames(self):
        api, _ = run_handler(keyed_sum)
        cause = api.errors[0][2]
        self.assertEqual(cause["working_directory"], os.getcwd())
        self.assertEqual(cause["exceptions"][0]["type"], "KeyError")
        self.assertEqual(cause["exceptions"][0]["message"], "'b'")
        self.assertEqual(cause["exceptions"][0]["stack"][0]["label"], "keyed_sum")
        self.assertEqual(cause["paths"], [os.path.abspath(__file__)])

    def test_a_cause_of_a_megabyte_or_more_is_sent_empty(self):
        sent = []

        class Recorder(client.RuntimeAPI):
            def _post(self, path, body, headers, failure):
                sent.append(dict(headers))

        api = Recorder("127.0.0.1:9")
        api.post_error("r", "{}", "x" * (1024 * 1024))
        api.post_error("r", "{}", "x" * (1024 * 1024 - 1))
        self.assertEqual(sent[0]["Lambda-Runtime-Function-XRay-Error-Cause"], "")
        self.assertEqual(len(sent[1]["Lambda-Runtime-Function-XRay-Error-Cause"]), 1024 * 1024 - 1)
        self.assertNotIn("Lambda-Runtime-Function-Error-Type", sent[0])


class MissingRuntimePackages(unittest.TestCase):
    """Lambda's runtime ships boto3 and botocore: an interpreter without them gets a note saying
    so, and how to supply them; any other missing module gets none."""

    def note_for(self, handler):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            run_handler(handler)
        return out.getvalue()

    def test_a_handler_without_boto3_is_told_that_lambda_ships_it(self):
        def handler(event, context):
            import boto3  # noqa: F401

        saved = sys.modules.get("boto3")
        sys.modules["boto3"] = None  # this interpreter "has none", for the handler and the note
        try:
            note = self.note_for(handler)
        finally:
            if saved is None:
                del sys.modules["boto3"]
            else:
                sys.modules["boto3"] = saved
        self.assertIn("lambdacheck: note: boto3 is part of Lambda's python%d.%d runtime, but "
                      "this interpreter (%s) has none" % (sys.version_info[:2] + (sys.executable,)),
                      note)
        self.assertIn("a layer folder holding python/boto3", note)

    def test_another_missing_module_gets_no_note(self):
        def handler(event, context):
            import no_such_module_here  # noqa: F401

        self.assertNotIn("lambdacheck: note", self.note_for(handler))


class ContextHeaders(unittest.TestCase):
    def test_client_context_that_is_not_json(self):
        api, _ = run_handler(lambda e, c: "unreached", client_context="{oops")
        (request_id, error, _), = api.errors
        self.assertEqual(request_id, "req-1")
        self.assertEqual(error["errorType"], "Runtime.LambdaContextUnmarshalError")
        self.assertEqual(
            error["errorMessage"],
            "Unable to parse Client Context JSON: Expecting property name enclosed in double "
            "quotes: line 1 column 2 (char 1)",
        )
        self.assertEqual(error["stackTrace"], [])
        self.assertEqual(list(error), ["errorMessage", "errorType", "requestId", "stackTrace"])

    def test_cognito_identity_that_is_not_json(self):
        api, _ = run_handler(lambda e, c: "unreached", cognito_identity="nope")
        error = api.errors[0][1]
        self.assertEqual(error["errorType"], "Runtime.LambdaContextUnmarshalError")
        self.assertEqual(
            error["errorMessage"],
            "Unable to parse Cognito Identity JSON: Expecting value: line 1 column 1 (char 0)",
        )


# --- the context object ---------------------------------------------------------------------


class Context(unittest.TestCase):
    def make(self, **fields):
        return client.make_context(FakeInvocation(**fields))

    def test_attributes_in_the_reference_order(self):
        context = self.make(function_arn="arn:x", tenant_id="t-1")
        self.assertEqual(
            list(vars(context)),
            ["aws_request_id", "log_group_name", "log_stream_name", "function_name",
             "memory_limit_in_mb", "function_version", "invoked_function_arn", "tenant_id",
             "client_context", "identity", "_epoch_deadline_time_in_ms"],
        )

    def test_nested_objects_have_fixed_attributes(self):
        context = self.make(
            client_context='{"custom": {"k": "v"}, "client": {"app_title": "t"}}',
            cognito_identity='{"cognitoIdentityId": "id-1"}',
        )
        self.assertEqual(context.client_context.custom, {"k": "v"})
        self.assertEqual(context.client_context.client.app_title, "t")
        self.assertIsNone(context.client_context.client.installation_id)
        self.assertEqual(context.identity.cognito_identity_id, "id-1")
        for obj in (context.identity, context.client_context, context.client_context.client):
            with self.assertRaises(AttributeError):
                obj.anything_else = 1
            self.assertFalse(hasattr(obj, "__dict__"))

    def test_repr_lists_the_fields(self):
        context = self.make()
        self.assertTrue(repr(context).startswith("LambdaContext([aws_request_id=req-1,"))
        self.assertTrue(repr(context).endswith(",tenant_id=None])"))
        self.assertEqual(
            repr(context.identity),
            "CognitoIdentity([cognito_identity_id=None,cognito_identity_pool_id=None])",
        )

    def test_remaining_time_is_never_negative(self):
        self.assertEqual(self.make(deadline_ms=1).get_remaining_time_in_millis(), 0)


# --- JSON -----------------------------------------------------------------------------------

Point = collections.namedtuple("Point", "x y")


class WithAsdict:
    def _asdict(self):
        return {"kind": "custom", "inner": Point(1, 2)}


class AsdictNeedsArguments:
    def _asdict(self, required):
        return {}


class AsdictNotADict:
    def _asdict(self):
        return [1]


class Colour:
    pass


# (value, what AWS's client posts) pairs; the expected texts are simplejson's as AWS configures
# it (use_decimal=False, allow_nan=True, Decimal as its own digits).
ENCODED = [
    (None, "null"),
    ({"a": [1, 2.5, True, None]}, '{"a": [1, 2.5, true, null]}'),
    ((1, "two"), '[1, "two"]'),
    (decimal.Decimal("1.10"), "1.10"),
    ([decimal.Decimal("1E+2"), decimal.Decimal("-0")], "[1E+2, -0]"),
    (decimal.Decimal("NaN"), "NaN"),
    (decimal.Decimal("Infinity"), "Infinity"),
    ([math.nan, math.inf, -math.inf], "[NaN, Infinity, -Infinity]"),
    (Point(1, 2), '{"x": 1, "y": 2}'),
    ([Point(1, [Point(3, 4)])], '[{"x": 1, "y": [{"x": 3, "y": 4}]}]'),
    ({"p": Point("a", None)}, '{"p": {"x": "a", "y": null}}'),
    (WithAsdict(), '{"kind": "custom", "inner": {"x": 1, "y": 2}}'),
    ({"b": b"bytes", b"key": 1}, '{"b": "bytes", "key": 1}'),
    ([b"\xc3\xa9"], '["\\u00e9"]'),
    ({3: "int", 2.5: "float", True: "bool", None: "none", math.nan: "nan"},
     '{"3": "int", "2.5": "float", "true": "bool", "null": "none", "NaN": "nan"}'),
    ("caf\u00e9 \U0001f600", '"caf\\u00e9 \\ud83d\\ude00"'),
    ({"d": [decimal.Decimal("3.14159265358979323846")]}, '{"d": [3.14159265358979323846]}'),
]

ERRORS = [
    ({1, 2}, "Object of type set is not JSON serializable"),
    (Colour(), "Object of type Colour is not JSON serializable"),
    (bytearray(b"x"), "Object of type bytearray is not JSON serializable"),
    ({(1, 2): "tuple key"}, "keys must be str, int, float, bool or None, not tuple"),
    ({decimal.Decimal(1): "x"}, "keys must be str, int, float, bool or None, not decimal.Decimal"),
    (AsdictNotADict(), "_asdict() must return a dict, not list"),
    (AsdictNeedsArguments(), "Object of type AsdictNeedsArguments is not JSON serializable"),
    ([b"\xff"], "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"),
]


def with_execution_env(value):
    @contextlib.contextmanager
    def scope():
        old = os.environ.get("AWS_EXECUTION_ENV")
        os.environ["AWS_EXECUTION_ENV"] = value
        try:
            yield
        finally:
            if old is None:
                del os.environ["AWS_EXECUTION_ENV"]
            else:
                os.environ["AWS_EXECUTION_ENV"] = old

    return scope()


class Encoding(unittest.TestCase):
    encoder_factory = staticmethod(lambda: client.StandardEncoder(ascii_only=True))

    def encode(self, value):
        return self.encoder_factory().encode(value)

    def test_values_encode_as_simplejson_encodes_them(self):
        for value, text in ENCODED:
            with self.subTest(value=value):
                self.assertEqual(self.encode(value), text)

    def test_what_cannot_be_encoded_fails_with_simplejsons_message(self):
        for value, message in ERRORS:
            with self.subTest(value=value):
                with self.assertRaises(Exception) as raised:
                    self.encode(value)
                self.assertEqual(str(raised.exception), message)

    def test_circular_structures_fail(self):
        loop = []
        loop.append(loop)
        with self.assertRaises(ValueError) as raised:
            self.encode([Point(1, loop)])
        self.assertEqual(str(raised.exception), "Circular reference detected")

    def test_decimal_digits_inside_strings_are_left_alone(self):
        self.assertEqual(self.encode({"d": decimal.Decimal("2.50"), "s": "2.50"}),
                         '{"d": 2.50, "s": "2.50"}')

    def test_many_decimals_keep_their_order(self):
        values = [decimal.Decimal(i) / 4 for i in range(300)]
        self.assertEqual(json.loads(self.encode(values)), [float(v) for v in values])


@unittest.skipIf(simplejson is None, "this interpreter has no simplejson (Debian: python3-simplejson)")
class EncodingWithSimplejson(Encoding):
    """The same expectations through simplejson itself, as AWS's client configures it: these
    prove the expected texts, and StandardEncoder is held to them above."""

    encoder_factory = staticmethod(lambda: client._simplejson_encoder(simplejson, True))


class Marshalling(unittest.TestCase):
    def setUp(self):
        client.use_json_library()

    def test_bytes_are_posted_raw(self):
        self.assertEqual(client.marshal_result(b"\x00raw"), (b"\x00raw", "application/unknown"))

    def test_a_result_that_cannot_be_encoded_is_a_marshal_error(self):
        with self.assertRaises(client.Fault) as raised:
            client.marshal_result({1, 2})
        self.assertEqual(raised.exception.error_type, "Runtime.MarshalError")
        self.assertEqual(raised.exception.message,
                         "Unable to marshal response: Object of type set is not JSON serializable")

    def test_python_3_12_and_later_write_utf8(self):
        for env, text in (("AWS_Lambda_python3.11", '"\\u00e9"'), ("AWS_Lambda_python3.12", '"\u00e9"'),
                          ("AWS_Lambda_python3.13", '"\u00e9"')):
            with self.subTest(env=env), with_execution_env(env):
                client.use_json_library()
                self.assertEqual(client.marshal_result("\u00e9")[0], text)
        client.use_json_library()

    def test_events_are_decoded_only_for_exactly_application_json(self):
        self.assertEqual(client.unmarshal_event(b'{"a": 1}', "application/json"), {"a": 1})
        self.assertEqual(client.unmarshal_event(b'{"a": 1}', "text/plain"), b'{"a": 1}')
        self.assertEqual(client.unmarshal_event(b"{}", None), b"{}")
        with self.assertRaises(client.Fault) as raised:
            client.unmarshal_event(b"nope", "application/json")
        self.assertEqual(raised.exception.message,
                         "Unable to unmarshal input: Expecting value: line 1 column 1 (char 0)")


# --- logging --------------------------------------------------------------------------------


class Logging(unittest.TestCase):
    def setUp(self):
        self.root = logging.getLogger()
        self.saved = self.root.handlers[:], self.root.level
        self.root.handlers = []
        self.sink = Capture()

    def tearDown(self):
        self.root.handlers, level = self.saved
        self.root.setLevel(level)
        client._request_id = client._tenant_id = None

    def test_level_names_are_read_as_lambdas_client_reads_them(self):
        self.assertEqual(client.log_level_name(None), "")
        self.assertEqual(client.log_level_name("TRACE"), "DEBUG")
        self.assertEqual(client.log_level_name("trace"), "TRACE")  # not a level: ignored
        self.assertEqual(client.log_level_name("debug"), "DEBUG")
        self.assertEqual(client.log_level_name("Warn"), "WARN")

    def test_the_handler_is_shaped_as_the_references(self):
        client.setup_logging(False, "", self.sink)
        handler, = self.root.handlers
        self.assertEqual(type(handler).__name__, "LambdaLoggerHandler")
        self.assertIs(handler.log_sink, self.sink)
        self.assertEqual([type(f).__name__ for f in handler.filters], ["LambdaLoggerFilter"])
        self.root.handlers = []
        client.setup_logging(False, "INFO", self.sink)
        self.assertEqual(type(self.root.handlers[0]).__name__, "LambdaLoggerHandlerWithFrameType")
        self.assertEqual(self.root.level, logging.INFO)

    def test_text_records_carry_the_request_id(self):
        client.setup_logging(False, "", self.sink)
        client._request_id = "req-7"
        logging.warning("hello %s", "there")
        line, = self.sink.lines
        level, stamp, request_id, message = line.split("\t")
        self.assertEqual((level, request_id, message), ("[WARNING]", "req-7", "hello there\n"))
        self.assertRegex(stamp, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

    def test_bad_format_arguments_reach_the_caller(self):
        client.setup_logging(False, "", self.sink)
        with self.assertRaises(TypeError):
            logging.warning("%d", "x")

    def json_record(self, *args, **kwargs):
        client.setup_logging(True, "", self.sink)
        logging.getLogger("app").warning(*args, **kwargs)
        line, = self.sink.lines
        self.assertTrue(line.endswith("\n"))
        return json.loads(line)

    def test_json_records_have_second_timestamps_and_the_documented_keys(self):
        client._request_id = "req-9"
        record = self.json_record("hi %s", "you", extra={"order": 7})
        self.assertRegex(record.pop("timestamp"), r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(record, {"level": "WARNING", "message": "hi you", "logger": "app",
                                  "requestId": "req-9", "order": 7})

    def test_reserved_extras_without_an_exception_are_dropped_when_none(self):
        record = self.json_record("x", extra={"location": None, "errorType": None, "k": None})
        self.assertNotIn("location", record)
        self.assertNotIn("errorType", record)
        self.assertNotIn("k", record)

    def test_an_extra_that_cannot_be_encoded_reaches_the_caller(self):
        client.setup_logging(True, "", self.sink)
        with self.assertRaises(TypeError):
            logging.warning("x", extra={"s": {1}})

    def test_exceptions_in_json_records(self):
        client.setup_logging(True, "", self.sink)
        try:
            raise ValueError("bad")
        except ValueError:
            line = sys._getframe().f_lineno + 1
            logging.exception("failed")
        record = json.loads(self.sink.lines[0])
        self.assertEqual(record["level"], "ERROR")
        self.assertEqual(record["errorType"], "ValueError")
        self.assertEqual(record["errorMessage"], "bad")
        self.assertEqual(record["location"],
                         "%s:test_exceptions_in_json_records:%d" % (__file__, line))
        self.assertEqual(len(record["stackTrace"]), 1)

    def test_the_unhandled_error_record_in_json(self):
        sink = Capture()
        client.use_json_library()
        client.log_error_json(client.make_error("m", "T", ["f"], "r"), sink)
        record = json.loads(sink.lines[0])
        self.assertRegex(record.pop("timestamp"), r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(list(record), ["log_level", "errorMessage", "errorType", "requestId",
                                        "stackTrace"])
        self.assertEqual(record["log_level"], "ERROR")

    def test_the_init_warning_text(self):
        self.assertTrue(client._UNHANDLED_WARNING.startswith(
            "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the "
            "function code."))
        self.assertTrue(client._UNHANDLED_WARNING.endswith(
            " For more information, see "
            "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html\r"))


class Streams(unittest.TestCase):
    def test_writes_flush_return_nothing_and_work_as_context_managers(self):
        target = io.StringIO()
        stream = client.Unbuffered(target)
        self.assertIsNone(stream.write("a"))
        with stream as same:
            self.assertIs(same, stream)
            same.writelines(["b", "c"])
        self.assertEqual(target.getvalue(), "abc")
        self.assertIsNone(stream.write(""))


# --- the Runtime API ------------------------------------------------------------------------


class FakeRuntimeAPI(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    answers = {}

    def do_GET(self):
        body = [b'{"chunk', b'ed": ', b"true}"]
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", "abc")
        self.send_header("Lambda-Runtime-Deadline-Ms", "99")
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for part in body:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        self.wfile.write(b"0\r\n\r\n")

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        status, body = self.answers.get(self.path, (202, b'{"status":"OK"}'))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def fake_runtime_api():
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), FakeRuntimeAPI) as server:
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        api = client.RuntimeAPI("127.0.0.1:%d" % server.server_address[1])
        try:
            yield api
        finally:
            api.connection.close()
            server.shutdown()


class RuntimeAPIClient(unittest.TestCase):
    def test_a_chunked_next_response_is_read_whole_on_a_kept_alive_connection(self):
        with fake_runtime_api() as api:
            for _ in range(2):
                invocation = api.next()
                self.assertEqual(invocation.request_id, "abc")
                self.assertEqual(invocation.deadline_ms, 99)
                self.assertEqual(json.loads(invocation.body), {"chunked": True})

    def test_a_refused_result_is_logged_and_ends_the_client(self):
        # Lambda's client logs the refusal (a 413 for a result over 6 MB) and raises: the
        # process ends, and the next invocation is a cold start.
        FakeRuntimeAPI.answers = {
            "/2018-06-01/runtime/invocation/r1/response":
                (413, b'{"errorMessage":"Exceeded maximum allowed payload size (6291556 bytes).",'
                      b'"errorType":"RequestEntityTooLarge"}')}
        out = io.StringIO()
        try:
            with fake_runtime_api() as api, contextlib.redirect_stdout(out):
                with self.assertRaises(RuntimeError) as raised:
                    api.post_result("r1", b"x", "application/json")
        finally:
            FakeRuntimeAPI.answers = {}
        self.assertEqual(str(raised.exception), "Failed to post invocation response")
        self.assertRegex(
            out.getvalue(),
            r"^\[ERROR\] \[\d{13}\] LAMBDA_RUNTIME Failed to post handler success response\. "
            r"Http response code: 413\. \{\"errorMessage\":\"Exceeded maximum allowed payload "
            r"size \(6291556 bytes\)\.\",\"errorType\":\"RequestEntityTooLarge\"\}\n$")


# --- start-up -------------------------------------------------------------------------------

# Modules that, imported before the handler, would shadow a function's own module of that name;
# AWS's client imports none of them.
NOT_BEFORE_THE_HANDLER = ["socket", "uuid", "signal", "select", "selectors", "errno", "array",
                          "platform", "stringprep", "unicodedata", "http", "email", "ssl"]


class StartUp(unittest.TestCase):
    def run_python(self, code, *flags):
        return subprocess.run(
            [sys.executable, *flags, "-c", code], capture_output=True, text=True, timeout=60,
            cwd=RUNTIME_DIR, env={"PATH": os.environ.get("PATH", "")},
        )

    def test_the_client_imports_nothing_a_function_module_could_be_named(self):
        done = self.run_python("import sys, lambdacheck_runtime as c; c.use_json_library(); "
                               "print(sorted(sys.modules))", "-S")
        self.assertEqual(done.returncode, 0, done.stderr)
        loaded = set(eval(done.stdout))
        self.assertEqual(sorted(loaded & set(NOT_BEFORE_THE_HANDLER)), [])

    def test_what_aws_client_loads_before_the_handler_is_loaded_or_deferred(self):
        done = self.run_python("import sys, lambdacheck_runtime as c; "
                               "print([n for n in c.DEFERRED if n not in sys.modules], "
                               "type(sys.modules['logging']).__name__)", "-S")
        self.assertEqual(done.stdout.strip(), "[] _LazyModule", done.stderr)

    def test_logging_is_set_up_when_first_used(self):
        done = self.run_python(
            "import sys, lambdacheck_runtime as c; c.setup_logging(False, None, None); "
            "import logging; h = logging.getLogger().handlers; "
            "print(type(h[0]).__qualname__, logging._startTime == c._START_TIME, "
            "type(logging.__loader__).__name__)", "-S")
        self.assertEqual(done.stdout.strip(), "LambdaLoggerHandler True SourceFileLoader",
                         done.stderr)

    def test_a_deferred_module_is_not_shadowed_by_the_functions_own(self):
        with tempfile.TemporaryDirectory() as task_root:
            with open(os.path.join(task_root, "string.py"), "w") as f:
                f.write("OWN = True\n")
            done = self.run_python(
                "import sys, lambdacheck_runtime as c; c.put_task_root_first(%r); "
                "import string, logging; logging.getLogger(); "
                "print(hasattr(string, 'OWN'), hasattr(string, 'Template'))" % task_root, "-S")
        self.assertEqual(done.stdout.strip(), "False True", done.stderr)

    def test_sigterm_keeps_its_default_action(self):
        done = self.run_python("import signal, lambdacheck_runtime; "
                               "print(signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)", "-S")
        self.assertEqual(done.stdout.strip(), "True", done.stderr)


if __name__ == "__main__":
    unittest.main()
