"""A tiny S3-compatible server: path-style PUT/GET/DELETE and ListObjectsV2, checking SigV4.

It checks what a real server checks: the credential scope, that the body matches
x-amz-content-sha256, and the signature, recomputed here from the request as received.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit

ACCESS_KEY = "AKIDFAKE"
SECRET_KEY = "fake/secret+key"
BUCKET = "evidence"
_AUTH = re.compile(
    r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/s3/aws4_request, "
    r"SignedHeaders=([a-z0-9;\-]+), Signature=([0-9a-f]{64})"
)


class FakeS3:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.rejected = 0
        self.url = ""

    def verify(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> bool:
        match = _AUTH.fullmatch(headers.get("authorization", ""))
        if not match or match[1] != ACCESS_KEY:
            return False
        day, region, signed, signature = match[2], match[3], match[4], match[5]
        if headers.get("x-amz-content-sha256") != hashlib.sha256(body).hexdigest():
            return False
        pairs = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in parse_qsl(query))
        canonical = "\n".join(
            [
                method,
                quote(path, safe="/-_.~"),
                "&".join(f"{k}={v}" for k, v in pairs),
                "".join(f"{name}:{' '.join(headers.get(name, '').split())}\n" for name in signed.split(";")),
                signed,
                headers["x-amz-content-sha256"],
            ]
        )
        scope = f"{day}/{region}/s3/aws4_request"
        to_sign = (
            f"AWS4-HMAC-SHA256\n{headers.get('x-amz-date', '')}\n{scope}\n"
            + hashlib.sha256(canonical.encode()).hexdigest()
        )
        key = f"AWS4{SECRET_KEY}".encode()
        for part in (day, region, "s3", "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        return hmac.compare_digest(hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest(), signature)


def _handler(fake: FakeS3) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            if not fake.verify(self.command, parts.path, parts.query, headers, body):
                fake.rejected += 1
                return self._answer(403, b"<Error><Code>SignatureDoesNotMatch</Code></Error>")
            prefix = f"/{BUCKET}/"
            if not parts.path.startswith(prefix):
                return self._answer(404, b"<Error><Code>NoSuchBucket</Code></Error>")
            key = parts.path[len(prefix) :]
            if self.command == "PUT":
                fake.objects[key] = body
                return self._answer(200, b"")
            if self.command == "DELETE":
                fake.objects.pop(key, None)
                return self._answer(204, b"")
            if key == "" and "list-type=2" in parts.query:
                items = "".join(f"<Contents><Key>{k}</Key></Contents>" for k in sorted(fake.objects))
                xml = (
                    '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                    f"<IsTruncated>false</IsTruncated>{items}</ListBucketResult>"
                )
                return self._answer(200, xml.encode())
            if key in fake.objects:
                return self._answer(200, fake.objects[key])
            return self._answer(404, b"<Error><Code>NoSuchKey</Code></Error>")

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_PUT = do_DELETE = _serve

    return Handler


@contextmanager
def running_fake_s3() -> Iterator[FakeS3]:
    fake = FakeS3()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
