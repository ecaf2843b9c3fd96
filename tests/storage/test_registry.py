"""The registry on SQLite and PostgreSQL: confirmations add up, look-ups return counts."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from storage import registry
from storage.db import transaction
from storage.registry import RegistryReader, RegistryRow


def test_confirm_adds_reports_and_lookup_counts(engine: Engine) -> None:
    with transaction(engine) as session:
        registry.confirm_entity(session, kind="phone", value="+84912345678")
        registry.confirm_entity(session, kind="phone", value="+84912345678", note="giả công an")
        registry.confirm_entity(session, kind="bank_account", value="1903567812345", bank="TCB")
    lookup = RegistryReader(engine)
    counts = lookup([("phone", "+84912345678"), ("bank_account", "1903567812345"), ("url", "x.vn")])
    assert counts == {("phone", "+84912345678"): 2, ("bank_account", "1903567812345"): 1}
    with transaction(engine) as session:
        row = registry.get_entity(session, kind="phone", value="+84912345678")
        assert row is not None and row.note == "giả công an" and row.last_seen >= row.first_seen


def test_lookup_of_many_keys_is_chunked(engine: Engine) -> None:
    rows = [RegistryRow(kind="phone", value=f"+8490000{i:04d}") for i in range(900)]
    with transaction(engine) as session:
        assert registry.import_rows(session, rows) == 900
    counts = RegistryReader(engine)([("phone", r.value) for r in rows] + [("phone", "+84999")])
    assert len(counts) == 900 and set(counts.values()) == {1}


def test_unknown_kind_is_refused(engine: Engine) -> None:
    with transaction(engine) as session:
        try:
            registry.confirm_entity(session, kind="email", value="a@b.c")
        except ValueError as exc:
            assert "email" in str(exc)
        else:
            raise AssertionError("an unknown kind must be refused")


def test_a_link_counts_by_its_host_whatever_path_was_confirmed(engine: Engine) -> None:
    with transaction(engine) as session:
        registry.confirm_entity(session, kind="url", value="https://WWW.Scam-Bank.top/dang-nhap?x=1")
        registry.confirm_entity(session, kind="url", value="scam-bank.top")
    found = RegistryReader(engine)([("url", "http://scam-bank.top/khac"), ("url", "http://other.top/")])
    assert found == {("url", "http://scam-bank.top/khac"): 2}


def test_a_link_with_a_user_part_counts_by_its_host(engine: Engine) -> None:
    with transaction(engine) as session:
        registry.confirm_entity(session, kind="url", value="scam-bank.top")
        registry.confirm_entity(session, kind="url", value="http://admin:pw@login-vcb.top:8080/x")
        assert registry.get_entity(session, kind="url", value="login-vcb.top") is not None
    found = RegistryReader(engine)(
        [("url", "https://vietcombank.com.vn@scam-bank.top/dang-nhap"), ("url", "http://login-vcb.top")]
    )
    assert found == {
        ("url", "https://vietcombank.com.vn@scam-bank.top/dang-nhap"): 1,
        ("url", "http://login-vcb.top"): 1,
    }
