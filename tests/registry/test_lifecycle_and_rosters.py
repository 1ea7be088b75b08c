"""The elder registry on a laptop, through the real encrypted store and the ``yinling``
command: deregistration and restoration, roster imports from real CSV (UTF-8 with a BOM, GBK)
and XLSX files, the export, and duplicate candidates."""

from __future__ import annotations

import csv
import dataclasses
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from assessment.cli import main
from assessment.documents.frames import statistics_input
from assessment.documents.statistics import compute_statistics
from assessment.errors import InputRejected
from assessment.records.api import ElderProfile, RegisterFilter
from assessment.records.demo import (
    DEMO_PASSWORD,
    DEMO_SUPERVISOR,
    create_demo_workspace,
)
from assessment.records.workspace import Workspace
from assessment.registry.status import active_on, is_active_on

YESTERDAY = date.today() - timedelta(days=1)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "laptop"
    create_demo_workspace(folder, elders=12, seed=5)
    monkeypatch.setenv("YINLING_PASSWORD", DEMO_PASSWORD)
    return folder


def _open(folder: Path) -> Workspace:
    return Workspace.open(folder, DEMO_SUPERVISOR, DEMO_PASSWORD)


def _cli(folder: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["registry", *argv[:1], *argv[1:], "--data-dir", str(folder),
                 "--user", DEMO_SUPERVISOR])
    out, err = capsys.readouterr()
    return code, out, err


def _elders(ws: Workspace) -> list[ElderProfile]:
    return [ws.elders.get(r.elder_id) for r in ws.elders.page(RegisterFilter(), 0, 1000)]


def test_predicate_counts_an_elder_until_the_day_before_leaving() -> None:
    assert is_active_on(None, date(2026, 1, 1))
    assert is_active_on(date(2026, 1, 2), date(2026, 1, 1))
    assert not is_active_on(date(2026, 1, 1), date(2026, 1, 1))
    assert "left_on IS NULL" in str(active_on(__import__(
        "assessment.records.schema", fromlist=["Elder"]).Elder.left_on, date(2026, 1, 1)))


