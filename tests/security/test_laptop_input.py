"""Hostile input files given to the real ``yinling`` command (issue 12, item 4, CLI side).

Each test performs an attack that printed a Python traceback (or ate a gigabyte) before
every input went through :mod:`assessment.inputreader`: deep nesting, integers of thousands of
digits, characters that pass ``str.isdigit`` but not ``int``, a 100 MB file, and a reader
that stops reading standard output. Every refusal must be exit 1 with a Chinese message that
names the field, and never a traceback.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from assessment.records.demo import DEMO_PASSWORD, DEMO_SUPERVISOR, create_demo_workspace
from server import county
from server.config import Settings
from server.context import ServerContext
from tests.assessment.cases import MAX
from tests.security.laptop_cli import YINLING, assert_refused, yinling

DEEP_JSON = "[" * 10_000
HUGE = "9" * 5000
BILLION_LAUGHS = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]\n" for n in range(1, 10))


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def huge_item_case() -> str:
    """A score case whose item B.1.1 is a 5,000-digit integer (JSON text, not Python)."""
    items = json.dumps(dict(MAX, **{"B.1.1": 0}))
    return '{"items": ' + items.replace('"B.1.1": 0', f'"B.1.1": {HUGE}') + "}"


@pytest.mark.parametrize("command", ["score", "match"])
def test_deep_json_is_refused_with_its_position(tmp_path: Path, command: str) -> None:
    done = yinling(command, write(tmp_path / "deep.json", DEEP_JSON))
    assert_refused(done, "嵌套层数超过", "第 1 行")


def test_score_names_the_item_with_a_5000_digit_integer(tmp_path: Path) -> None:
    done = yinling("score", write(tmp_path / "huge.json", huge_item_case()))
    assert_refused(done, "items.B.1.1", "位数")


def test_match_names_the_field_with_a_5000_digit_integer(tmp_path: Path) -> None:
    text = '[{"birth_date": "1940-01-01"}, {"capability_grade": ' + HUGE + "}]"
    done = yinling("match", write(tmp_path / "huge.json", text))
    assert_refused(done, "[1].capability_grade", "位数")


def test_score_from_standard_input_is_limited_too() -> None:
    assert_refused(yinling("score", "-", stdin=DEEP_JSON), "嵌套层数超过")


@pytest.mark.parametrize("text", [DEEP_JSON, '[{"capability_grade": ' + HUGE + "}]"])
def test_roster_json_input_is_refused(tmp_path: Path, text: str) -> None:
    done = yinling("roster", "--input", write(tmp_path / "p.json", text), "--out",
                   tmp_path / "r.xlsx")
    assert_refused(done)
    assert not (tmp_path / "r.xlsx").exists()


@pytest.mark.parametrize("grade", ["²", HUGE])
def test_roster_csv_cell_that_is_not_an_integer_names_row_and_column(
        tmp_path: Path, grade: str) -> None:
    source = tmp_path / "profiles.csv"
    with source.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "birth_date", "capability_grade"])
        writer.writerow(["甲", "1940-01-01", grade])
    done = yinling("roster", "--input", source, "--out", tmp_path / "r.csv")
    assert_refused(done, "第2行", "capability_grade")


def _county(tmp_path: Path) -> list[str]:
    return ["county", "--data-dir", str(tmp_path / "county")]


@pytest.mark.parametrize(("text", "named"), [
    (DEEP_JSON, "嵌套层数超过"),
    ('{"format": "yinling-enrol-request", "code": ' + HUGE + "}", "code"),
])
def test_county_enrol_device_refuses_hostile_request_files(tmp_path: Path, text: str,
                                                          named: str) -> None:
    done = yinling(*_county(tmp_path), "enrol-device", write(tmp_path / "req.json", text),
                   "--out", tmp_path / "answer.json")
    assert_refused(done, named)
    assert not (tmp_path / "answer.json").exists()


@pytest.mark.parametrize(("text", "named"), [
    (DEEP_JSON, "嵌套层数超过"),
    ('{"format": "yinling-enrol-response", "device_id": ' + HUGE + "}", "device_id"),
])
def test_sync_enrol_import_refuses_hostile_answer_files(tmp_path: Path, text: str,
                                                       named: str) -> None:
    create_demo_workspace(tmp_path / "laptop", elders=2, seed=3)
    done = yinling("sync", "--data-dir", tmp_path / "laptop", "--user", DEMO_SUPERVISOR,
                   "enrol-import", write(tmp_path / "answer.json", text),
                   env={"YINLING_PASSWORD": DEMO_PASSWORD})
    assert_refused(done, named)


@pytest.mark.parametrize(("text", "named"), [
    ("kind: list\nitems:\n" + "- " * 5000 + "x\n", "嵌套层数超过"),
    ("[" * 100_000, "嵌套层数超过"),
    (f"kind: list\nlist: evil\nversion: {HUGE}\n", "位数"),
    ("a: &a [*a]\n", "别名"),
    (BILLION_LAUGHS, "展开别名后内容过多"),
])
def test_lists_install_refuses_hostile_yaml(tmp_path: Path, pilot: Path, text: str,
                                           named: str) -> None:
    done = yinling("lists", "install", write(tmp_path / "evil.yaml", text), "--data-dir", pilot,
                   "--user", DEMO_SUPERVISOR, env={"YINLING_PASSWORD": DEMO_PASSWORD})
    assert_refused(done, named)
    assert not list((pilot / "service_lists").glob("*.yaml"))


@pytest.fixture(scope="module")
def pilot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A laptop with no county, whose supervisor installs lists (nothing hostile gets in)."""
    folder = tmp_path_factory.mktemp("pilot") / "data"
    create_demo_workspace(folder, elders=1, seed=3)
    return folder


