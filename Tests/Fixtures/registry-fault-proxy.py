#!/usr/bin/env python3
"""A registry proxy that misbehaves on purpose, for the registry client's integration tests.

Forwards every request to UPSTREAM (a plain-HTTP registry) and injects faults:
  --fail-first N --fail-status S   the first N requests for each METHOD+path get status S (Retry-After: R for 429)
  --drop-first N                   the first N requests for each METHOD+path get the connection closed, no answer
  --fault-path TEXT                the two above and the content and digest faults only for paths containing TEXT
                                   (default: every path)
  --fault-method METHOD            ... and only for requests with this method (default: every method)
  --fault-user-agent TEXT          ... and only for requests whose User-Agent contains TEXT (default: every client)
  --hold-dir DIR                   the first faultable request is held: DIR/held is written, and the request waits until
                                   DIR/release exists (at most 60 s), then goes on (a test restarts the registry meanwhile)
  --wrong-digest                   manifest answers carry a Docker-Content-Digest that is not theirs
  --no-digest                      answers carry no Docker-Content-Digest (as some registries and proxies send them)
  --corrupt-body                   manifest and blob answers get one byte changed; headers (Docker-Content-Digest) stay
  --malformed-json                 manifest GETs answer 200 with truncated JSON whose Docker-Content-Digest is right
  --oversized-body BYTES           manifest and blob GETs answer 200 with BYTES of JSON-looking filler
  --chunked                        ... sent chunked, without Content-Length
  --oversized-error BYTES          faultable requests answer 400 with an error body of BYTES (not JSON, with control bytes)
  --basic-auth USER:PASSWORD       every request to the main listener needs these credentials (401 Basic otherwise)
  --redirect-blobs                 blob GETs are redirected (307) to a second listener on REDIRECT_HOST
An upstream that refuses the connection (a registry that is down) drops the client's connection, as a registry that
died would. Listens on 127.0.0.1 and REDIRECT_HOST (both ephemeral ports) and writes {"port":…, "redirectPort":…} to
--ready-file. Each request is logged as one JSON line in --log: listener, method, path, authorization (bool), status.
Only loopback addresses are used. Stops on SIGTERM.
"""
import argparse
import base64
import hashlib
import http.client
import json
import os
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

args = None
counts = {}
lock = threading.Lock()


