#!/usr/bin/env python3
"""replay_server.py - serve kept fuzz inputs as backend response bodies.

POST /api/generate with {"model": NAME} answers 200 with the bytes of
DIR/fuzz_ollama_stream/NAME as application/x-ndjson; POST
/v1beta/models/NAME:streamGenerateContent answers 200 with the bytes of
DIR/fuzz_gemini_sse/NAME as text/event-stream. Anything else is a 404.
The port is written to --port-file once the server listens.
"""
import argparse
import http.server
import json
import os
import re
import signal
import socketserver


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def body_of(self, sub, name):
        if not re.fullmatch(r"[A-Za-z0-9._-]+", name or ""):
            return None
        path = os.path.join(self.server.dir, sub, name)
        if not os.path.isfile(path):
            return None
        with open(path, "rb") as f:
            return f.read()

    def send(self, status, ctype, data):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        data, ctype = None, None
        path = self.path.split("?")[0]
        if path == "/api/generate":
            try:
                model = json.loads(raw).get("model", "")
            except (ValueError, AttributeError):
                model = ""
            data = self.body_of("fuzz_ollama_stream", model.split(":")[0])
            ctype = "application/x-ndjson"
        else:
            m = re.fullmatch(r"/v1beta/models/([^/:]+):streamGenerateContent",
                             path)
            if m:
                data = self.body_of("fuzz_gemini_sse", m.group(1))
                ctype = "text/event-stream"
        if data is None:
            self.send(404, "application/json", b'{"error":"not found"}')
        else:
            self.send(200, ctype, data)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port-file", required=True)
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda s, f: os._exit(0))
    srv = Server(("127.0.0.1", 0), Handler)
    srv.dir = a.dir
    with open(a.port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(a.port_file + ".tmp", a.port_file)
    srv.serve_forever(poll_interval=0.2)


if __name__ == "__main__":
    main()
