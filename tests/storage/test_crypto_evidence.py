"""The cipher and the local evidence store."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from storage.crypto import Cipher, CipherError, rotate_json
from storage.evidence import EvidenceNotFound, LocalEvidenceStore


def test_cipher_round_trip_and_rotation() -> None:
    old, new = Cipher.generate_key(), Cipher.generate_key()
    token = Cipher([old]).encrypt("Nguyễn Văn A, 0912000111")
    assert token is not None and "0912" not in token
    both = Cipher([new, old])
    assert both.decrypt(token) == "Nguyễn Văn A, 0912000111"
    rotated = both.rotate(token)
    assert Cipher([new]).decrypt(rotated) == "Nguyễn Văn A, 0912000111"
    with pytest.raises(CipherError):
        Cipher([new]).decrypt(token)
    assert Cipher([new]).encrypt(None) is None and Cipher([new]).decrypt(None) is None


def test_rotate_json_touches_only_tokens() -> None:
    old, new = Cipher.generate_key(), Cipher.generate_key()
    data = {"story": Cipher([old]).encrypt("x"), "n": 3, "list": ["gAAAAAnot-a-token", "plain"]}
    rotated, count = rotate_json(Cipher([new, old]), data)
    assert count == 1 and rotated["n"] == 3 and rotated["list"] == data["list"]
    assert Cipher([new]).decrypt(rotated["story"]) == "x"


def test_a_key_never_reaches_a_file_outside_the_folder(tmp_path: Path) -> None:
    outside = tmp_path / "2026" / "hoso.txt"
    outside.parent.mkdir()
    outside.write_bytes(b"not evidence")
    store = LocalEvidenceStore(tmp_path / "evidence")
    for key in ("../2026/hoso.txt", str(outside), "2026/01/../../../2026/hoso.txt"):
        with pytest.raises(EvidenceNotFound):
            store.get(key)
        with pytest.raises(EvidenceNotFound):
            store.delete(key)
    assert outside.read_bytes() == b"not evidence"


def test_local_store_encrypts_and_guards_its_folder(tmp_path: Path) -> None:
    store = LocalEvidenceStore(tmp_path, Cipher([Cipher.generate_key()]))
    key = store.put(b"\x89PNG secret picture", name="../../etc/passwd", mime="image/png")
    path = tmp_path / key
    assert path.is_file() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"secret picture" not in path.read_bytes()
    assert store.get(key) == b"\x89PNG secret picture"
    assert list(store.keys()) == [key]
    with pytest.raises(EvidenceNotFound):
        store.get("../../etc/passwd")
    store.delete(key)
    store.delete(key)  # twice is fine
    with pytest.raises(EvidenceNotFound):
        store.get(key)
