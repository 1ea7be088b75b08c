"""The current-assessment rule: its Python, SQL and pandas forms pick the same assessment."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import Column, Date, DateTime, MetaData, String, Table, create_engine, select

from assessment.registry.current import current_key, current_rows, newest_first

ROWS = [
    # elder, assessment id, status, reference date, finalized at
    ("e1", "a1", "finalized", date(2025, 3, 1), datetime(2025, 3, 1, 10)),
    ("e1", "a2", "finalized", date(2025, 6, 1), datetime(2025, 6, 1, 9)),
    ("e1", "a3", "draft", date(2026, 1, 1), None),  # a draft is never current
    ("e2", "b1", "finalized", date(2025, 6, 1), datetime(2025, 6, 2, 9)),
    ("e2", "b2", "finalized", date(2025, 6, 1), datetime(2025, 6, 1, 9)),  # same day, earlier
    ("e3", "c1", "finalized", None, datetime(2025, 1, 1)),  # no date counts as earliest
    ("e3", "c2", "finalized", date(2024, 1, 1), None),
    ("e4", "d9", "finalized", date(2025, 1, 1), datetime(2025, 1, 1)),  # full tie: greater id
    ("e4", "d1", "finalized", date(2025, 1, 1), datetime(2025, 1, 1)),
    ("e5", "x1", "discarded", date(2025, 1, 1), None),
]
EXPECTED = {"e1": "a2", "e2": "b1", "e3": "c2", "e4": "d9"}


def by_python(rows: list[tuple[str, str, str, date | None, datetime | None]]) -> dict[str, str]:
    best: dict[str, tuple[tuple[bool, date, bool, str, str], str]] = {}
    for elder, aid, status, ref, fin in rows:
        if status != "finalized":
            continue
        key = current_key(ref, fin, aid)
        if elder not in best or key > best[elder][0]:
            best[elder] = (key, aid)
    return {elder: aid for elder, (_, aid) in best.items()}


def by_pandas(rows: list[tuple[str, str, str, date | None, datetime | None]]) -> dict[str, str]:
    frame = pd.DataFrame(rows, columns=["elder_id", "assessment_id", "status",
                                        "reference_date", "finalized_at"])
    frame["reference_date"] = pd.to_datetime(frame["reference_date"])
    frame["finalized_at"] = [None if fin is None else fin.isoformat() for *_, fin in rows]
    current = current_rows(frame)
    return dict(zip(current["elder_id"], current["assessment_id"], strict=True))


def by_sql(rows: list[tuple[str, str, str, date | None, datetime | None]]) -> dict[str, str]:
    engine = create_engine("sqlite://")
    table = Table("assessments", MetaData(), Column("elder_id", String), Column("id", String),
                  Column("status", String), Column("reference_date", Date),
                  Column("finalized_at", DateTime))
    table.metadata.create_all(engine)
    found: dict[str, str] = {}
    with engine.begin() as conn:
        conn.execute(table.insert(), [dict(zip(["elder_id", "id", "status", "reference_date",
                                                "finalized_at"], r, strict=True)) for r in rows])
        for elder in sorted({r[0] for r in rows}):
            first = conn.execute(
                select(table.c.id).where(table.c.elder_id == elder,
                                         table.c.status == "finalized")
                .order_by(*newest_first(table.c.reference_date, table.c.finalized_at,
                                        table.c.id)).limit(1)).scalar()
            if first is not None:
                found[elder] = first
    return found


def test_the_three_forms_pick_the_documented_assessment() -> None:
    assert by_python(ROWS) == EXPECTED
    assert by_pandas(ROWS) == EXPECTED
    assert by_sql(ROWS) == EXPECTED


def test_the_three_forms_agree_on_random_histories() -> None:
    rng = random.Random(7)
    rows = []
    for n in range(300):
        ref = None if rng.random() < 0.1 else date(2024, 1, 1) + timedelta(rng.randrange(20))
        fin = None if rng.random() < 0.1 else datetime(2024, 1, 1) + timedelta(
            hours=rng.randrange(40))
        status = rng.choice(("finalized", "finalized", "draft"))
        rows.append((f"e{rng.randrange(40)}", f"a{n:03d}", status, ref, fin))
    expected = by_python(rows)
    assert by_pandas(rows) == expected
    assert by_sql(rows) == expected
