#!/usr/bin/env python3
"""A registry proxy that misbehaves on purpose, for the registry client's integration tests.

Forwards every request to UPSTREAM (a plain-HTTP registry) and injects faults:
  --fail-first N --fail-status S   the first N requests for each METHOD+path get status S (Retry-After: R for 429)
  --drop-first N                   the first N requests for each METHOD+path get the connection closed, no answer
  --wrong-digest                   manifest answers carry a Docker-Content-Digest that is not theirs
  --basic-auth USER:PASSWORD       every request to the main listener needs these credentials (401 Basic otherwise)
  --redirect-blobs                 blob GETs are redirected (307) to a second listener on REDIRECT_HOST
Listens on 127.0.0.1 and REDIRECT_HOST (both ephemeral ports) and writes {"port":…, "redirectPort":…} to
--ready-file. Each request is logged as one JSON line in --log: listener, method, path, authorization (bool), status.
Only loopback addresses are used. Stops on SIGTERM.
"""
import argparse
import base64
import http.client
import json
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

args = None
counts = {}
lock = threading.Lock()


def log(entry):
    with lock, open(args.log, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")


def attempt_number(key):
    with lock:
        counts[key] = counts.get(key, 0) + 1
        return counts[key]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    listener = "main"

    def log_message(self, *_):
        pass

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        authorization = self.headers.get("Authorization")
        entry = {"listener": self.listener, "method": self.command, "path": self.path,
                 "authorization": authorization is not None}
        if self.listener == "main":
            if args.basic_auth and authorization != "Basic " + base64.b64encode(args.basic_auth.encode()).decode():
                return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"proxy needs basic auth"}]}',
                                  {"WWW-Authenticate": 'Basic realm="fault-proxy"'}, entry)
            number = attempt_number(self.command + " " + self.path)
            if number <= args.drop_first:
                log({**entry, "status": "dropped"})
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if number <= args.drop_first + args.fail_first:
                headers = {"Retry-After": str(args.retry_after)} if args.fail_status == 429 else {}
                return self.reply(args.fail_status, b'{"errors":[{"code":"UNAVAILABLE","message":"injected"}]}',
                                  headers, entry)
            if args.redirect_blobs and self.command == "GET" and "/blobs/sha256:" in self.path:
                location = f"http://{args.redirect_host}:{redirect_port}{self.path}"
                return self.reply(307, b"", {"Location": location}, entry)
        upstream = http.client.HTTPConnection(args.upstream, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("authorization", "connection")}
        upstream.request(self.command, self.path, body=body or None, headers=headers)
        response = upstream.getresponse()
        payload = response.read()
        reply_headers = {k: v for k, v in response.getheaders()
                         if k.lower() not in ("content-length", "connection", "transfer-encoding")}
        if args.wrong_digest and "/manifests/" in self.path and "Docker-Content-Digest" in reply_headers:
            reply_headers["Docker-Content-Digest"] = "sha256:" + "0" * 64
        self.reply(response.status, payload if self.command != "HEAD" else b"", reply_headers, entry,
                   length=int(response.getheader("Content-Length") or len(payload)))
        upstream.close()

    def reply(self, status, payload, headers, entry, length=None):
        log({**entry, "status": status})
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload) if length is None else length))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any


class RedirectHandler(Handler):
    listener = "redirect"


def main():
    global args, redirect_port
    parser = argparse.ArgumentParser()
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--redirect-host", default="127.0.0.9")
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--fail-status", type=int, default=503)
    parser.add_argument("--retry-after", type=int, default=0)
    parser.add_argument("--drop-first", type=int, default=0)
    parser.add_argument("--wrong-digest", action="store_true")
    parser.add_argument("--basic-auth")
    parser.add_argument("--redirect-blobs", action="store_true")
    parser.add_argument("--ready-file", required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    assert args.upstream.startswith("127.") or args.upstream.startswith("localhost"), "loopback only"
    assert args.redirect_host.startswith("127."), "loopback only"
    main_server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    redirect_server = ThreadingHTTPServer((args.redirect_host, 0), RedirectHandler)
    redirect_port = redirect_server.server_address[1]
    threading.Thread(target=redirect_server.serve_forever, daemon=True).start()
    with open(args.ready_file + ".tmp", "w", encoding="utf-8") as handle:
        json.dump({"port": main_server.server_address[1], "redirectPort": redirect_port}, handle)
    import os
    os.rename(args.ready_file + ".tmp", args.ready_file)
    main_server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
