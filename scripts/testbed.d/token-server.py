#!/usr/bin/env python3
"""Bearer-token server for the test fleet's token-auth registry (scripts/testbed, port 5003).

Implements the Docker registry token protocol well enough for docker, buildkit, buildah, skopeo,
curl and the coordinator's own client:

- ``GET /token?service=S&scope=repository:NAME:pull,push`` with HTTP Basic credentials;
- ``POST /token`` (OAuth2 form: ``grant_type=password``, ``username``, ``password``, ``service``,
  ``scope``), which containerd/buildkit try first.

Requests without valid credentials get 401. Authenticated users get every action they ask for.
Tokens are RS256 JWTs whose header carries the signing certificate in ``x5c``; the registry trusts
that certificate through ``auth.token.rootcertbundle``.

Test fixture only: it listens on 127.0.0.1 and its credentials come from a file, never argv.
"""

import argparse
import base64
import hmac
import json
import os
import secrets
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

TOKEN_LIFETIME = 300


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class Signer:
    def __init__(self, cert_path: str, key_path: str, issuer: str):
        with open(cert_path, "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
        with open(key_path, "rb") as f:
            self.key = serialization.load_pem_private_key(f.read(), password=None)
        self.x5c = [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")]
        self.issuer = issuer

    def token(self, subject: str, service: str, access: list) -> str:
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": self.x5c}
        claims = {
            "iss": self.issuer, "sub": subject, "aud": service,
            "exp": now + TOKEN_LIFETIME, "nbf": now - 10, "iat": now,
            "jti": secrets.token_hex(16), "access": access,
        }
        signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        signature = self.key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + b64url(signature)


def parse_scopes(scopes: list) -> list:
    """`repository:team/app:pull,push` (several per parameter, space separated) -> access claims."""
    access = []
    for scope in " ".join(scopes).split():
        kind, _, rest = scope.partition(":")
        name, _, actions = rest.rpartition(":")
        if kind and name and actions:
            access.append({"type": kind, "name": name, "actions": [a for a in actions.split(",") if a]})
    return access


class Handler(BaseHTTPRequestHandler):
    server_version = "coordinator-testbed-token/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.log_date_time_string(), fmt % args))

    def reply(self, status: int, body: dict, headers: dict = None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def valid(self, user: str, password: str) -> bool:
        ok_user = hmac.compare_digest(user.encode(), self.server.user.encode())
        ok_password = hmac.compare_digest(password.encode(), self.server.password.encode())
        return ok_user and ok_password

    def basic_credentials(self):
        header = self.headers.get("Authorization", "")
        if not header.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except ValueError:
            return None
        return user, password

    def issue(self, user: str, service: str, scopes: list, oauth: bool):
        if service != self.server.service:
            self.reply(400, {"error": "invalid_request",
                             "error_description": f"unknown service {service!r}; use {self.server.service!r}"})
            return
        token = self.server.signer.token(user, service, parse_scopes(scopes))
        body = {"access_token": token, "expires_in": TOKEN_LIFETIME,
                "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        if not oauth:
            body["token"] = token
        self.reply(200, body)

    def unauthorized(self):
        self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "valid credentials are required"}]},
                   {"WWW-Authenticate": 'Basic realm="coordinator-testbed-token"'})

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/healthz":
            self.reply(200, {"ok": True})
            return
        if url.path != "/token":
            self.reply(404, {"error": "not_found"})
            return
        query = parse_qs(url.query)
        creds = self.basic_credentials()
        if creds is None or not self.valid(*creds):
            self.unauthorized()
            return
        self.issue(creds[0], query.get("service", [""])[0], query.get("scope", []), oauth=False)

    def do_POST(self):
        url = urlsplit(self.path)
        if url.path != "/token":
            self.reply(404, {"error": "not_found"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode("utf-8"))
        field = lambda name: form.get(name, [""])[0]
        if field("grant_type") != "password":
            self.reply(400, {"error": "unsupported_grant_type"})
            return
        if not self.valid(field("username"), field("password")):
            self.reply(401, {"error": "invalid_grant"})
            return
        self.issue(field("username"), field("service"), form.get("scope", []), oauth=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1:5003")
    parser.add_argument("--cert", required=True, help="PEM certificate sent in the x5c header")
    parser.add_argument("--key", required=True, help="PEM RSA private key that signs tokens")
    parser.add_argument("--credentials", required=True, help="file holding one line: user:password")
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--service", required=True)
    args = parser.parse_args()

    host, _, port = args.listen.rpartition(":")
    if not host.startswith("127."):
        parser.error("--listen must be a 127.0.0.0/8 address")
    with open(args.credentials, encoding="utf-8") as f:
        user, _, password = f.read().strip().partition(":")
    server = ThreadingHTTPServer((host, int(port)), Handler)
    server.daemon_threads = True
    server.signer = Signer(args.cert, args.key, args.issuer)
    server.user, server.password, server.service = user, password, args.service
    sys.stderr.write(f"token server on http://{args.listen}/token (pid {os.getpid()})\n")
    sys.stderr.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
