"""The synced forms of visits and referrals: what the county and a laptop accept."""

from __future__ import annotations

from typing import Any

import pytest

from assessment.visits.synced import visit_day, visit_payload_problem
from tests.visits.conftest import visit

VISIT: dict[str, Any] = {"elder_id": "e1", "plan": "shanxi-visits@2026.12", "tier": "一般",
                         "created_by": "pinggu1", "entry": visit(visit_date="2026-12-01")}
REFERRAL: dict[str, Any] = {"elder_id": "e1", "visit_id": "v1", "kind": "item",
                            "target": "N12", "note": "", "status": "open",
                            "opened_on": "2026-12-01", "closed_on": None, "outcome": None}


def test_well_formed_payloads_pass() -> None:
    assert visit_payload_problem("visit", VISIT) is None
    assert visit_day(VISIT).isoformat() == "2026-12-01"  # type: ignore[union-attr]
    assert visit_payload_problem("referral", REFERRAL) is None


@pytest.mark.parametrize(
    ("kind", "change", "reason"),
    [
        ("visit", {"elder_id": None}, "elder_id"),
        ("visit", {"elder_id": "x" * 65}, "elder_id"),
        ("visit", {"entry": "text"}, "visit_date"),
        ("visit", {"entry": visit(visit_date="2026-02-30")}, "visit_date"),
        ("visit", {"entry": visit(method="")}, "探访方式"),
        ("visit", {"entry": visit(checklist=[])}, "checklist"),
        ("visit", {"plan": None}, "plan"),
        ("referral", {"status": "lost"}, "status"),
        ("referral", {"kind": "friend"}, "kind"),
        ("referral", {"status": "closed"}, "closed_on"),
        ("referral", {"opened_on": "yesterday"}, "opened_on"),
        ("referral", {"note": "长" * 501}, "note"),
    ],
)
def test_malformed_payloads_are_named(kind: str, change: dict[str, Any], reason: str) -> None:
    payload = (VISIT if kind == "visit" else REFERRAL) | change
    problem = visit_payload_problem(kind, payload)
    assert problem is not None
    assert reason in problem
