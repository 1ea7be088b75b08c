"""The county's roster import (``yinling county registry import`` and the registry page):
the offices' lists (民政, 残联, 卫健, 退役军人事务) matched by ID number against every elder the
county holds, with the laptops' rules (:mod:`assessment.registry.plan`).

Each updated elder gets one county change (``source="county"``) that sets the attribute and
its provenance (``changed`` names exactly those fields), so every laptop of the elder's
township merges it with its next pull exactly as the county did. A contradiction (an older
roster against a newer entry) goes to the conflicts queue for review and is not applied. The
whole import is one transaction; the audit log keeps its summary.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select

from assessment.errors import FormFileError, InputRejected, Problem
from assessment.ids import new_id
from assessment.registry.kinds import KINDS
from assessment.registry.officefiles import read_office_file
from assessment.registry.plan import (
    ImportPlan,
    RegistryEntry,
    eligibility_changes,
    plan_import,
)
from assessment.registry.status import ACTIVE, RECORD_TYPE
from assessment.wire.hlc import unpack
from server import audit, field_state
from server.county_device import CountyAuthor, Draft, emit, lock_feeds, next_hlc
from server.db.tables import conflicts, record_heads
from server.timeutil import utcnow

SOURCE_LIMIT = 100


def _check(kind: str, source: str, as_of: date) -> str:
    problems: list[Problem] = []
    if kind not in KINDS:
        problems.append(Problem("kind", "option", "名单类型应为：" + "、".join(KINDS)))
    text = source.strip()
    if not text or len(text) > SOURCE_LIMIT:
        problems.append(Problem("source", "value",
                                f"请填写名单来源（如“县民政局”），最多 {SOURCE_LIMIT} 个字"))
    if as_of > date.today():
        problems.append(Problem("as_of", "future", "名单截止日期不能晚于今天"))
    if problems:
        raise InputRejected(problems)
    return text


def _day_of_hlc(hlc: int) -> date:
    return datetime.fromtimestamp(unpack(int(hlc))[0] / 1000, UTC).date()


def county_entries(conn: Connection, attribute: str) -> tuple[list[RegistryEntry],
                                                               dict[str, Any]]:
    """Every elder with an ID number as the import matches them, and their heads."""
    h = record_heads.c
    off = {str(r) for r in conn.execute(select(h.record_id).where(
        h.record_type == RECORD_TYPE, h.status != ACTIVE)).scalars()}
    written = {elder_id: _day_of_hlc(state.hlc)
               for elder_id, state in field_state.writes_of(conn, f"attributes.{attribute}")}
    entries: list[RegistryEntry] = []
    heads: dict[str, Any] = {}
    for row in conn.execute(select(h.record_id, h.version, h.township_id, h.payload,
                                   h.updated_at).where(h.record_type == "elder")):
        payload = json.loads(row.payload)
        number = payload.get("id_number")
        if not isinstance(number, str) or not number:
            continue
        elder_id = str(row.record_id)
        heads[elder_id] = row
        attributes = payload.get("attributes")
        provenance = payload.get("provenance")
        saved = written.get(elder_id) or (row.updated_at.date() if row.updated_at else None)
        entries.append(RegistryEntry(
            elder_id, number, str(payload.get("name") or ""),
            attributes if isinstance(attributes, dict) else {},
            provenance if isinstance(provenance, dict) else {}, saved,
            active=elder_id not in off))
    return entries, heads


def _derived(conn: Connection, elder_ids: set[str],
             heads: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Birth date, sex and current grade of the elders (what the engine derives)."""
    derived: dict[str, dict[str, Any]] = {}
    for elder_id in elder_ids:
        payload = json.loads(heads[elder_id].payload)
        derived[elder_id] = {"birth_date": payload.get("birth_date"), "sex": payload.get("sex")}
    if not elder_ids:
        return derived
    h = record_heads.c
    latest: dict[str, tuple[str, int]] = {}
    for elder_id, grade, payload in conn.execute(select(h.elder_id, h.grade, h.payload).where(
            h.record_type == "assessment", h.status == "finalized",
            h.elder_id.in_(sorted(elder_ids)))):
        day = str(json.loads(payload).get("reference_date") or "")
        if grade is not None and (elder_id not in latest or day > latest[elder_id][0]):
            latest[str(elder_id)] = (day, int(grade))
    for elder_id, (day, grade) in latest.items():
        derived[elder_id]["capability_grade"] = grade
        derived[elder_id]["capability_assessed_on"] = day or None
    return derived


