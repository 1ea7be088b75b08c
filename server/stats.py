"""County-wide statistics: elders and finalized assessments by township and grade.

Grades are the server's own recomputation (``record_heads.grade``), counted over the current
version of every finalized assessment.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from server.db.tables import record_heads, townships


def county_statistics(conn: Connection) -> list[dict[str, Any]]:
    """One row per township: elders, finalized assessments, and counts per grade 0–4."""
    names = {r.id: (r.code, r.name) for r in conn.execute(select(townships))}
    rows: dict[int, dict[str, Any]] = {
        tid: {"township": code, "name": name, "elders": 0, "assessments": 0,
              "grades": {str(g): 0 for g in range(5)}}
        for tid, (code, name) in names.items()
    }
    h = record_heads.c
    for tid, count in conn.execute(select(h.township_id, func.count())
                                   .where(h.record_type == "elder").group_by(h.township_id)):
        rows[tid]["elders"] = int(count)
    for tid, grade, count in conn.execute(
            select(h.township_id, h.grade, func.count())
            .where(h.record_type == "assessment", h.status == "finalized")
            .group_by(h.township_id, h.grade)):
        rows[tid]["assessments"] += int(count)
        if grade is not None:
            rows[tid]["grades"][str(grade)] = int(count)
    return [rows[tid] for tid in sorted(rows, key=lambda t: rows[t]["township"])]
