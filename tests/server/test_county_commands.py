"""The county commands no other test runs, on a real county store (SQLite in a data folder):
enrolment codes that expire, enrolment on a revoked account, ``county list``, ``county
receipt``, ``county admin-token``, ``county stats --out … --no-eligibility``, and
``yinling serve`` keeping its data in the platform data folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import yaml
from openpyxl import load_workbook
from sqlalchemy import update

from assessment.cli import main
from assessment.eligibility.registry import bundled_lists_dir
from assessment.records.demo import DEMO_PASSWORD, DEMO_SUPERVISOR, create_demo_workspace
from server.db.cipher import database_key
from server.db.engine import make_engine
from server.db.tables import enrolment_codes
from testkit.pgtemp import free_port

TOWNSHIP = "140105001"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``yinling argv`` and return (exit code, stdout, stderr)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


class County:
    """``yinling county --data-dir …`` on one folder, and a demo laptop beside it."""

    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str],
                 monkeypatch: pytest.MonkeyPatch) -> None:
        self.root, self.capsys = root, capsys
        self.data_dir = root / "county"
        self.laptop_dir = root / "laptop"
        monkeypatch.setenv("YINLING_PASSWORD", DEMO_PASSWORD)

    def county(self, *argv: str) -> tuple[int, str, str]:
        return run(self.capsys, "county", "--data-dir", str(self.data_dir), *argv)

    def laptop(self, *argv: str) -> tuple[int, str, str]:
        return run(self.capsys, "sync", "--data-dir", str(self.laptop_dir), "--user",
                   DEMO_SUPERVISOR, *argv)

    def township_with_account(self) -> None:
        assert self.county("township", "add", TOWNSHIP, "坞城街道")[0] == 0
        assert self.county("account", "add", "wang", "王评估", "--township", TOWNSHIP)[0] == 0
        create_demo_workspace(self.laptop_dir, elders=3, seed=3)

    def request(self) -> Path:
        """A fresh one-time code for ``wang`` and the laptop's enrolment request with it."""
        code, out, _ = self.county("code", "wang")
        assert code == 0
        request = self.root / f"request-{time.monotonic_ns()}.json"
        assert self.laptop("enrol-request", "--code", json.loads(out)["code"], "--out",
                           str(request))[0] == 0
        return request

    def enrol(self, request: Path) -> tuple[int, str, str]:
        return self.county("enrol-device", str(request), "--out",
                           str(self.root / "response.json"))

    def devices(self) -> list[dict[str, object]]:
        code, out, _ = self.county("device", "list")
        assert code == 0
        listed: list[dict[str, object]] = json.loads(out)
        return listed


@pytest.fixture
def county(tmp_path: Path, capsys: pytest.CaptureFixture[str],
           monkeypatch: pytest.MonkeyPatch) -> County:
    made = County(tmp_path, capsys, monkeypatch)
    made.township_with_account()
    return made


