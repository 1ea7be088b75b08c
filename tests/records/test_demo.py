"""The demo township: accounts, realistic content, valid chains, the CLI and first run."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from assessment.cli import main
from assessment.errors import InputRejected, Problem
from assessment.identity import parse_resident_id
from assessment.records.api import AssessmentStatus, ElderProfile, RegisterFilter
from assessment.records.datadir import ENV_DATA_DIR, default_data_dir, workspace_exists
from assessment.records.demo import (
    DEMO_COUNTY,
    DEMO_PASSWORD,
    demo_accounts,
    ensure_demo_workspace,
    generate,
    generate_batches,
)
from assessment.records.search import KEY_MARK, elder_terms, parse_search_text, sort_key
from assessment.records.workspace import Workspace
from tests.records.conftest import elder


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 300-elder demo workspace built once for this module."""
    return ensure_demo_workspace(tmp_path_factory.mktemp("demo") / "data", elders=300)


def test_every_demo_account_signs_in(demo_dir: Path) -> None:
    for username, password, role in demo_accounts():
        with Workspace.open(demo_dir, username, password) as ws:
            assert ws.current_user.role == role
    assert {a for a, _, _ in demo_accounts()} == {"guanli", "pinggu1", "pinggu2"}
    assert DEMO_PASSWORD == "yinling123"


def test_demo_content_is_realistic(demo_dir: Path) -> None:
    with Workspace.open(demo_dir, "pinggu1", DEMO_PASSWORD) as ws:
        rows = ws.elders.page(RegisterFilter(), 0, 1000)
        assert len(rows) == 300
        grades = Counter(r.grade for r in rows)
        assert None in grades
        assert len([g for g in grades if g is not None]) >= 4
        assert len(ws.elders.villages()) >= 2
        statuses: Counter[AssessmentStatus] = Counter()
        issuing: Counter[str] = Counter()
        for row in rows:
            profile = ws.elders.get(row.elder_id)
            assert profile.id_number is not None
            parsed = parse_resident_id(profile.id_number)
            assert not isinstance(parsed, Problem)
            issuing[profile.id_number[:6]] += 1
            assert row.age is not None
            assert row.age >= 60
            for record in ws.assessments.for_elder(row.elder_id):
                statuses[record.status] += 1
                if record.status is not AssessmentStatus.DRAFT:
                    assert record.final_grade is not None
                    assert record.certificate_no
        assert issuing["140421"] > issuing[DEMO_COUNTY] > 0  # mostly the legacy code
        assert statuses[AssessmentStatus.FINALIZED] > 100
        assert ws.outbox.verify() == []
        assert ws.audit.verify() == []
        assert ws.audit.trail()[-1].action == "demo_generate"
        assert ws.elders.count(RegisterFilter(text="w")) > 0


def test_demo_is_reproducible() -> None:
    first, _ = generate(20, seed=5)
    second, _ = generate(20, seed=5)
    assert [p.name for p in first] == [p.name for p in second]
    assert [p.id_number for p in first] == [p.id_number for p in second]


def test_ensure_leaves_an_existing_workspace(demo_dir: Path) -> None:
    before = demo_dir.joinpath("yinling.keys.json").read_bytes()
    assert ensure_demo_workspace(demo_dir) == demo_dir
    assert demo_dir.joinpath("yinling.keys.json").read_bytes() == before


def test_cli_demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "cli"
    assert main(["demo", "--elders", "25", "--data-dir", str(target), "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "pinggu1" in out
    assert "yinling123" in out
    assert workspace_exists(target)
    assert main(["demo", "--elders", "25", "--data-dir", str(target)]) == 3  # never overwrite
    assert main(["demo", "--elders", "0", "--data-dir", str(tmp_path / "x")]) == 1


def test_data_dir_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_DATA_DIR, str(tmp_path / "elsewhere"))
    assert default_data_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv(ENV_DATA_DIR)
    assert default_data_dir().name == "yinling"


def test_bulk_loaded_search_index(demo_dir: Path) -> None:
    """The bulk load indexes exactly what a single write would, and search finds by it."""
    with Workspace.open(demo_dir, "pinggu1", DEMO_PASSWORD) as ws, \
            ws._store.engine.connect() as conn:
        stored: dict[int, set[str]] = {}
        for term, num in conn.exec_driver_sql("SELECT term, elder_num FROM search_terms"):
            stored.setdefault(num, set()).add(term)
        people = conn.exec_driver_sql(
            "SELECT num, name, id_number, name_pinyin FROM elders").all()
        assert len(people) == len(stored) == 300
        for num, name, id_number, pinyin in people:
            assert stored[num] == elder_terms(name, id_number)
            assert pinyin == sort_key(name)
        for text in ("w", "l", "zh", "wang", "王", "1"):
            query = parse_search_text(text)
            assert query is not None
            expected = {num for num, terms in stored.items()
                        if any(t.startswith(query.prefix) for t in terms
                               if not t.startswith(KEY_MARK))}
            assert ws.elders.count(RegisterFilter(text=text)) == len(expected)


def test_batches_hold_the_same_people_as_one_generation() -> None:
    whole, whole_loads = generate(60, seed=9, today=date(2026, 6, 1))
    batches = list(generate_batches(60, seed=9, today=date(2026, 6, 1), batch=7))
    assert len(batches) > 5
    people = [p for some, _ in batches for p in some]
    loads = [a for _, theirs in batches for a in theirs]
    def strip(p: ElderProfile) -> tuple[object, ...]:
        return (p.name, p.id_number, p.village, p.info, p.attributes)

    assert [strip(p) for p in people] == [strip(p) for p in whole]
    assert [(a.elder_id in {p.elder_id for p in some}) for some, theirs in batches
            for a in theirs] == [True] * len(loads)
    assert [a.answers for a in loads] == [a.answers for a in whole_loads]


def test_a_bulk_load_with_a_registered_id_number_is_refused_whole(tmp_path: Path) -> None:
    """The ID numbers a load brings are looked up in the store a chunk at a time (not every
    registered number read into memory): a clash past the first chunk still refuses the
    whole load, and nothing of it is written."""
    with Workspace.create(tmp_path / "ws", username="guanli", password=DEMO_PASSWORD,
                          display_name="管理员", role="supervisor") as ws:
        start = date(1940, 1, 1)
        taken = ws.elders.create(elder("王五", sequence=17, birth=start + timedelta(days=1234)))
        profiles = [elder("张三", sequence=11, birth=start + timedelta(days=i))
                    for i in range(1240) if i != 1234]
        profiles.append(elder("李四", sequence=17, birth=start + timedelta(days=1234)))
        assert profiles[-1].id_number == taken.id_number
        with pytest.raises(InputRejected, match="公民身份号码已登记：1 人"):
            ws.elders.bulk_load(profiles)
        assert ws.elders.count(RegisterFilter()) == 1
        ws.elders.bulk_load(profiles[:-1])
        assert ws.elders.count(RegisterFilter()) == 1240
