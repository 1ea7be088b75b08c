"""Synthetic elders and graded assessments for load tests, benchmarks and demonstrations.

Payloads follow the change-payload conventions the server expects (see
:mod:`assessment.wire.outbox`): an elder is the whole profile; a finalized assessment carries
its raw answers, form version, rules hash and the grades the laptop computed. Names and ID
numbers are made up (valid check digits, area code of a test county).
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from assessment.identity import make_resident_id
from assessment.scoring import Grader

_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
_GIVEN = "秀英桂兰玉兰建国国华志强淑珍凤英明德春梅"


def elder_payload(rng: random.Random, township: str = "测试镇") -> dict[str, Any]:
    """A made-up elder profile."""
    birth = date(rng.randint(1925, 1960), rng.randint(1, 12), rng.randint(1, 28))
    male = rng.random() < 0.5
    return {
        "name": rng.choice(_SURNAMES) + "".join(rng.choices(_GIVEN, k=2)),
        "id_number": make_resident_id("140105", birth, rng.randint(1, 499), male),
        "sex": "男" if male else "女", "birth_date": birth.isoformat(),
        "township": township, "village": f"第{rng.randint(1, 9)}村",
        "address": f"{rng.randint(1, 99)}号", "phone": f"139{rng.randint(0, 10**8 - 1):08d}",
        "info": {}, "attributes": {"area_type": "rural"},
    }


def answers(grader: Grader, rng: random.Random) -> dict[str, Any]:
    """Random complete, valid answers of the grader's form (scores plus required states)."""
    out: dict[str, Any] = {}
    for item in grader.form.items:
        score = rng.choice(sorted(item.scores))
        out[item.key] = score
        states = item.states_for(score)
        if item.state_key is not None and states:
            out[item.state_key] = states[0]
    return out


def assessment_payload(grader: Grader, rng: random.Random, elder_id: str,
                       status: str = "finalized",
                       rules_hash: str | None = None) -> dict[str, Any]:
    """A graded assessment payload whose claimed results are correct.

    ``rules_hash`` overrides the local form's hash (use the county's, from ``GET /county``).
    """
    raw = answers(grader, rng)
    scores = {k: v for k, v in raw.items() if isinstance(v, int)}
    facts = {k: v for k, v in raw.items() if not isinstance(v, int)}
    result = grader.grade(scores, facts)
    subtotals = {k: result.subtotal(k) for k in result.dimension_keys}
    return {
        "elder_id": elder_id, "status": status, "answers": raw,
        "form_version": grader.form.version_tag,
        "rules_hash": rules_hash or grader.form.rules_hash,
        "subtotals": subtotals, "total": result.total, "initial_grade": result.initial_grade,
        "final_grade": result.final_grade, "reasons": list(result.reasons),
        "reason": "首次评估", "supersedes": None,
    }
