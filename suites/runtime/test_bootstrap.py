"""Unit tests of the bundled Python runtime client, for what the emulator cannot make it do.

The emulator validates what it sends, so headers that are not JSON, or a Runtime API that answers
in chunks, only come from other Runtime API servers. Run with any python3:
    python3 -m unittest discover -s suites/runtime
"""

import contextlib
import http.server
import io
import json
import os
import socketserver
import sys
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "harness", "runtime", "python"))

import lambdacheck_bootstrap as bootstrap  # noqa: E402


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

    def post_error(self, request_id, error, cause):
        self.errors.append((request_id, error, cause))

    def post_result(self, request_id, body, content_type):
        self.results.append((request_id, body, content_type))


def quietly(function, *args):
    """Runs function with the client's log lines (written to stdout, as on Lambda) captured."""
    with contextlib.redirect_stdout(io.StringIO()):
        return function(*args)


class ContextHeaders(unittest.TestCase):
    def test_client_context_that_is_not_json(self):
        api = RecordingAPI()
        quietly(bootstrap.handle, api, lambda e, c: "unreached",
                FakeInvocation(client_context="{oops"))
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
        api = RecordingAPI()
        quietly(bootstrap.handle, api, lambda e, c: "unreached",
                FakeInvocation(cognito_identity="nope"))
        error = api.errors[0][1]
        self.assertEqual(error["errorType"], "Runtime.LambdaContextUnmarshalError")
        self.assertEqual(
            error["errorMessage"],
            "Unable to parse Cognito Identity JSON: Expecting value: line 1 column 1 (char 0)",
        )

    def test_remaining_time_is_never_negative(self):
        context = bootstrap.LambdaContext(FakeInvocation(deadline_ms=1))
        self.assertEqual(context.get_remaining_time_in_millis(), 0)


class Encoding(unittest.TestCase):
    def test_decimal_inside_strings_is_left_alone(self):
        import decimal

        body, ctype = bootstrap.marshal_result({"d": decimal.Decimal("2.50"), "s": "2.50"})
        self.assertEqual(body, b'{"d": 2.50, "s": "2.50"}')
        self.assertEqual(ctype, "application/json")

    def test_circular_structures_are_marshal_errors(self):
        loop = []
        loop.append(loop)
        with self.assertRaises(bootstrap.Fault) as raised:
            bootstrap.marshal_result(loop)
        self.assertEqual(raised.exception.error_type, "Runtime.MarshalError")
        self.assertEqual(raised.exception.message,
                         "Unable to marshal response: Circular reference detected")


class ChunkedServer(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

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

    def log_message(self, *args):
        pass


class HttpClient(unittest.TestCase):
    def test_a_chunked_next_response_is_read_whole_on_a_kept_alive_connection(self):
        with socketserver.TCPServer(("127.0.0.1", 0), ChunkedServer) as server:
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            api = bootstrap.RuntimeAPI("127.0.0.1:%d" % server.server_address[1])
            for _ in range(2):
                invocation = api.next()
                self.assertEqual(invocation.request_id, "abc")
                self.assertEqual(invocation.deadline_ms, 99)
                self.assertEqual(json.loads(invocation.body), {"chunked": True})
            api._connection.close()  # the one-connection server waits on it otherwise
            server.shutdown()


if __name__ == "__main__":
    unittest.main()
