"""The benchmark runner: ``--size N`` runs a workload at the chosen size, one JSON line each."""

from __future__ import annotations

import json

import pytest

from benchmarks.__main__ import main


def test_size_runs_the_workload_at_that_size(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grading", "--size", "40"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines, "no JSON line printed"
    for line in lines:
        assert line["size"] == 40
        assert line["workload"] == "grading"
        assert {"figure", "floor", "ratio"} <= line.keys()
    assert lines[0]["assessments"] == 40


@pytest.mark.parametrize("bad", ["0", "-5", "many"])
def test_size_must_be_a_positive_whole_number(bad: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["grading", "--size", bad])
    assert exit_.value.code == 2
    assert "规模必须是正整数" in capsys.readouterr().err


def test_size_and_quick_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["grading", "--size", "40", "--quick"])
    assert "not allowed" in capsys.readouterr().err