def log(entry):
    with lock, open(args.log, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")


held = False


def hold_once():
    global held
    with lock:
        first, held = not held, True
        return first


def attempt_number(key):
    with lock:
        counts[key] = counts.get(key, 0) + 1
        return counts[key]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    listener = "main"

    def log_message(self, *_):
        pass

    def read_body(self):
        """The request body, whether sent with Content-Length or chunked (as Docker sends layer uploads)."""
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""
        body = b""
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return body
            body += self.rfile.read(size)
            self.rfile.readline()

    def handle_any(self):
        chunked = self.headers.get("Transfer-Encoding", "").lower() == "chunked"
        body = self.read_body()
        authorization = self.headers.get("Authorization")
        entry = {"listener": self.listener, "method": self.command, "path": self.path,
                 "authorization": authorization is not None}
        if self.listener == "main":
            if args.basic_auth and authorization != "Basic " + base64.b64encode(args.basic_auth.encode()).decode():
                return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"proxy needs basic auth"}]}',
                                  {"WWW-Authenticate": 'Basic realm="fault-proxy"'}, entry)
            faultable = (args.fault_path in self.path and args.fault_method in ("", self.command)
                         and args.fault_user_agent in (self.headers.get("User-Agent") or ""))
            number = attempt_number(self.command + " " + self.path) if faultable else 1 << 30
            if number <= args.drop_first:
                return self.drop(entry, "dropped")
            if number <= args.drop_first + args.fail_first:
                headers = {"Retry-After": str(args.retry_after)} if args.fail_status == 429 else {}
                return self.reply(args.fail_status, b'{"errors":[{"code":"UNAVAILABLE","message":"injected"}]}',
                                  headers, entry)
            if faultable and args.hold_dir and hold_once():
                self.hold()
            if faultable and args.oversized_error:
                filler = b"\x1b[31mregistry exploded\x00\x07 " * (args.oversized_error // 28 + 1)
                return self.reply(400, filler[:args.oversized_error], {"Content-Type": "text/plain"}, entry)
            content = faultable and self.command == "GET" and ("/manifests/" in self.path or "/blobs/sha256:" in self.path)
            if content and args.oversized_body:
                return self.oversized(entry)
            if content and args.malformed_json and "/manifests/" in self.path:
                broken = b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"dig'
                return self.reply(200, broken, {"Content-Type": "application/vnd.oci.image.index.v1+json",
                                                "Docker-Content-Digest": "sha256:" + hashlib.sha256(broken).hexdigest()},
                                  entry)
            if args.redirect_blobs and self.command == "GET" and "/blobs/sha256:" in self.path:
                location = f"http://{args.redirect_host}:{redirect_port}{self.path}"
                return self.reply(307, b"", {"Location": location}, entry)
        else:
            content = faultable = False
        upstream = http.client.HTTPConnection(args.upstream, timeout=30)
        headers = {}
        for name, value in self.headers.items():
            if name.lower() not in ("authorization", "connection", "transfer-encoding"):
                # Docker sends one Accept line per media type: keep them all, or the registry falls back to schema 1.
                headers[name] = headers[name] + ", " + value if name in headers else value
        if chunked:
            headers["Content-Length"] = str(len(body))
        try:
            upstream.request(self.command, self.path, body=body or None, headers=headers)
            response = upstream.getresponse()
            payload = response.read()
        except OSError:
            upstream.close()
            return self.drop(entry, "upstream-down")
        reply_headers = {k: v for k, v in response.getheaders()
                         if k.lower() not in ("content-length", "connection", "transfer-encoding")}
        if args.wrong_digest and faultable and "/manifests/" in self.path and "Docker-Content-Digest" in reply_headers:
            reply_headers["Docker-Content-Digest"] = "sha256:" + "0" * 64
        if args.no_digest and faultable:
            reply_headers.pop("Docker-Content-Digest", None)
        if content and args.corrupt_body and response.status == 200 and payload:
            payload = payload[:-1] + bytes([payload[-1] ^ 0x20])
        self.reply(response.status, payload if self.command != "HEAD" else b"", reply_headers, entry,
                   length=int(response.getheader("Content-Length") or len(payload)))
        upstream.close()

    def drop(self, entry, status):
        log({**entry, "status": status})
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def hold(self):
        with open(os.path.join(args.hold_dir, "held"), "w", encoding="utf-8") as handle:
            handle.write(self.command + " " + self.path)
        release = os.path.join(args.hold_dir, "release")
        deadline = time.monotonic() + 60
        while not os.path.exists(release) and time.monotonic() < deadline:
            time.sleep(0.02)

    def oversized(self, entry):
        log({**entry, "status": 200})
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
        if args.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(args.oversized_body))
        self.end_headers()
        piece = b'{"filler":"' + b"x" * 65500 + b'"},'
        sent = 0
        try:
            while sent < args.oversized_body:
                chunk = piece[:args.oversized_body - sent]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if args.chunked else chunk)
                sent += len(chunk)
            if args.chunked:
                self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass  # the client stopped reading at its limit, as it should
        self.close_connection = True

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
    parser.add_argument("--fault-path", default="")
    parser.add_argument("--fault-method", default="")
    parser.add_argument("--fault-user-agent", default="")
    parser.add_argument("--hold-dir")
    parser.add_argument("--wrong-digest", action="store_true")
    parser.add_argument("--no-digest", action="store_true")
    parser.add_argument("--corrupt-body", action="store_true")
    parser.add_argument("--malformed-json", action="store_true")
    parser.add_argument("--oversized-body", type=int, default=0)
    parser.add_argument("--chunked", action="store_true")
    parser.add_argument("--oversized-error", type=int, default=0)
    parser.add_argument("--basic-auth")
    parser.add_argument("--redirect-blobs", action="store_true")
    parser.add_argument("--ready-file", required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    # A test runner may start this with SIGTERM ignored or blocked (both are inherited): take it back.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    assert args.upstream.startswith("127.") or args.upstream.startswith("localhost"), "loopback only"
    assert args.redirect_host.startswith("127."), "loopback only"
    main_server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    redirect_server = ThreadingHTTPServer((args.redirect_host, 0), RedirectHandler)
    redirect_port = redirect_server.server_address[1]
    threading.Thread(target=redirect_server.serve_forever, daemon=True).start()
    with open(args.ready_file + ".tmp", "w", encoding="utf-8") as handle:
        json.dump({"port": main_server.server_address[1], "redirectPort": redirect_port}, handle)
    os.rename(args.ready_file + ".tmp", args.ready_file)
    main_server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
