"""The `canhgiac` command: check contract, content check, registry import, db upgrade."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot.cli import main


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"CANHGIAC_DATA_DIR": str(tmp_path), "CANHGIAC_DATABASE_URL": f"sqlite:///{tmp_path / 'cg.db'}"}


def test_check_jsonl_keeps_the_contract_on_every_line(env: dict[str, str]) -> None:
    lines = [
        json.dumps({"id": "a", "text": "Chuyển tiền vào tài khoản tạm giữ 0912345678 ngay"}),
        "not json",
        json.dumps({"id": "b"}),
        json.dumps([1, 2]),
        "",
        json.dumps({"id": "c", "text": ""}),
        json.dumps({"id": "d", "text": "\x00\x01\x02" * 100}),
        json.dumps({"id": "e", "text": "lừa " * 25_000}),
    ]
    stdin = ("\n".join(lines) + "\n").encode() + b"\xff\xfe bad bytes\n"
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "check", "--jsonl"],
        input=stdin,
        capture_output=True,
        env={**env, "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    out = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert len(out) == 9
    assert out[0]["id"] == "a" and out[0]["verdict"] in ("likely_scam", "suspicious", "no_match")
    assert any(e["kind"] == "phone" and e["value"] == "+84912345678" for e in out[0]["entities"])
    assert out[1] == {"id": None, "error": out[1]["error"]} and out[1]["error"]
    assert out[2]["id"] == "b" and "error" in out[2]
    assert out[3]["id"] is None and "error" in out[3]
    assert out[4]["id"] is None and "error" in out[4]
    assert out[5]["id"] == "c" and out[5]["verdict"] == "no_match"
    assert out[6]["id"] == "d" and "verdict" in out[6]
    assert out[7]["id"] == "e" and "verdict" in out[7]
    assert out[8]["id"] is None and "error" in out[8]


def test_check_single_text_argument(env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["check", "xin chào bạn"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verdict"] == "no_match"


def test_content_check_names_file_field_and_reason(tmp_path: Path) -> None:
    good = CliRunner().invoke(main, ["content", "check"])
    assert good.exit_code == 0 and "21 thủ đoạn" in good.output
    lib = tmp_path / "lib"
    lib.mkdir()
    src = Path(__file__).parents[2] / "content" / "library"
    for card in src.glob("*.yaml"):
        (lib / card.name).write_text(card.read_text(encoding="utf-8"), encoding="utf-8")
    bad = lib / "fake-bank.yaml"
    bad.write_text(
        bad.read_text(encoding="utf-8").replace("reviewed: ", "reviewed: not-a-date #"), encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["content", "check", "--path", str(lib)])
    assert result.exit_code == 1
    assert "fake-bank.yaml" in result.output and "reviewed" in result.output


def test_registry_import_reports_bad_rows_and_loads_the_rest(env: dict[str, str], tmp_path: Path) -> None:
    csv_file = tmp_path / "reg.csv"
    csv_file.write_text(
        "kind,value,reports,bank,note\n"
        "phone,0912 345 678,3,,giả công an\n"
        "phone,12,1,,\n"
        "stk,1903-5678-12345,2,TCB,\n"
        "email,a@b.c,1,,\n"
        "url,https://Vietcombank-XacThuc.com/login,1,,\n"
        "bank_account,12ab34,1,,\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["registry", "import", str(csv_file)], env=env)
    assert "Đã nhập 3 dòng; 3 dòng lỗi." in result.output
    assert "dòng 3:" in result.output and "dòng 5:" in result.output and "dòng 7:" in result.output
    check = CliRunner().invoke(main, ["check", "gọi 0912345678 hoặc vào vietcombank-xacthuc.com"], env=env)
    entities = json.loads(check.output)["entities"]
    phone = next(e for e in entities if e["kind"] == "phone")
    assert phone["value"] == "+84912345678" and phone["reported"] == 3


def test_db_upgrade_creates_the_schema(env: dict[str, str], tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["db", "upgrade"], env=env)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cg.db").exists()


def test_serve_refuses_to_start_with_an_invalid_card(env: dict[str, str], tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    for card in (Path(__file__).parents[2] / "content" / "library").glob("*.yaml"):
        (lib / card.name).write_text(card.read_text(encoding="utf-8"), encoding="utf-8")
    card = lib / "loan-scam.yaml"
    card.write_text(card.read_text(encoding="utf-8").replace("what_to_do:", "what_to_doo:"), encoding="utf-8")
    result = CliRunner().invoke(main, ["serve", "--port", "1"], env={**env, "CANHGIAC_LIBRARY_DIR": str(lib)})
    assert result.exit_code == 1
    assert "loan-scam.yaml" in result.output and "what_to_do" in result.output


def test_secrets_rotate_re_encrypts_with_the_new_first_key(env: dict[str, str], tmp_path: Path) -> None:
    from sqlmodel import Session, select

    from storage.crypto import Cipher
    from storage.db import make_engine, transaction
    from storage.evidence import LocalEvidenceStore
    from storage.migrate import upgrade
    from storage.models import Tip
    from storage.tips import submit_tip
    from tests.storage.tip_fixtures import draft

    runner = CliRunner()
    old = runner.invoke(main, ["secrets", "new"]).output.strip()
    new = runner.invoke(main, ["secrets", "new"]).output.strip()
    assert old != new and len(Cipher([old, new]).encrypt("x") or "") > 0
    engine = make_engine(env["CANHGIAC_DATABASE_URL"])
    upgrade(engine)
    with transaction(engine) as s:
        submit_tip(s, cipher=Cipher([old]), draft=draft())
    key = LocalEvidenceStore(tmp_path / "evidence", Cipher([old])).put(b"%PDF-1", name="a.pdf", mime="x")

    result = runner.invoke(main, ["secrets", "rotate"], env={**env, "CANHGIAC_SECRET_KEYS": f"{new},{old}"})
    assert result.exit_code == 0, result.output
    assert "1 tệp" in result.output
    only_new = Cipher([new])
    with Session(engine) as s:
        assert "công an" in (only_new.decrypt(s.exec(select(Tip)).one().story) or "")
    assert LocalEvidenceStore(tmp_path / "evidence", only_new).get(key) == b"%PDF-1"
    engine.dispose()

    wrong = runner.invoke(
        main, ["secrets", "rotate"], env={**env, "CANHGIAC_SECRET_KEYS": Cipher.generate_key()}
    )
    assert wrong.exit_code != 0 and "không mã hóa lại được" in wrong.output


def test_terminal_chat_numbers_options_and_answers(env: dict[str, str]) -> None:
    result = CliRunner().invoke(
        main, ["chat"], env=env, input="2\nco nguoi bat ck vao tai khoan tam giu de xac minh\nthoát\n"
    )
    assert result.exit_code == 0, result.output
    assert "1. " in result.output and "Các chiêu lừa" in result.output
    assert "Các chiêu lừa đảo đang phổ biến" in result.output  # option 2 opened the library
    assert "LỪA ĐẢO" in result.output and "Tạm biệt" in result.output


def test_an_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    env = {
        "CANHGIAC_DATA_DIR": str(tmp_path),
        "CANHGIAC_DATABASE_URL": "postgresql+psycopg://x@127.0.0.1:1/none",
    }
    result = CliRunner().invoke(main, ["db", "upgrade"], env=env)
    assert result.exit_code == 1
    assert "không kết nối được cơ sở dữ liệu" in result.output and "Traceback" not in result.output


def test_an_imported_domain_is_reported_when_a_text_links_to_it(env: dict[str, str], tmp_path: Path) -> None:
    csv_file = tmp_path / "reg.csv"
    csv_file.write_text("kind,value,reports\nurl,vcb-xacthuc.top,5\n", encoding="utf-8")
    CliRunner().invoke(main, ["registry", "import", str(csv_file)], env=env)
    check = CliRunner().invoke(
        main, ["check", "Cập nhật sinh trắc học tại https://vcb-xacthuc.top/login"], env=env
    )
    url = next(e for e in json.loads(check.output)["entities"] if e["kind"] == "url")
    assert url["reported"] == 5


def test_check_without_text_prints_the_usage_and_exits_2(env: dict[str, str]) -> None:
    for args in (["check"], ["check", "   "]):
        result = CliRunner().invoke(main, args, env=env, input="")
        assert result.exit_code == 2, result.output
        assert "Usage" in result.output and "verdict" not in result.output


def test_check_reads_a_piped_text(env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["check"], env=env, input="xin chào bạn\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verdict"] == "no_match"


def test_check_without_a_database_says_so_and_creates_none(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "check", "gọi 0912345678"],
        capture_output=True,
        cwd=elsewhere,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).parents[2])},
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads(proc.stdout)["verdict"]
    assert "Không có cơ sở dữ liệu" in proc.stderr.decode()
    assert not (elsewhere / "data").exists()


def test_check_with_an_invalid_library_is_a_clean_message(env: dict[str, str], tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "broken.yaml").write_text("id: [\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "xin chào"], env={**env, "CANHGIAC_LIBRARY_DIR": str(lib)})
    assert result.exit_code == 1
    assert "broken.yaml" in result.output and "content check" in result.output
    assert result.exc_info is None or result.exc_info[0] is SystemExit


def test_content_check_speaks_vietnamese(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    for card in (Path(__file__).parents[2] / "content" / "library").glob("*.yaml"):
        (lib / card.name).write_text(card.read_text(encoding="utf-8"), encoding="utf-8")
    card = lib / "loan-scam.yaml"
    data = yaml.safe_load(card.read_text(encoding="utf-8"))
    del data["summary"]
    data.update(kind="trick", extra=1, reviewed=str(data["reviewed"]))
    card.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(main, ["content", "check", "--path", str(lib)])
    assert result.exit_code == 1
    assert "loan-scam.yaml: summary: còn thiếu" in result.output
    assert "loan-scam.yaml: kind: phải là một trong: 'modus' hoặc 'guide'" in result.output
    for english in ("must be", "is missing", "is not a known", " or "):
        assert english not in result.output


def test_registry_import_without_a_header_is_an_error_naming_the_columns(
    env: dict[str, str], tmp_path: Path
) -> None:
    csv_file = tmp_path / "reg.csv"
    csv_file.write_text("phone,0912345678,3\nphone,0987654321,1\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["registry", "import", str(csv_file)], env=env)
    assert result.exit_code == 1
    assert "kind,value,reports,bank,note" in result.output and "Đã nhập" not in result.output


def _registry(db_url: str) -> dict[tuple[str, str], tuple[int, str | None]]:
    from sqlmodel import Session, select

    from storage.db import make_engine
    from storage.models import RegistryEntity

    engine = make_engine(db_url)
    with Session(engine) as s:
        rows = {(r.kind, r.value): (r.reports, r.bank) for r in s.exec(select(RegistryEntity))}
    engine.dispose()
    return rows


def test_registry_import_refuses_bad_rows_one_by_one_and_loads_the_rest(db_url: str, tmp_path: Path) -> None:
    env = {"CANHGIAC_DATA_DIR": str(tmp_path), "CANHGIAC_DATABASE_URL": db_url}
    csv_file = tmp_path / "reg.csv"
    csv_file.write_text(
        "kind,value,reports,bank,note\n"
        "phone,0912345678,2,,\n"  # 2
        f"bank_account,1903567812345,1,{'B' * 33},\n"  # 3: bank name too long
        f"phone,0987654321,{2**31},,\n"  # 4: reports beyond the column
        f"url,{'a' * 520}.com,1,,\n"  # 5: host too long
        "phone,0911\x00222333,1,,\n"  # 6: NUL byte
        'url,"=HYPERLINK(""http://evil.example"")",1,,\n'  # 7: a spreadsheet formula
        "bank_account,\u0661\u0662\u0663\u0664\u0665\u0666\u0667,1,,\n"  # 8: Arabic-Indic digits
        "bank_account,1903567812345,4,TCB,=cmd|' /C calc'!A0\n"  # 9: a formula in the note
        "url,scam.top,1,,\n"  # 10
        "phone,0912345678,3,,\n"  # 11: the same number again adds up
        f"bank_account,1903567812345,{2**31 - 1},VCB,\n",  # 12
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["registry", "import", str(csv_file)], env=env)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    for line in (3, 4, 5, 6, 7, 8, 9):
        assert f"dòng {line}:" in result.output
    for line in (2, 10, 11, 12):
        assert f"dòng {line}:" not in result.output
    assert "Đã nhập 4 dòng; 7 dòng lỗi." in result.output
    stored = _registry(db_url)
    assert stored == {
        ("phone", "+84912345678"): (5, None),
        ("url", "scam.top"): (1, None),
        ("bank_account", "1903567812345"): (2**31 - 1, "VCB"),
    }
    again = CliRunner().invoke(main, ["registry", "import", str(csv_file)], env=env)
    assert again.exit_code == 0, again.output
    assert _registry(db_url)[("bank_account", "1903567812345")] == (2**31 - 1, "VCB")  # capped, no overflow
    assert _registry(db_url)[("phone", "+84912345678")] == (10, None)


def test_registry_import_of_many_rows_shows_progress(env: dict[str, str], tmp_path: Path) -> None:
    csv_file = tmp_path / "reg.csv"
    with csv_file.open("w", encoding="utf-8") as out:
        out.write("kind,value,reports\n")
        for i in range(12_000):
            out.write(f"phone,09{i:08d},1\n")
    result = CliRunner().invoke(main, ["registry", "import", str(csv_file), "--progress", "5000"], env=env)
    assert result.exit_code == 0, result.output
    assert "đã đọc 5.000 dòng" in result.output and "đã đọc 10.000 dòng" in result.output
    assert "Đã nhập 12000 dòng; 0 dòng lỗi." in result.output
    assert len(_registry(env["CANHGIAC_DATABASE_URL"])) == 12_000