def test_a_100_mb_file_is_refused_by_its_size_before_it_is_read(tmp_path: Path) -> None:
    """Before: ``score`` read and parsed the whole file (about 1 GB of memory).

    The child's peak memory is read with ``getrusage`` by an intermediate process whose only
    child is ``yinling``; the bound (300 MB) is generous, the old figure was above 1 GB.
    """
    big = tmp_path / "big.json"
    case = json.dumps({"items": MAX}) + ","
    with big.open("w", encoding="utf-8") as handle:
        handle.write("[")
        block = case * 1000
        while handle.tell() < 100 * 1024 * 1024:
            handle.write(block)
        handle.write(case[:-1] + "]")
    probe = ("import resource, subprocess, sys\n"
             "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
             "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
             "print(done.returncode, peak, sep='\\n')\n"
             "sys.stderr.write(done.stderr)\n")
    done = subprocess.run([sys.executable, "-c", probe, *YINLING, "score", str(big)],
                          capture_output=True, text=True, check=False, timeout=600)
    code, peak_kb = (int(x) for x in done.stdout.split())
    assert "Traceback" not in done.stderr
    assert code == 1
    assert "输入过大" in done.stderr
    assert str(big) in done.stderr
    assert peak_kb < 300 * 1024, peak_kb


def test_piping_into_head_prints_no_broken_pipe_traceback(tmp_path: Path) -> None:
    """Before: ``yinling county township list | head`` ended in a BrokenPipeError traceback."""
    with ServerContext.open(Settings(data_dir=tmp_path / "county", db_url="")) as ctx, \
            ctx.engine.begin() as conn:
        for number in range(1500):  # about 90 KB of output: more than a pipe holds
            county.add_township(conn, f"T{number:05d}", f"测试乡镇{number}", "test")
    command = " ".join([*YINLING, *_county(tmp_path), "township", "list"]) + " | head -c 100"
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True,
                          check=False, timeout=600)
    assert len(done.stdout.encode()) == 100
    assert "Traceback" not in done.stderr, done.stderr
    assert "BrokenPipe" not in done.stderr, done.stderr
