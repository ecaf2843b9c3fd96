"""Evidence in S3-compatible storage: SigV4 against AWS's published examples, then a fake server."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.evidence_s3 import EMPTY_SHA256, EvidenceStoreError, S3EvidenceStore, sign_v4
from storage.crypto import Cipher
from storage.evidence import EvidenceNotFound
from tests.fakes.s3 import ACCESS_KEY, BUCKET, SECRET_KEY, running_fake_s3


def test_signature_matches_the_sigv4_test_suite_get_vanilla() -> None:
    headers = sign_v4(
        method="GET",
        url="https://example.amazonaws.com/",
        headers={},
        payload_sha256=EMPTY_SHA256,
        access_key="AKIDEXAMPLE",
        secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        region="us-east-1",
        service="service",
        now=dt.datetime(2015, 8, 30, 12, 36, tzinfo=dt.UTC),
    )
    assert headers["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    )


def test_signature_matches_the_s3_documentation_get_object_example() -> None:
    headers = sign_v4(
        method="GET",
        url="https://examplebucket.s3.amazonaws.com/test.txt",
        headers={"Range": "bytes=0-9", "x-amz-content-sha256": EMPTY_SHA256},
        payload_sha256=EMPTY_SHA256,
        access_key="AKIAIOSFODNN7EXAMPLE",
        secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        region="us-east-1",
        service="s3",
        now=dt.datetime(2013, 5, 24, tzinfo=dt.UTC),
    )
    assert headers["Authorization"].endswith(
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )


def _store(url: str, cipher: Cipher, secret: str = SECRET_KEY) -> S3EvidenceStore:
    return S3EvidenceStore(
        url=url, bucket=BUCKET, region="us-east-1", access_key=ACCESS_KEY, secret_key=secret, cipher=cipher
    )


def test_put_get_delete_and_rotate_on_a_fake_s3() -> None:
    old, new = Cipher.generate_key(), Cipher.generate_key()
    with running_fake_s3() as fake:
        store = _store(fake.url, Cipher([old]))
        key = store.put(b"%PDF-1.4 bien lai", name="bienlai.pdf", mime="application/pdf")
        assert b"bien lai" not in fake.objects[key]  # encrypted before it leaves
        assert store.get(key) == b"%PDF-1.4 bien lai"
        assert list(store.keys()) == [key]
        assert _store(fake.url, Cipher([new, old])).rotate(Cipher([new, old])) == 1
        assert _store(fake.url, Cipher([new])).get(key) == b"%PDF-1.4 bien lai"
        store.delete(key)
        store.delete(key)
        with pytest.raises(EvidenceNotFound):
            store.get(key)
        assert fake.rejected == 0
        with pytest.raises(EvidenceStoreError) as info:
            _store(fake.url, Cipher([old]), secret="wrong").put(b"x", name="x", mime="x")
        assert fake.rejected == 1 and "wrong" not in str(info.value)
