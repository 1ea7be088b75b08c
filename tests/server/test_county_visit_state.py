"""探访关爱 and the workbook from the county's current state (:mod:`server.visit_state`).

On SQLite and PostgreSQL, against the payload computation kept independently in
:mod:`tests.server.stats_reference`: the dashboard's visit figures (SQL aggregates over
``elder_state``) and the workbook (computed a part of the elders at a time and combined)
equal it for the current month and for later days — when visits and referrals arrive, when
an elder turns 60 (a birthday puts it into the plan), when a new plan version is published,
and after a transfer, a merge and a deregistration. A visit dated after the day counted
counts in its month but not as the latest visit; a referral of an elder off the roll counts
under （未登记） in the workbook.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from assessment.ids import new_id
from assessment.scoring import Grader
from assessment.visits.plans import bundled_plans_dir
from server import county, current_state, registry, stats, stats_frames, transfers
from server.config import Settings
from server.context import ServerContext
from server.county_device import CountyAuthor
from server.db.engine import is_sqlite
from server.db.tables import elder_state, quarantine
from server.visit_plans import publish_plan
from testkit.synthetic import assessment_payload, elder_payload
from tests.server import stats_reference as reference
from tests.server.test_county_current_state import _same_tables, _send, _state
from tests.sync.conftest import Device, enrol_device

TODAY = date.today()
LIVING = (["独居"], ["与配偶居住"], ["与子女居住"], None)


@pytest.fixture
def ctx(db_url: str, tmp_path: Path) -> Iterator[ServerContext]:
    """A county with townships t1 一镇 (user ua) and t2 二镇 (user ub)."""
    context = ServerContext.open(Settings(data_dir=tmp_path / "county", db_url=db_url))
    with context.engine.begin() as conn:
        county.add_township(conn, "t1", "一镇", "test")
        county.add_township(conn, "t2", "二镇", "test")
        county.add_account(conn, "ua", "甲", "t1", "test")
        county.add_account(conn, "ub", "乙", "t2", "test")
    yield context
    context.close()


def _elder(rng: random.Random, birth: date | None = None) -> dict[str, Any]:
    profile = elder_payload(rng)
    if birth is not None:
        profile["birth_date"] = birth.isoformat()
    living = rng.choice(LIVING)
    if living is not None:
        profile["attributes"] = {**profile["attributes"], "living": living}
    if rng.random() < 0.2:
        profile["attributes"]["assistance_status"] = "tekun_dispersed"
    return profile


def _visit(elder_id: str, day: date) -> dict[str, Any]:
    return {"elder_id": elder_id, "plan": "shanxi-visits@2026.12", "tier": "",
            "entry": {"visit_date": day.isoformat(), "method": "上门", "visitor": "甲",
                      "checklist": {}}}


def _referral(elder_id: str, visit_id: str, closed: bool) -> dict[str, Any]:
    return {"elder_id": elder_id, "visit_id": visit_id, "target": "村（居）委会",
            "kind": "department", "status": "closed" if closed else "open",
            "opened_on": (TODAY - timedelta(days=30)).isoformat(),
            **({"closed_on": TODAY.isoformat()} if closed else {})}


def _records(device: Device, rng: random.Random, rules: str, elders: int) -> list[str]:
    grader = Grader()
    ids = [new_id() for _ in range(elders)]
    items: list[tuple[str, str, dict[str, Any]]] = []
    for elder_id in ids:
        items.append(("elder", elder_id, _elder(rng)))
        if rng.random() < 0.7:
            items.append(("assessment", new_id(),
                          assessment_payload(grader, rng, elder_id, rules_hash=rules)))
    device.outbox.record_many(items)
    return ids


def _visits(device: Device, rng: random.Random, ids: list[str]) -> None:
    """Visits of many dates (this week, this month, months ago, after today) and open and
    closed referrals."""
    items: list[tuple[str, str, dict[str, Any]]] = []
    for elder_id in ids:
        for _ in range(rng.choice((0, 0, 1, 2))):
            day = TODAY - timedelta(days=rng.choice((0, 3, 12, 25, 40, 70, 100, 200, -9)))
            visit_id = new_id()
            items.append(("visit", visit_id, _visit(elder_id, day)))
            if rng.random() < 0.3:
                items.append(("referral", new_id(),
                              _referral(elder_id, visit_id, rng.random() < 0.5)))
    device.outbox.record_many(items)


def _compare(conn: Any, as_of: date) -> dict[str, Any]:
    """The summary and the workbook on ``as_of`` equal the reference; the summary."""
    ours = stats._compute_summary(conn, as_of)
    assert ours == reference.reference_summary(conn, as_of), as_of
    start, end = date(as_of.year, 1, 1), as_of
    _same_tables(stats.county_workbook(conn, as_of=as_of, start=start, end=end).tables(),
                 reference.reference_workbook(conn, as_of=as_of, start=start,
                                              end=end).tables())
    return ours


def _row(summary: dict[str, Any], code: str) -> dict[str, Any]:
    found: dict[str, Any] = next(t for t in summary["townships"] if t["township"] == code)
    return found


def _plan_file(tmp_path: Path) -> bytes:
    """A new version in force from today: the 一般 tier monthly, from age 70."""
    data = yaml.safe_load((bundled_plans_dir() / "shanxi-visits.yaml").read_text("utf-8"))
    data["version"] = "2027.01"
    data["effective_from"] = TODAY.isoformat()
    data["tiers"][-1]["frequency"] = "month"
    data["tiers"][-1]["rule"] = data["tiers"][-1]["rule"].replace("age >= 60", "age >= 70")
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode("utf-8")


def test_visit_figures_and_workbook_follow_the_state(
        ctx: ServerContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stats_frames, "PART", 13)  # the workbook in many parts
    rng = random.Random(7)
    rules = ctx.grader.rules_hash
    first = enrol_device(ctx, tmp_path / "a", "ua")
    second = enrol_device(ctx, tmp_path / "b", "ub")
    ids = _records(first, rng, rules, 60)
    # 二镇: one elder living alone who turns 60 in five days (then in the plan, 一般).
    young = new_id()
    birthday = TODAY + timedelta(days=5)
    second.outbox.record_many([("elder", young, {
        **_elder(rng, birthday.replace(year=birthday.year - 60)),
        "attributes": {"area_type": "rural", "living": ["独居"]}})])
    _send(ctx, first)
    _send(ctx, second)
    with ctx.engine.connect() as conn:
        before = _compare(conn, TODAY)
    assert sum(t["visits_planned"] for t in before["townships"]) > 10
    assert _row(before, "t2")["visits_planned"] == 0

    # Visits and referrals arrive: the figures follow, in the same ingest.
    _visits(first, rng, ids)
    _send(ctx, first)
    with ctx.engine.connect() as conn:
        now = _compare(conn, TODAY)
        assert conn.execute(select(quarantine)).first() is None
    t1 = _row(now, "t1")
    assert t1["visited"] > 0
    assert t1["referrals_open"] + t1["referrals_closed"] > 0
    assert t1["visited"] != _row(before, "t1")["visited"]

    # Transfer, merge, deregistration (an elder with referrals leaves the roll).
    author = CountyAuthor.of(ctx)
    with ctx.engine.begin() as conn:
        transfers.transfer_elder(conn, author, ids[0], "t2", "迁居", "test")
        registry.merge_elders(conn, author, ids[1], ids[2], "同一人", "test")
        for elder_id in ids[3:8]:
            registry.deregister_elder(conn, author, elder_id, "death", TODAY, "", "test")
    with ctx.engine.connect() as conn:
        moved = _compare(conn, TODAY)
        for day in (TODAY + timedelta(days=7), TODAY + timedelta(days=200)):
            later = _compare(conn, day)  # birthdays: tiers recomputed for the day
    assert moved != now
    assert _row(later, "t2")["visits_planned"] >= 1

    # The birthday: on the day the elder of 二镇 turns 60 it is in the plan. On PostgreSQL
    # the recomputed tier is written back for the days it holds.
    with ctx.engine.connect() as conn:
        assert _row(_compare(conn, birthday - timedelta(days=1)), "t2")["visits_planned"] \
            == _row(moved, "t2")["visits_planned"]
        on_birthday = _compare(conn, birthday)
    assert _row(on_birthday, "t2")["visits_planned"] == _row(moved, "t2")["visits_planned"] + 1
    with ctx.engine.connect() as conn:
        kept = conn.execute(select(elder_state.c.tier_from, elder_state.c.visit_tier)
                            .where(elder_state.c.elder_id == young)).one()
        if not is_sqlite(conn):
            assert kept.tier_from == birthday
            assert kept.visit_tier == 2

    # A new plan version in force from today: every tier computed again under it.
    with ctx.engine.connect() as conn:
        cached = stats.county_summary(conn, TODAY)
    with ctx.engine.begin() as conn:
        publish_plan(conn, _plan_file(tmp_path), "test")
    with ctx.engine.connect() as conn:
        republished = _compare(conn, TODAY)
        assert stats.county_summary(conn, TODAY) == republished  # not the summary kept
    assert republished != moved
    assert republished != cached

    # Rebuilding from the heads (migration 0009) gives the rows ingest kept, except the
    # tiers, which are computed for today under the plan in force.
    columns = [c for c in elder_state.c if c.name not in ("tier_from", "tier_until",
                                                          "visit_plan", "visit_tier",
                                                          "visit_undetermined")]
    with ctx.engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(select(*columns).order_by(
            elder_state.c.elder_id))]
    kept_state = _state(ctx)[1]
    with ctx.engine.begin() as conn:
        current_state.rebuild(conn)
    with ctx.engine.connect() as conn:
        assert [tuple(r) for r in conn.execute(select(*columns).order_by(
            elder_state.c.elder_id))] == rows
        _compare(conn, TODAY)
    assert _state(ctx)[1] == kept_state
    # Parts of exactly all the elders: the last page read is empty.
    monkeypatch.setattr(stats_frames, "PART", len(rows))
    with ctx.engine.connect() as conn:
        _compare(conn, TODAY)
    first.outbox.close()
    second.outbox.close()
