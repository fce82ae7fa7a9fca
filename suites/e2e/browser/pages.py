"""Serves this folder on 127.0.0.1 (an ephemeral port, written to the file named by argv[1]),
for the browser test of CORS: the page's origin is this server's."""
import http.server
import os
import socketserver
import sys


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


os.chdir(os.path.dirname(os.path.abspath(__file__)))
with socketserver.TCPServer(("127.0.0.1", 0), Quiet) as server:
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    server.serve_forever()
