#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# mitmtls -- a man in the middle for tests: terminates TLS with its own
# certificate, as an attacker's proxy on the path would, and records for
# each connection whether the handshake finished and how many bytes of
# application data the device then sent (one line in PORT_FILE.log).
# usage: mitmtls.py CERT KEY PORT_FILE
import os
import socket
import ssl
import sys

CERT, KEY, PORT_FILE = sys.argv[1:4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
ctx.set_alpn_protocols(["http/1.1"])
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(16)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(srv.getsockname()[1]))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
while True:
    c, _ = srv.accept()
    c.settimeout(10)
    hs, n = "failed", 0
    try:
        t = ctx.wrap_socket(c, server_side=True)
        hs = "done"
        while True:
            d = t.recv(65536)
            if not d:
                break
            n += len(d)
    except (OSError, ssl.SSLError):
        pass
    with open(PORT_FILE + ".log", "a") as f:
        f.write("handshake=%s app_bytes=%d\n" % (hs, n))
    c.close()