def test_an_expired_enrolment_code_is_refused_and_enrols_nothing(county: County) -> None:
    request = county.request()
    # Time passes: the code's validity ends (written in the store, as 72 hours later would).
    engine = make_engine(f"sqlite:///{county.data_dir / 'county.sqlite3'}",
                         database_key(county.data_dir))  # the county's database is encrypted
    try:
        with engine.begin() as conn:
            conn.execute(update(enrolment_codes).values(
                expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    finally:
        engine.dispose()
    code, _, err = county.enrol(request)
    assert code == 1
    assert "登记码已过期" in err
    assert county.devices() == []
    assert not (county.root / "response.json").exists()
    # A fresh code for the same laptop still works.
    code, _, _ = county.enrol(county.request())
    assert code == 0
    assert len(county.devices()) == 1


def test_enrolment_on_a_revoked_account_is_refused(county: County) -> None:
    request = county.request()
    code, out, _ = county.county("account", "revoke", "wang")
    assert code == 0
    code, _, err = county.enrol(request)
    assert code == 1
    assert "该账号已被停用" in err
    assert county.devices() == []
    # No new code is issued for a revoked account either.
    code, out, err = county.county("code", "wang")
    assert code == 1
    assert out == ""
    assert err.startswith("错误：")
    code, _, err = county.county("account", "revoke", "nobody")
    assert code == 1
    assert err.startswith("错误：")


def test_account_revoke_refuses_the_accounts_enrolled_laptop(county: County) -> None:
    assert county.enrol(county.request())[0] == 0
    assert county.laptop("enrol-import", str(county.root / "response.json"))[0] == 0
    assert county.county("account", "revoke", "wang")[0] == 0
    bundle = county.root / "visits.ylb"
    assert county.laptop("export-bundle", "--out", str(bundle))[0] == 0
    code, _, err = run(county.capsys, "import-bundle", str(bundle), "--data-dir",
                       str(county.data_dir))
    assert code == 1
    assert "停用" in err


def test_receipt_is_issued_again_for_an_imported_bundle(county: County) -> None:
    assert county.enrol(county.request())[0] == 0
    assert county.laptop("enrol-import", str(county.root / "response.json"))[0] == 0
    bundle = county.root / "visits.ylb"
    assert county.laptop("export-bundle", "--out", str(bundle))[0] == 0
    first_dir = county.root / "usb"
    first_dir.mkdir()
    assert run(county.capsys, "import-bundle", str(bundle), "--data-dir", str(county.data_dir),
               "--receipt-dir", str(first_dir))[0] == 0
    first = next(first_dir.glob("receipt-*.json"))
    bundle_id = json.loads(first.read_text(encoding="utf-8"))["bundle_id"]
    # The stick with the receipt is lost: the county issues it again, byte for byte.
    again = county.root / "again.json"
    code, out, _ = county.county("receipt", bundle_id, "--out", str(again))
    assert code == 0
    assert json.loads(out) == {"receipt": str(again)}
    assert again.read_bytes() == first.read_bytes()
    code, out, _ = county.laptop("import-receipt", str(again))
    assert code == 0
    code, out, _ = county.laptop("status")
    assert json.loads(out)["pending"] == 0
    code, _, err = county.county("receipt", "no-such-bundle", "--out",
                                 str(county.root / "x.json"))
    assert code == 1
    assert "没有该数据包的回执" in err
    assert not (county.root / "x.json").exists()


def test_list_publishes_a_checked_version_and_refuses_a_bad_one(county: County) -> None:
    provisional = yaml.safe_load((bundled_lists_dir() / "shanxi-provisional.yaml")
                                 .read_text(encoding="utf-8"))
    renamed = {**provisional, "version": "2024.9", "effective_from": "2024-01-01"}
    good = county.root / "list.yaml"
    good.write_text(yaml.safe_dump(renamed, allow_unicode=True), encoding="utf-8")
    code, out, _ = county.county("list", "shanxi-provisional", "2", str(good))
    assert code == 0
    assert len(json.loads(out)["sha256"]) == 64
    bad = county.root / "bad.yaml"
    bad.write_text("kind: service-list\n", encoding="utf-8")
    code, out, err = county.county("list", "shanxi-provisional", "3", str(bad))
    assert code == 1
    assert out == ""
    assert "清单" in err
    # The same publication number with other content is refused; nothing replaced.
    renamed["items"] = renamed["items"][:1]
    good.write_text(yaml.safe_dump(renamed, allow_unicode=True), encoding="utf-8")
    assert county.county("list", "shanxi-provisional", "2", str(good))[0] == 1


def test_stats_workbook_without_eligibility(county: County) -> None:
    assert county.enrol(county.request())[0] == 0
    assert county.laptop("enrol-import", str(county.root / "response.json"))[0] == 0
    bundle = county.root / "visits.ylb"
    assert county.laptop("export-bundle", "--out", str(bundle))[0] == 0
    assert run(county.capsys, "import-bundle", str(bundle), "--data-dir",
               str(county.data_dir), "--receipt-dir", str(county.root))[0] == 0
    full, lean = county.root / "全县.xlsx", county.root / "全县-无清单.xlsx"
    assert county.county("stats", "--out", str(full))[0] == 0
    code, out, _ = county.county("stats", "--out", str(lean), "--no-eligibility")
    assert code == 0
    assert "老年人 3 人" in out
    assert rows(full, "能力等级") == rows(lean, "能力等级")  # the same elders and grades
    summary = rows(full, "服务项目汇总")
    assert len(summary) > 5  # one row per service item of the lists in force
    assert rows(lean, "服务项目汇总")[1:] == []  # no matching at all: the header only
    assert len(rows(lean, "服务项目符合人数")[0]) < len(rows(full, "服务项目符合人数")[0])


def rows(workbook: Path, sheet: str) -> list[tuple[object, ...]]:
    """The rows of one sheet (header first)."""
    book = load_workbook(workbook, read_only=True)
    try:
        return [tuple(row) for row in book[sheet].iter_rows(values_only=True)]
    finally:
        book.close()


@pytest.fixture
def platform_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A home whose platform data folder is inside ``tmp_path``; the working directory
    elsewhere, to see that nothing lands there."""
    data_home = tmp_path / "xdg-data"
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("XDG_DATA_HOME", str(data_home))
    monkeypatch.delenv("YINLING_COUNTY_DATA_DIR", raising=False)
    monkeypatch.chdir(work)
    yield data_home
    assert list(work.iterdir()) == []  # nothing written in the working directory


@pytest.mark.skipif(sys.platform != "linux", reason="XDG_DATA_HOME is the Linux convention")
def test_serve_and_admin_token_use_the_platform_data_folder(
        platform_dirs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    env = dict(os.environ)
    server = subprocess.Popen(
        [sys.executable, "-m", "assessment", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        folder = platform_dirs / "yinling-county"
        assert (folder / "county.sqlite3").is_file()
        code, out, _ = run(capsys, "county", "admin-token")
        assert code == 0
        token = out.strip()
        assert len(token) >= 32
        assert run(capsys, "county", "admin-token")[1].strip() == token  # kept, not renewed
        ok = httpx.get(f"{url}/admin/stats", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
        wrong = httpx.get(f"{url}/admin/stats", headers={"Authorization": "Bearer x" * 8})
        assert wrong.status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stderr is not None:
            server.stderr.close()
