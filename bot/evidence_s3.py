"""Evidence files in S3-compatible object storage (MinIO, Ceph, a cloud provider's S3).

Path-style addresses (`{url}/{bucket}/{key}`), requests signed with AWS Signature
Version 4, bodies encrypted with the same `Cipher` as the local store, so the storage
provider never holds readable evidence. Synchronous: the handlers call the store from
the worker thread that handles a message.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from urllib.parse import quote

import httpx

from storage.crypto import Cipher
from storage.evidence import EvidenceNotFound

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


class EvidenceStoreError(Exception):
    """The object storage refused or failed a request (the message has no credentials)."""


def sign_v4(
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    payload_sha256: str,
    access_key: str,
    secret_key: str,
    region: str,
    service: str,
    now: dt.datetime,
) -> dict[str, str]:
    """The request's headers plus `x-amz-date` and `Authorization` (SigV4, header-based)."""
    parsed = httpx.URL(url)
    amz_date = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    canonical = {k.lower(): " ".join(str(v).split()) for k, v in headers.items()}
    canonical["host"] = parsed.netloc.decode("ascii")
    canonical["x-amz-date"] = amz_date
    names = sorted(canonical)
    query = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in parsed.params.multi_items())
    request = "\n".join(
        [
            method.upper(),
            quote(parsed.path or "/", safe="/-_.~"),
            "&".join(f"{k}={v}" for k, v in query),
            "".join(f"{n}:{canonical[n]}\n" for n in names),
            ";".join(names),
            payload_sha256,
        ]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(request.encode()).hexdigest()])
    key = ("AWS4" + secret_key).encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return {
        **headers,
        "x-amz-date": amz_date,
        "Authorization": (
            f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
            f"SignedHeaders={';'.join(names)}, Signature={signature}"
        ),
    }


class S3EvidenceStore:
    def __init__(
        self,
        *,
        url: str,
        bucket: str,
        region: str,
        access_key: str,
        secret_key: str,
        cipher: Cipher,
        client: httpx.Client | None = None,
    ) -> None:
        self.base = f"{url.rstrip('/')}/{bucket}"
        self.region = region
        self._access_key = access_key
        self._secret_key = secret_key
        self.cipher = cipher
        self.client = client or httpx.Client(timeout=30)

    def put(self, data: bytes, *, name: str, mime: str) -> str:
        now = dt.datetime.now(dt.UTC)
        key = f"{now:%Y}/{now:%m}/{secrets.token_hex(16)}"
        self._put_raw(key, self.cipher.encrypt_bytes(data))
        return key

    def get(self, key: str) -> bytes:
        return self.cipher.decrypt_bytes(self._get_raw(key))

    def delete(self, key: str) -> None:
        res = self._request("DELETE", f"{self.base}/{key}")
        if res.status_code not in (200, 204, 404):
            raise EvidenceStoreError(f"DELETE answered {res.status_code}")

    def keys(self) -> Iterator[str]:
        token: str | None = None
        while True:
            params = {"list-type": "2"} | ({"continuation-token": token} if token else {})
            res = self._request("GET", str(httpx.URL(self.base + "/", params=params)))
            if res.status_code != 200:
                raise EvidenceStoreError(f"listing answered {res.status_code}")
            root = ET.fromstring(res.content)
            for item in root.iter(f"{_S3_NS}Key"):
                yield item.text or ""
            token = root.findtext(f"{_S3_NS}NextContinuationToken")
            if root.findtext(f"{_S3_NS}IsTruncated") != "true" or not token:
                return

    def rotate(self, cipher: Cipher) -> int:
        """Re-encrypt every object with the current key (part of `canhgiac secrets rotate`)."""
        count = 0
        for key in list(self.keys()):
            self._put_raw(key, cipher.rotate_bytes(self._get_raw(key)))
            count += 1
        return count

    def _put_raw(self, key: str, body: bytes) -> None:
        headers = {"content-type": "application/octet-stream"}
        res = self._request("PUT", f"{self.base}/{key}", body=body, headers=headers)
        if res.status_code != 200:
            raise EvidenceStoreError(f"PUT answered {res.status_code}")

    def _get_raw(self, key: str) -> bytes:
        res = self._request("GET", f"{self.base}/{key}")
        if res.status_code == 404:
            raise EvidenceNotFound(key)
        if res.status_code != 200:
            raise EvidenceStoreError(f"GET answered {res.status_code}")
        return res.content

    def _request(
        self, method: str, url: str, *, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> httpx.Response:
        digest = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
        signed = sign_v4(
            method=method,
            url=url,
            headers={**(headers or {}), "x-amz-content-sha256": digest},
            payload_sha256=digest,
            access_key=self._access_key,
            secret_key=self._secret_key,
            region=self.region,
            service="s3",
            now=dt.datetime.now(dt.UTC),
        )
        try:
            return self.client.request(method, url, content=body or None, headers=signed)
        except httpx.HTTPError as exc:
            raise EvidenceStoreError(f"{method} failed: {type(exc).__name__}") from exc