def test_deregistered_elder_leaves_lists_and_takes_no_new_work(
        data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with _open(data_dir) as ws:
        due = ws.elders.page(RegisterFilter(due_only=True), 0, 100)
        assert due, "the demo township has re-assessments due"
        target = ws.elders.get(due[0].elder_id)
        before = compute_statistics(statistics_input(ws, date.today()))
        drafts = list(ws.assessments.drafts())
    code, out, err = _cli(data_dir, capsys, "deregister", str(target.id_number),
                          "--reason", "死亡", "--date", YESTERDAY.isoformat(),
                          "--note", "家属告知")
    assert code == 0, err
    assert "已注销" in out
    with _open(data_dir) as ws:
        assert target.elder_id not in {r.elder_id for r in
                                        ws.elders.page(RegisterFilter(due_only=True), 0, 100)}
        profile = ws.elders.get(target.elder_id)
        assert (profile.status, profile.left_on) == ("deregistered", YESTERDAY)
        after = compute_statistics(statistics_input(ws, date.today()))
        assert int(after.grades.iloc[-1]["合计"]) == int(before.grades.iloc[-1]["合计"]) - 1
        # The period's assessments still count the time before.
        assert int(after.assessments.iloc[-1]["合计"]) == \
            int(before.assessments.iloc[-1]["合计"])
        with pytest.raises(InputRejected) as refused:
            ws.assessments.start(target.elder_id, "即时评估")
        assert refused.value.problems[0].code == "deregistered"
        with pytest.raises(InputRejected):
            ws.elders.save(dataclasses.replace(profile, phone="13900000001"))
        for draft in drafts:
            if draft.elder_id == target.elder_id:
                with pytest.raises(InputRejected):
                    ws.assessments.autosave(draft.assessment_id, dict(draft.answers))
        # The change travels like any other.
        assert any(c.record_type == "elder_status" and c.record_id == target.elder_id
                   for c in ws.outbox.pending_changes())
    # Twice is refused; restoring needs a reason (and a supervisor).
    code, _, err = _cli(data_dir, capsys, "deregister", str(target.id_number),
                        "--reason", "死亡", "--date", YESTERDAY.isoformat())
    assert code == 1
    assert "不能重复注销" in err
    code, _, err = _cli(data_dir, capsys, "restore", str(target.id_number), "--why", "  ")
    assert (code, "理由" in err) == (1, True)
    code, out, err = _cli(data_dir, capsys, "restore", str(target.id_number),
                          "--why", "误报死亡，本人健在")
    assert code == 0, err
    with _open(data_dir) as ws:
        assert ws.elders.get(target.elder_id).status == "active"
        assert ws.assessments.start(target.elder_id, "即时评估").elder_id == target.elder_id


def test_bad_deregistration_is_refused_naming_the_field(
        data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with _open(data_dir) as ws:
        elder = _elders(ws)[0]
        with pytest.raises(InputRejected) as refused:
            ws.registry.deregister(elder.elder_id, "失踪", date.today() + timedelta(days=3))
        assert {p.field for p in refused.value.problems} == {"reason", "date"}
    code, out, err = _cli(data_dir, capsys, "deregister", str(elder.id_number), "--reason",
                          "死亡", "--date", "2026-13-01")
    assert (code, out) == (1, "")
    assert "--date" in err


def _write_csv(path: Path, rows: list[list[str]], encoding: str) -> None:
    with open(path, "w", encoding=encoding, newline="") as stream:
        csv.writer(stream).writerows(rows)


def _import(folder: Path, capsys: pytest.CaptureFixture[str], path: Path, kind: str,
            as_of: date, *extra: str) -> tuple[int, dict[str, Any]]:
    code, out, err = _cli(folder, capsys, "import", str(path), "--kind", kind, "--source",
                          "县民政局", "--as-of", as_of.isoformat(), *extra)
    return code, (json.loads(out) if out else {"err": err})


CONTRACT = {"rows", "matched", "updated", "unchanged", "removed", "unknown_ids", "refused",
            "name_mismatches"}


def test_roster_import_from_csv_in_utf8_bom_and_gbk(
        data_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with _open(data_dir) as ws:
        people = [e for e in _elders(ws) if e.id_number]
    a, b, c = people[0], people[1], people[2]
    unknown = "110101193001010018"
    rows = [["公民身份号码", "姓名"], [str(a.id_number), a.name], [str(b.id_number), "错名字"],
            [unknown, "未登记者"], ["12345", "坏号码"], [str(a.id_number), a.name]]
    first = tmp_path / "dibao-utf8.csv"
    _write_csv(first, rows, "utf-8-sig")
    assert first.read_bytes().startswith(b"\xef\xbb\xbf")
    # A dry run writes nothing and gives the summary first.
    # (The demo profiles were saved today: an older roster would contradict them.)
    code, dry = _import(data_dir, capsys, first, "dibao", date.today(), "--dry-run")
    assert code == 0
    assert set(dry) >= CONTRACT
    assert (dry["dry_run"], dry["applied"]) == (True, False)
    with _open(data_dir) as ws:
        assert not ws.elders.get(a.elder_id).provenance.get("assistance_status")
    code, summary = _import(data_dir, capsys, first, "dibao", date.today())
    assert code == 0
    assert {k: summary[k] for k in ("rows", "matched", "updated", "removed")} == \
        {k: dry[k] for k in ("rows", "matched", "updated", "removed")}
    assert summary["rows"] == 5
    assert summary["matched"] == 2
    assert summary["unknown_ids"] == [{"row": 4, "id_number": unknown}]
    assert [(r["row"], r["field"]) for r in summary["refused"]] == \
        [(5, "公民身份号码"), (6, "公民身份号码")]
    assert summary["name_mismatches"] == [{"row": 3, "id_number": b.id_number,
                                           "registry": b.name, "roster": "错名字"}]
    with _open(data_dir) as ws:
        got = ws.elders.get(a.elder_id)
        assert got.attributes["assistance_status"] == "dibao"
        assert got.provenance["assistance_status"]["source"] == "县民政局"
        assert got.provenance["assistance_status"]["import_id"] == summary["import_id"]
    # The next roster of the same kind, in GBK: ``a`` is missing and loses the status.
    second = tmp_path / "dibao-gbk.csv"
    _write_csv(second, [["公民身份号码", "姓名"], [str(b.id_number), b.name],
                        [str(c.id_number), c.name]], "gbk")
    with pytest.raises(UnicodeDecodeError):
        second.read_bytes().decode("utf-8")
    code, summary = _import(data_dir, capsys, second, "dibao", date.today())
    assert code == 0, summary
    assert summary["removed"] == 1
    assert summary["removed_ids"] == [{"id_number": a.id_number, "name": a.name}]
    with _open(data_dir) as ws:
        assert ws.elders.get(a.elder_id).attributes["assistance_status"] == "none"
        assert ws.elders.get(c.elder_id).attributes["assistance_status"] == "dibao"


def test_roster_import_from_xlsx_with_kind_columns(
        data_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with _open(data_dir) as ws:
        people = [e for e in _elders(ws) if e.id_number]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["公民身份号码", "姓名", "残疾类别", "残疾等级"])
    sheet.append([people[0].id_number, people[0].name, "肢体", "二级"])
    sheet.append([people[1].id_number, people[1].name, "飞行", "2"])
    sheet.append([people[2].id_number, people[2].name, "视力", 5])
    path = tmp_path / "canlian.xlsx"
    book.save(path)
    code, summary = _import(data_dir, capsys, path, "disability", date.today())
    assert code == 0
    assert summary["updated"] + summary["unchanged"] == 1
    assert [(r["row"], r["field"]) for r in summary["refused"]] == [(3, "残疾类别"),
                                                                   (4, "残疾等级")]
    with _open(data_dir) as ws:
        assert ws.elders.get(people[0].elder_id).attributes["disability_cert"] == \
            {"category": "肢体", "grade": 2}
    # Only bad rows: nothing applied, exit 1.
    bad = tmp_path / "bad.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["公民身份号码", "残疾类别", "残疾等级"])
    sheet.append(["abc", "肢体", "1"])
    book.save(bad)
    code, summary = _import(data_dir, capsys, bad, "disability", YESTERDAY)
    assert (code, summary["applied"]) == (1, False)
    # A header without the kind's columns is refused whole, naming the column.
    missing = tmp_path / "missing.csv"
    _write_csv(missing, [["公民身份号码", "姓名"], [str(people[0].id_number), "x"]], "utf-8")
    code, summary = _import(data_dir, capsys, missing, "disability", YESTERDAY)
    assert code == 1
    assert "残疾类别" in summary["err"]


def test_older_roster_does_not_override_a_newer_entry_and_is_reviewed(
        data_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with _open(data_dir) as ws:
        elder = next(e for e in _elders(ws) if e.id_number)
        ws.elders.save(dataclasses.replace(elder, attributes={
            **elder.attributes, "fp_special_family": "none"}))
    path = tmp_path / "weijian.csv"
    _write_csv(path, [["公民身份号码", "计生类别"], [str(elder.id_number), "失独"]], "utf-8")
    code, summary = _import(data_dir, capsys, path, "fp_special", date(2020, 1, 1))
    assert code == 0
    assert [c["id_number"] for c in summary["contradictions"]] == [elder.id_number]
    with _open(data_dir) as ws:
        assert ws.elders.get(elder.elder_id).attributes["fp_special_family"] == "none"
        assert [c.field for c in ws.outbox.conflicts(elder.elder_id)] == \
            ["attributes.fp_special_family"]
        # The conflicts dialog's words for it.
        from app.sync.conflict_labels import ConflictLabeller
        from assessment.eligibility.vocabulary import load_vocabulary

        labeller = ConflictLabeller(ws.form, load_vocabulary(), ws.device_id)
        (conflict,) = ws.outbox.conflicts(elder.elder_id)
        assert labeller.field_label(conflict) == "部门名单与较新的录入不一致（未更新）"
        assert labeller.kept_text(conflict) == "无"
        assert labeller.other_text(conflict) == "失独（县民政局 2020-01-01）"
    code, summary = _import(data_dir, capsys, path, "fp_special", date.today())
    assert summary["updated"] == 1
    with _open(data_dir) as ws:
        assert ws.elders.get(elder.elder_id).attributes["fp_special_family"] == "shidu"


def test_import_says_who_newly_qualifies(data_dir: Path, capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path) -> None:
    with _open(data_dir) as ws:
        people = [e for e in _elders(ws) if e.id_number and
                  e.attributes.get("assistance_status") in (None, "none")]
    assert people
    path = tmp_path / "tekun.csv"
    _write_csv(path, [["公民身份号码"], *[[str(p.id_number)] for p in people]], "utf-8")
    code, summary = _import(data_dir, capsys, path, "tekun_dispersed", date.today())
    assert code == 0
    assert summary["newly_eligible"]
    first = summary["newly_eligible"][0]
    assert first["id_number"] in {p.id_number for p in people}
    assert first["items"]
    assert all(i["name"] for i in first["items"])


def test_export_csv_with_bom_and_xlsx(data_dir: Path, capsys: pytest.CaptureFixture[str],
                                      tmp_path: Path) -> None:
    with _open(data_dir) as ws:
        target = next(e for e in _elders(ws) if e.id_number)
        ws.registry.deregister(target.elder_id, "迁出", YESTERDAY)
    out = tmp_path / "roll.csv"
    code, _text, err = _cli(data_dir, capsys, "export", "--out", str(out))
    assert code == 0, err
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0][:13] == ["公民身份号码", "姓名", "性别", "出生日期", "乡镇", "村", "状态",
                            "注销日期", "救助身份", "救助身份来源", "残疾证", "计划生育特殊家庭",
                            "优抚对象身份"]
    mine = next(r for r in rows if r[0] == target.id_number)
    assert (mine[6], mine[7]) == ("已注销（迁出本县）", YESTERDAY.isoformat())
    assert sum(1 for r in rows[1:] if r[6] == "在册") == 11
    xlsx = tmp_path / "roll.xlsx"
    code, _, err = _cli(data_dir, capsys, "export", "--out", str(xlsx))
    assert code == 0, err
    sheet = load_workbook(xlsx).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0][:13]) == rows[0][:13]
    assert len(values) == len(rows)


EXPORT_HEADER = ["公民身份号码", "姓名", "性别", "出生日期", "乡镇", "村", "状态", "注销日期",
                 "救助身份", "救助身份来源", "残疾证", "计划生育特殊家庭", "优抚对象身份",
                 "残疾证来源", "计划生育特殊家庭来源", "优抚对象身份来源"]


def test_export_columns_values_and_provenance(data_dir: Path,
                                              capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    """The 13 contract columns exactly, in order, then the provenance of the three other
    roster attributes; each cell as the offices write it, each source beside its value."""
    with _open(data_dir) as ws:
        person = next(e for e in _elders(ws) if e.id_number and e.sex and e.birth_date)
    number = str(person.id_number)
    dibao, canlian, jisheng, youfu = (tmp_path / n for n in (
        "dibao.csv", "canlian.xlsx", "jisheng.csv", "youfu.csv"))
    _write_csv(dibao, [["公民身份号码", "姓名"], [number, person.name]], "gbk")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["公民身份号码", "残疾类别", "残疾等级"])
    sheet.append([number, "肢体", "二级"])
    book.save(canlian)
    _write_csv(jisheng, [["公民身份号码", "计生类别"], [number, "失独"]], "utf-8-sig")
    _write_csv(youfu, [["公民身份号码", "优抚类别"], [number, "烈士遗属、残疾军人"]], "utf-8")
    for path, kind in ((dibao, "tekun_dispersed"), (canlian, "disability"),
                       (jisheng, "fp_special"), (youfu, "veteran")):
        code, summary = _import(data_dir, capsys, path, kind, date.today())
        assert (code, summary["updated"]) == (0, 1), summary
    out = tmp_path / "roll.csv"
    code, _, err = _cli(data_dir, capsys, "export", "--out", str(out))
    assert code == 0, err
    rows = list(csv.reader(out.read_bytes().decode("utf-8-sig").splitlines()))
    assert rows[0] == EXPORT_HEADER
    cells = dict(zip(EXPORT_HEADER, next(r for r in rows if r[0] == number), strict=True))
    day = date.today().isoformat()
    assert {k: cells[k] for k in EXPORT_HEADER[:9]} == {
        "公民身份号码": number, "姓名": person.name, "性别": person.sex,
        "出生日期": person.birth_date.isoformat() if person.birth_date else "",
        "乡镇": person.township or "", "村": person.village or "", "状态": "在册",
        "注销日期": "", "救助身份": "特困人员（分散供养）"}
    assert (cells["残疾证"], cells["计划生育特殊家庭"], cells["优抚对象身份"]) == \
        ("肢体2级", "失独", "残疾军人、烈士遗属")
    for column in ("救助身份来源", "残疾证来源", "计划生育特殊家庭来源", "优抚对象身份来源"):
        assert cells[column].startswith(f"县民政局 {day}（导入 "), (column, cells[column])
    xlsx = tmp_path / "roll.xlsx"
    code, _, err = _cli(data_dir, capsys, "export", "--out", str(xlsx))
    assert code == 0, err
    sheet = load_workbook(xlsx).active
    assert sheet is not None
    values = [["" if v is None else str(v) for v in row]
              for row in sheet.iter_rows(values_only=True)]
    assert values == rows


def test_duplicate_candidates_before_saving(data_dir: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    with _open(data_dir) as ws:
        elder = next(e for e in _elders(ws) if e.id_number and e.birth_date and
                     e.birth_date.year >= 1900)
        # The same name reading and birth date in the township, without an ID number.
        twin = ElderProfile("", elder.name, None, elder.sex, elder.birth_date,
                            elder.township, "别的村", None, None)
        found = ws.registry.duplicate_candidates(twin)
        assert [(c.elder_id, c.reason) for c in found] == [(elder.elder_id,
                                                            "same_name_birth")]
        assert ws.registry.duplicate_candidates(dataclasses.replace(twin, name="某某某")) == []
        created = ws.elders.create(twin)
    code, out, err = _cli(data_dir, capsys, "duplicates", "--json")
    assert code == 0, err
    pairs = json.loads(out)
    assert {frozenset((p["first"]["elder_id"], p["second"]["elder_id"])) for p in pairs} == \
        {frozenset((elder.elder_id, created.elder_id))}
