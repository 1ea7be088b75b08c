"""``yinling score``: the worked examples through the command line, and refusals."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assessment.cli import main
from tests.assessment.cases import E21_SCORES, MAX

FULL_REASON_2 = ("确诊为痴呆（F00～F03）、精神科专科医生诊断的其他精神和行为障碍疾病（F04～F99），"
                 "在原有能力级别上应提高一个级别")


def run_cli(tmp_path: Path, payload: object, capsys: pytest.CaptureFixture[str],
            *extra: str) -> tuple[int, str, str]:
    source = tmp_path / "in.json"
    source.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    code = main(["score", str(source), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_object_in_object_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    payload = {"items": E21_SCORES, "diagnoses": ["F00-F03", "I10-I15"]}
    code, out, err = run_cli(tmp_path, payload, capsys)
    assert (code, err) == (0, "")
    assert json.loads(out) == {"B.1": 27, "B.2": 11, "B.3": 26, "B.4": 9, "total": 73,
                               "initial_grade": 1, "final_grade": 2, "reasons": [FULL_REASON_2]}


def test_array_in_array_out_with_coma_and_events(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    coma_case = {"items": dict(E21_SCORES, **{"B.3.9": 0}), "coma": True,
                 "diagnoses": ["F00-F03"], "risk_events": {"A.2.14.1": 2}}
    stupor_case = {"items": dict(MAX, **{"B.3.9": 0})}
    events = {"items": MAX, "risk_events": {"A.2.14.1": 1, "A.2.14.3": 1}}
    code, out, _ = run_cli(tmp_path, [coma_case, stupor_case, events], capsys)
    assert code == 0
    results = json.loads(out)
    assert [r["final_grade"] for r in results] == [4, 1, 1]
    assert [r["total"] for r in results] == [71, 88, 90]
    assert len(results[0]["reasons"]) == 3
    assert results[0]["reasons"][0] == "处于昏迷状态者，直接评定为能力完全丧失（完全失能）"
    assert results[1]["reasons"] == []


def test_cumulative_mode_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    payload = {"items": E21_SCORES, "diagnoses": ["F00-F03"], "risk_events": {"A.2.14.1": 2}}
    code, out, _ = run_cli(tmp_path, payload, capsys, "--grade-raise-mode", "cumulative")
    assert code == 0
    assert json.loads(out)["final_grade"] == 3


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ({"items": {k: v for k, v in MAX.items() if k != "B.2.4"}}, "items.B.2.4"),
        ({"items": dict(MAX, **{"B.2.4": 4})}, "items.B.2.4"),
        ({"items": dict(MAX, **{"B.1.1": "4"})}, "items.B.1.1"),
        ({"items": dict(MAX, **{"B.1.1": 3.0})}, "items.B.1.1"),
        ({"items": dict(MAX, **{"B.7.1": 1})}, "items.B.7.1"),
        ({"items": MAX, "extra": 1}, "extra"),
        ({"items": MAX, "coma": "yes"}, "coma"),
        ({"items": MAX, "diagnoses": ["F00–F03"]}, "diagnoses[0]"),
        ({"items": MAX, "diagnoses": "F00-F03"}, "diagnoses"),
        ({"items": MAX, "risk_events": {"A.2.14.1": 4}}, "risk_events.A.2.14.1"),
        ({"items": MAX, "risk_events": {"A.2.15": 1}}, "risk_events.A.2.15"),
        ([{"items": MAX}, {"items": dict(MAX, **{"B.3.1": -1})}], "[1].items.B.3.1"),
        ([{"items": MAX}, 5], "[1]"),
        ({"items": [1, 2]}, "items"),
        ([], "(输入)"),
    ],
)
def test_bad_input_refused_naming_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          payload: object, named: str) -> None:
    code, out, err = run_cli(tmp_path, payload, capsys)
    assert code == 1
    assert out == ""
    assert named in err


def test_invalid_json_and_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"items": ', encoding="utf-8")
    assert main(["score", str(broken)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "JSON" in err
    assert main(["score", str(tmp_path / "nope.json")]) == 1
    assert "无法读取" in capsys.readouterr().err


def test_console_script_reads_standard_input() -> None:
    payload = json.dumps({"items": MAX, "coma": True})
    done = subprocess.run([sys.executable, "-m", "assessment", "score", "-"], input=payload,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["final_grade"] == 4
    bad = subprocess.run([sys.executable, "-m", "assessment", "score", "-"], input="[1]",
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 1
    assert bad.stdout == ""
