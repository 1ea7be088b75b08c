"""The form file against the standard's companion TSV, and refusal of bad form files."""

from __future__ import annotations

import copy
import csv
from pathlib import Path
from typing import Any

import pytest
import yaml

from assessment.errors import FormFileError
from assessment.forms import default_form, load_form, parse_form
from assessment.paths import forms_dir

SHARED_SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec"
TSV = SHARED_SPEC / "gbt42195-items.tsv"
LOCAL_TSV = Path(__file__).resolve().parent / "gbt42195-items.tsv"


def tsv_rows() -> list[dict[str, str]]:
    """The companion TSV (the shared spec when beside the checkout, else the test copy)."""
    path = TSV if TSV.exists() else LOCAL_TSV
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def raw_form() -> dict[str, Any]:
    """The bundled form file as parsed YAML, for making broken copies."""
    data = yaml.safe_load((forms_dir() / "gbt42195-2022.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_every_option_matches_the_companion_tsv() -> None:
    form = default_form()
    ours = [
        (item.key, dim.key, item.name, option.score, option.text)
        for dim in form.dimensions for item in dim.items for option in item.options
    ]
    theirs = [
        (r["item_key"], r["dimension_key"], r["item_name"], int(r["score"]), r["option_text"])
        for r in tsv_rows()
    ]
    assert len(theirs) == 117
    assert ours == theirs


def test_maxima_and_structure() -> None:
    form = default_form()
    assert [d.max_score for d in form.dimensions] == [32, 15, 28, 15]
    assert [len(d.items) for d in form.dimensions] == [8, 4, 9, 5]
    assert form.max_total == 90
    assert form.item("B.1.1").label == "进食：使用适当的器具将食物送入口中并咽下"
    assert form.item("B.4.4").label == "使用交通工具外出"
    assert form.item("B.3.9").states_for(0) == ("昏睡", "昏迷")
    assert form.item("B.3.9").note_footnote is not None
    assert [g.name for g in form.grades] == [
        "能力完好", "能力轻度受损（轻度失能）", "能力中度受损（中度失能）",
        "能力重度受损（重度失能）", "能力完全丧失（完全失能）",
    ]
    assert [r.code for r in form.change_rules] == ["coma", "diagnosis", "risk_events"]


def test_appendix_a_is_complete() -> None:
    form = default_form()
    keys = {f.key for f in form.fields}
    expected = {f"A.1.{i}" for i in range(1, 4)} | {f"A.2.{i}" for i in range(1, 14)}
    expected |= {f"A.2.14.{i}" for i in range(1, 6)} | {f"A.3.{i}" for i in range(1, 5)}
    expected |= {"A.4.1", "A.4.2"} | {f"A.5.{i}" for i in range(1, 13)}
    assert keys == expected
    assert len(form.info_field("A.4.1").options) == 23
    assert form.info_field("A.2.14.3").option_texts() == ("无", "发生过1次", "发生过2次",
                                                           "发生过3次及以上")
    assert form.info_field("A.2.9").option_texts()[3] == "高中/技校/中专"
    assert [f.key for f in form.fields if f.required_to_finalize] == [
        "A.1.1", "A.1.2", "A.1.3", "A.3.1", "A.3.2"]


def test_rules_hash_is_stable_and_sensitive() -> None:
    data = raw_form()
    first = parse_form(data, "a.yaml").rules_hash
    assert parse_form(copy.deepcopy(data), "b.yaml").rules_hash == first
    changed = copy.deepcopy(data)
    changed["grades"][1]["min_total"] = 67
    changed["grades"][2]["max_total"] = 66
    assert parse_form(changed, "c.yaml").rules_hash != first


def _broken(mutate: Any) -> dict[str, Any]:
    data = raw_form()
    mutate(data)
    return data


@pytest.mark.parametrize(
    ("mutate", "key", "reason"),
    [
        (lambda d: d["appendix_b"][0]["items"][0]["options"][0].update(score="4"),
         "B.1.1.options[0].score", "整数"),
        (lambda d: d["appendix_b"][0]["items"][0].update(key="B.2.1"), "B.2.1", "维度 B.1"),
        (lambda d: d["appendix_b"][0]["items"][1].update(key="B.1.1"), "B.1.1", "重复"),
        (lambda d: d["appendix_b"][0]["items"][0]["options"].pop(), "B.1.1.options", "0 分"),
        (lambda d: d["grades"][1].update(min_total=60), "grades", "覆盖"),
        (lambda d: d["form"].update(max_total=91), "form.max_total", "91"),
        (lambda d: d["change_rules"][0]["when"]["any"][0]["equals"].update(field="A.5.99"),
         "coma.when", "A.5.99"),
        (lambda d: d["change_rules"][1]["when"]["contains_any"].update(values=["痴呆"]),
         "diagnosis.when", "痴呆"),
        (lambda d: d["change_rules"][2].update(effect={"raise": 1, "set_grade": 4}),
         "risk_events.effect", "之一"),
        (lambda d: d["appendix_a"][0]["fields"][2].update(type="radio"), "A.1.3.type", "radio"),
        (lambda d: d.update(extra=1), "(文件)", "extra"),
        (lambda d: d["appendix_b"][2]["items"][8]["options"][3].pop("state"),
         "B.3.9.options", "state"),
    ],
)
def test_bad_form_refused_with_file_key_and_reason(mutate: Any, key: str, reason: str) -> None:
    with pytest.raises(FormFileError) as caught:
        parse_form(_broken(mutate), "broken.yaml")
    assert caught.value.file == "broken.yaml"
    assert caught.value.key == key
    assert reason in caught.value.reason


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(FormFileError, match="无法读取"):
        load_form(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("form: [unclosed", encoding="utf-8")
    with pytest.raises(FormFileError, match="YAML"):
        load_form(bad)


def test_rules_hash_is_the_same_in_every_process() -> None:
    import os
    import subprocess
    import sys

    code = "from assessment.forms import default_form; print(default_form().rules_hash)"
    hashes = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip()
        for seed in ("1", "2", "3")
    }
    assert hashes == {default_form().rules_hash}
