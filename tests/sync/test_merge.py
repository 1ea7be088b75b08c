"""Field-by-field merge of elder profiles: deterministic winner, conflicts kept, review flags."""

from __future__ import annotations

import itertools
from typing import Any

from assessment.wire.merge import (
    FieldState,
    changed_fields,
    flatten,
    merge_elder,
    needs_review,
    snapshot,
)

BASE: dict[str, Any] = {"name": "张三", "phone": "1", "info": {"A.2.4": 170},
                        "attributes": {"area_type": "rural"}}


Edit = tuple[dict[str, Any], int, str, int]


def _apply(order: list[Edit]) -> dict[str, FieldState]:
    fields: dict[str, FieldState] = {}
    for payload, hlc, device, version in order:
        result = merge_elder(fields, payload, changed_fields(payload, BASE if version > 1
                                                             else None),
                             hlc=hlc, device_id=device, version=version)
        fields = result.fields
    return fields


def test_flatten_round_trip() -> None:
    assert snapshot({k: FieldState(v, 1, "d", 1) for k, v in flatten(BASE).items()}) == BASE


def test_concurrent_edit_of_one_field_keeps_loser_as_conflict() -> None:
    start = merge_elder({}, BASE, set(flatten(BASE)), hlc=1, device_id="a", version=1).fields
    first = merge_elder(start, {**BASE, "phone": "2"}, {"phone"}, hlc=10, device_id="a",
                        version=2)
    second = merge_elder(first.fields, {**BASE, "phone": "3"}, {"phone"}, hlc=9,
                         device_id="b", version=2)
    assert second.fields["phone"].value == "2"  # greater clock wins
    assert len(second.conflicts) == 1
    conflict = second.conflicts[0]
    assert (conflict.winner.value, conflict.loser.value) == ("2", "3")
    assert not conflict.review_required


def test_edit_after_seeing_the_other_value_is_no_conflict() -> None:
    start = merge_elder({}, BASE, set(flatten(BASE)), hlc=1, device_id="a", version=1).fields
    first = merge_elder(start, {**BASE, "phone": "2"}, {"phone"}, hlc=10, device_id="a",
                        version=2)
    later = merge_elder(first.fields, {**BASE, "phone": "4"}, {"phone"}, hlc=20, device_id="b",
                        version=3)
    assert later.fields["phone"].value == "4"
    assert later.conflicts == ()


def test_different_fields_merge_without_conflict() -> None:
    start = merge_elder({}, BASE, set(flatten(BASE)), hlc=1, device_id="a", version=1).fields
    one = merge_elder(start, {**BASE, "phone": "2"}, {"phone"}, hlc=10, device_id="a", version=2)
    two = merge_elder(one.fields, {**BASE, "name": "张叁"}, {"name"}, hlc=11, device_id="b",
                      version=2)
    merged = snapshot(two.fields)
    assert (merged["phone"], merged["name"]) == ("2", "张叁")
    assert two.conflicts == ()


def test_outcome_does_not_depend_on_arrival_order() -> None:
    edits: list[Edit] = [({**BASE, "phone": "2"}, 10, "a", 2), ({**BASE, "phone": "3"}, 10, "b", 2),
             ({**BASE, "name": "李四"}, 5, "c", 2)]
    created: Edit = (BASE, 1, "a", 1)
    results = {
        tuple(sorted((k, str(v.value)) for k, v in _apply([created, *perm]).items()))
        for perm in itertools.permutations(edits)
    }
    assert len(results) == 1
    assert dict(next(iter(results)))["phone"] == "3"  # same clock: greater device id wins


def test_grade_score_and_list_attributes_always_go_to_review() -> None:
    assert needs_review("attributes.capability_grade")
    assert needs_review("attributes.assistance_status")
    assert needs_review("info.score_note")
    assert not needs_review("phone")
    start = merge_elder({}, BASE, set(flatten(BASE)), hlc=1, device_id="a", version=1).fields
    one = merge_elder(start, {**BASE, "attributes": {"area_type": "urban"}},
                      {"attributes.area_type"}, hlc=10, device_id="a", version=2)
    two = merge_elder(one.fields, {**BASE, "attributes": {"area_type": "rural2"}},
                      {"attributes.area_type"}, hlc=12, device_id="b", version=2)
    assert two.conflicts[0].review_required


def test_changed_fields_prefers_the_declared_list_and_ignores_metadata() -> None:
    assert changed_fields({**BASE, "changed": ["phone"]}, None) == {"phone"}
    edited = {**BASE, "id": "x", "version": 7, "phone": "9"}
    assert changed_fields(edited, {**BASE, "id": "x", "version": 6}) == {"phone"}