def plan_county_import(conn: Connection, path: Path, kind: str, source: str,
                       as_of: date) -> tuple[ImportPlan, dict[str, Any]]:
    """Read the file and decide what it changes (nothing written)."""
    from server.county_lists import county_lists

    text = _check(kind, source, as_of)
    import_kind = KINDS[kind]
    roster = read_office_file(path, import_kind)
    entries, heads = county_entries(conn, import_kind.attribute)
    plan = plan_import(roster, entries, kind=import_kind, source=text, as_of=as_of,
                       import_id=new_id())
    changed = {u.elder_id for u in plan.updates if u.value_changed}
    try:
        lists = county_lists(conn)
    except (InputRejected, FormFileError):
        lists = None
    if lists is not None and changed:
        eligibility_changes(plan, {e.elder_id: e for e in entries},
                            _derived(conn, changed, heads), lists)
    return plan, heads


def import_county_office_file(conn: Connection, author: CountyAuthor, path: Path, *, kind: str,
                         source: str, as_of: date, dry_run: bool,
                         actor: str) -> dict[str, Any]:
    """Import a roster at the county inside the caller's transaction; the summary."""
    plan, heads = plan_county_import(conn, Path(path), kind, source, as_of)
    if dry_run or not plan.applicable:
        return plan.summary(dry_run=dry_run, applied=False)
    lock_feeds(conn, {int(heads[u.elder_id].township_id) for u in plan.updates})
    by_elder: dict[str, list[Any]] = {}
    for update in plan.updates:
        by_elder.setdefault(update.elder_id, []).append(update)
    drafts: list[Draft] = []
    for elder_id, updates in sorted(by_elder.items()):
        head = heads[elder_id]
        payload: dict[str, Any] = json.loads(head.payload)
        attributes = dict(payload.get("attributes") or {})
        provenance = dict(payload.get("provenance") or {})
        changed: list[str] = []
        for update in updates:
            attributes[update.attribute] = update.after
            provenance[update.attribute] = dict(update.provenance)
            changed += [f"attributes.{update.attribute}", f"provenance.{update.attribute}"]
        version = int(head.version) + 1
        drafts.append(Draft("elder", elder_id, version, next_hlc(conn, author, 0),
                            {**payload, "attributes": attributes, "provenance": provenance,
                             "version": version, "changed": sorted(set(changed))}))
    if drafts:
        emit(conn, author, int(heads[drafts[0].record_id].township_id), drafts,
             source="county")
    now = utcnow()
    for c in plan.contradictions:
        # The current write is the winner, the roster's value the loser: the reviewer's
        # ``prefer_other`` then sets the roster's value everywhere, ``keep`` closes it.
        field = f"attributes.{c.attribute}"
        current = field_state.field(conn, c.elder_id, field)
        conn.execute(insert(conflicts).values(
            township_id=int(heads[c.elder_id].township_id), record_id=c.elder_id, field=field,
            winner_value=json.dumps(c.registry, ensure_ascii=False),
            winner_device=str(current.device_id) if current is not None else "registry",
            winner_hlc=int(current.hlc) if current is not None else 0,
            loser_value=json.dumps(c.roster, ensure_ascii=False),
            loser_device=f"import:{plan.import_id}"[:64], loser_hlc=0,
            review_required=True, status="open", created_at=now))
    summary = plan.summary(dry_run=False, applied=True)
    audit.record(conn, actor, "registry.import", {
        k: summary[k] for k in ("import_id", "kind", "source", "as_of", "rows", "matched",
                                "updated", "unchanged", "removed")})
    return summary
