"""`canhgiac officer create --admin`: the first administrator, with the password asked for."""

from __future__ import annotations

from pathlib import Path

from argon2 import PasswordHasher
from click.testing import CliRunner
from sqlmodel import Session

from bot.cli import main
from storage import officers
from storage.db import make_engine


def test_officer_create_admin_asks_for_the_password(sqlite_url: str, tmp_path: Path) -> None:
    env = {"CANHGIAC_DATABASE_URL": sqlite_url, "CANHGIAC_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(
        main,
        ["officer", "create", "--admin", "--username", "QuanTri", "--full-name", "Nguyễn Văn A"],
        input="mat-khau-rat-dai\nmat-khau-rat-dai\n",
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "Đã tạo tài khoản quantri" in result.output
    assert "mat-khau-rat-dai" not in result.output
    engine = make_engine(sqlite_url)
    with Session(engine) as s:
        officer = officers.get_by_username(s, "quantri")
        assert officer is not None and officer.role == "admin" and officer.full_name == "Nguyễn Văn A"
        assert PasswordHasher().verify(officer.password_hash, "mat-khau-rat-dai")
    engine.dispose()
    short = CliRunner().invoke(
        main,
        ["officer", "create", "--admin", "--username", "b", "--full-name", "B"],
        input="ngan\nngan\n",
        env=env,
    )
    assert short.exit_code != 0 and "Tên đăng nhập gồm" in short.output
