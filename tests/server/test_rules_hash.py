"""An assessment graded under other scoring rules (a different rules hash) is flagged for
the county's review even when every claimed score and grade agrees with the server's."""

from __future__ import annotations

import random
import uuid
from pathlib import Path

from assessment.ids import new_id
from assessment.scoring import Grader
from server.grading import ServerGrader
from testkit.process import ServerProcess
from testkit.synthetic import assessment_payload, elder_payload
from tests.server.support import Laptop

FLAG = "评分规则哈希与服务器不同"


def test_the_grader_flags_only_the_rules_hash() -> None:
    server = ServerGrader(Grader())
    good = assessment_payload(Grader(), random.Random(3), "e1", rules_hash=server.rules_hash)
    assert server.check(good).mismatches == ()
    other = {**good, "rules_hash": "f" * 64}
    check = server.check(other)
    assert check.mismatches == (FLAG,)
    assert check.final_grade == good["final_grade"]  # graded all the same


def test_a_pushed_assessment_under_other_rules_reaches_the_mismatch_queue(
        shared_server: ServerProcess, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    admin = shared_server.admin()
    admin.setup_township(f"r{tag}", [f"r{tag}"])
    laptop = Laptop.enrol(tmp_path / "laptop", shared_server.url, admin.code(f"r{tag}"))
    rng, grader = random.Random(11), Grader()
    elder_id = new_id()
    same = assessment_payload(grader, rng, elder_id, rules_hash=shared_server.rules_hash())
    other = {**assessment_payload(grader, rng, elder_id), "rules_hash": "0" * 64}
    laptop.outbox.record_many([("elder", elder_id, elder_payload(rng)),
                               ("assessment", new_id(), same),
                               ("assessment", new_id(), other)])
    with laptop.client() as client:
        report = client.push()
    laptop.close()
    assert (report.acked_seq, report.applied, report.quarantined) == (3, 3, 0)
    mismatches = admin.call("GET", "/admin/review/mismatches", params={"township": f"r{tag}"})
    assert [m["reason"] for m in mismatches] == [FLAG]
