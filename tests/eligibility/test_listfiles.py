"""List files are validated on load; a bad file is refused with file, item and reason."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from assessment.eligibility import load_list_file, load_vocabulary
from assessment.eligibility.registry import bundled_lists_dir
from assessment.errors import FormFileError

PROVISIONAL = bundled_lists_dir() / "shanxi-provisional.yaml"


def provisional_data() -> dict[str, Any]:
    data = yaml.safe_load(PROVISIONAL.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "list.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def with_rule(item_id: str, rule: str) -> dict[str, Any]:
    data = copy.deepcopy(provisional_data())
    for item in data["items"]:
        if item["id"] == item_id:
            item["rule"] = rule
    return data


def test_bundled_lists_load() -> None:
    vocabulary = load_vocabulary()
    version = load_list_file(PROVISIONAL, vocabulary)
    assert [i.id for i in version.items] == [f"N{n:02d}" for n in range(1, 16)] + ["V2026"]
    assert version.provisional
    for city in ("changzhi", "xinzhou"):
        city_list = load_list_file(bundled_lists_dir() / f"{city}.yaml", vocabulary)
        assert city_list.scope is not None
        assert len(city_list.items) == 2


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ("agee >= 80", "agee"),
        ("assistance_status >= 3", "不是数值属性"),
        ("assistance_status == rich", "rich"),
        ("age >= 高龄", "整数"),
        ("age >= ", "此处应为"),
        ("(age >= 80", ")"),
        ("age >= 80 80", "多余"),
        ("ltc_insured == 1", "true/false"),
        ("age >= 60 and birth_date", "不是布尔属性"),
        ("capability_grade in settings.nothing", "未知设置"),
        ("living >= 1", "集合属性"),
        ("age is empty", "不是集合属性"),
        ("age >= 60 $ 1", "无法识别"),
        ("age >= 60 and settings.disabled_min_grade", "不是是/否设置"),
        ("age >= 60 and settings.nothing", "不是是/否设置"),
        ("living <= {独居, 在月球}", "在月球"),
        ("age <= {1, 2}", "比较值应为单个值"),
    ],
)
def test_bad_rule_is_refused_with_file_item_and_reason(
    tmp_path: Path, rule: str, reason: str
) -> None:
    path = write(tmp_path, with_rule("N02", rule))
    with pytest.raises(FormFileError) as caught:
        load_list_file(path, load_vocabulary())
    assert caught.value.file == str(path)
    assert caught.value.key == "N02"
    assert reason in caught.value.reason


@pytest.mark.parametrize(
    ("change", "key", "reason"),
    [
        (lambda d: d["items"][0].update(colour="red"), "N01", "未知字段"),
        (lambda d: d["items"][1].update(id="N01"), "N01", "重复"),
        (lambda d: d["items"][0].update(type="其他"), "N01", "服务类型"),
        (lambda d: d["items"][0].update(standard={"amount": "很多"}), "N01", "amount"),
        (lambda d: d.update(effective_from="2023-02-30"), "effective_from", "无效"),
        (lambda d: d["settings"].update(semi_grades=1), "settings.semi_grades", "整数列表"),
        (lambda d: d.pop("settings"), "settings", "缺少设置"),
        (lambda d: d.update(kind="form"), "kind", "service-list"),
        (lambda d: d.update(items=[]), "items", "没有条目"),
        (lambda d: d["items"][15].update(effective_to="2025-01-01"), "V2026", "早于"),
        (lambda d: d["settings"].update(n12_includes_dibao=1), "settings.n12_includes_dibao",
         "true 或 false"),
        (lambda d: d["items"][5].update(priority="agee"), "N06", "优先条件无效"),
    ],
)
def test_bad_list_file_is_refused(tmp_path: Path, change: Any, key: str, reason: str) -> None:
    data = copy.deepcopy(provisional_data())
    change(data)
    path = write(tmp_path, data)
    with pytest.raises(FormFileError) as caught:
        load_list_file(path, load_vocabulary())
    assert (caught.value.file, caught.value.key) == (str(path), key)
    assert reason in caught.value.reason


def test_predicate_cycle_is_refused(tmp_path: Path) -> None:
    data = with_rule("N02", "loop_a")
    data["predicates"] = {
        "loop_a": {"label": "甲", "expr": "loop_b"},
        "loop_b": {"label": "乙", "expr": "loop_a"},
    }
    with pytest.raises(FormFileError, match="循环"):
        load_list_file(write(tmp_path, data), load_vocabulary())


def test_settings_change_the_derived_predicates(tmp_path: Path) -> None:
    data = with_rule("N13", "age >= 60 and disabled")
    data["settings"]["disabled_min_grade"] = 2
    version = load_list_file(write(tmp_path, data), load_vocabulary())
    n13 = next(i for i in version.items if i.id == "N13")
    assert "capability_grade ge 2" in n13.rule.key


def test_unreadable_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("kind: service-list\nitems: [\n", encoding="utf-8")
    with pytest.raises(FormFileError) as caught:
        load_list_file(path, load_vocabulary())
    assert caught.value.file == str(path)
