"""Calls InvokeWithResponseStream on an endpoint and reads the event stream with a reader of its
own (the standard library's CRC-32, nothing of lambdacheck's), printing one JSON object per
message: {"event", "payload", "arrived_before_end"}. Usage:
    python3 read_eventstream.py URL FUNCTION [PAYLOAD [SIGNAL_FILE]]
When SIGNAL_FILE is given it is created once the first PayloadChunk has arrived, so that a
function waiting for it can go on (see fixtures/functions/node-probes/streaming.mjs)."""

import binascii
import http.client
import json
import struct
import sys
import urllib.parse

url, function = sys.argv[1], sys.argv[2]
payload = sys.argv[3].encode() if len(sys.argv) > 3 else b"{}"
signal_file = sys.argv[4] if len(sys.argv) > 4 else None

parts = urllib.parse.urlsplit(url)
conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
conn.request("POST", "/2021-11-15/functions/%s/response-streaming-invocations" % function,
             body=payload, headers={"Content-Type": "application/json", "X-Amz-Log-Type": "Tail"})
response = conn.getresponse()
print(json.dumps({"status": response.status,
                  "content_type": response.getheader("Content-Type")}), flush=True)


def read_exactly(n):
    data = b""
    while len(data) < n:
        more = response.read1(n - len(data))  # what has arrived, without waiting for the end
        if not more:
            raise SystemExit("the stream ended inside a message")
        data += more
    return data


def headers_of(raw):
    out, at = {}, 0
    while at < len(raw):
        n = raw[at]
        name = raw[at + 1:at + 1 + n].decode()
        kind = raw[at + 1 + n]
        if kind != 7:
            raise SystemExit("header %s has type %d, not a string" % (name, kind))
        (length,) = struct.unpack(">H", raw[at + 2 + n:at + 4 + n])
        out[name] = raw[at + 4 + n:at + 4 + n + length].decode()
        at += 4 + n + length
    return out


while True:
    prelude = response.read1(12) if not response.isclosed() else b""
    if not prelude:
        break
    prelude += read_exactly(12 - len(prelude)) if len(prelude) < 12 else b""
    total, headers_len, prelude_crc = struct.unpack(">III", prelude)
    if binascii.crc32(prelude[:8]) != prelude_crc:
        raise SystemExit("prelude CRC mismatch")
    rest = read_exactly(total - 12)
    if binascii.crc32(prelude + rest[:-4]) != struct.unpack(">I", rest[-4:])[0]:
        raise SystemExit("message CRC mismatch")
    headers = headers_of(rest[:headers_len])
    body = rest[headers_len:-4]
    print(json.dumps({"event": headers.get(":event-type"),
                      "message_type": headers.get(":message-type"),
                      "payload": body.decode("utf-8", "replace")}), flush=True)
    if signal_file and headers.get(":event-type") == "PayloadChunk":
        open(signal_file, "w").close()
        signal_file = None
