#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# answerproxy -- an HTTP proxy on the path between a device and the district
# that tampers with the district's answers, as DESIGN §11's attacker would:
#   strip   drops the Dansync-Signature header
#   acked   raises the answer's "acked" by one (a small msgpack uint)
#   old     hands back the first signed answer it saw, to every later request
#   capture keeps the request (PORT_FILE.body, and its headers one per line
#           in PORT_FILE.hdr) and answers 503 without forwarding it
# usage: answerproxy.py MODE TARGET_PORT PORT_FILE
import http.client
import http.server
import sys

MODE, TARGET, PORT_FILE = sys.argv[1], int(sys.argv[2]), sys.argv[3]
KEEP = {}


def tamper(body):
    key = b"\xa5acked"
    at = body.find(key)
    if at >= 0 and body[at + len(key)] < 0x7F:
        v = at + len(key)
        body = body[:v] + bytes([body[v] + 1]) + body[v + 1:]
    return body


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        req = self.rfile.read(n)
        if MODE == "capture":
            with open(PORT_FILE + ".body", "wb") as f:
                f.write(req)
            with open(PORT_FILE + ".hdr", "w") as f:
                for k, v in self.headers.items():
                    if k.lower().startswith("dansync-"):
                        f.write("%s: %s\n" % (k, v))
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        up = http.client.HTTPConnection("127.0.0.1", TARGET, timeout=30)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        up.request("POST", self.path, body=req, headers=hdrs)
        r = up.getresponse()
        body, rh = r.read(), r.getheaders()
        if r.status == 200 and MODE == "old":
            if "answer" in KEEP:
                body, rh = KEEP["answer"]
            else:
                KEEP["answer"] = (body, rh)
        self.send_response(r.status)
        for k, v in rh:
            if k.lower() in ("content-length", "connection"):
                continue
            if MODE == "strip" and k.lower() == "dansync-signature":
                continue
            self.send_header(k, v)
        if r.status == 200 and MODE == "acked":
            body = tamper(body)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(PORT_FILE + ".tmp", PORT_FILE)
srv.serve_forever()
