"""What the review pages call profile fields and their values (from the vocabulary)."""

from __future__ import annotations

from server.web.labels import field_label, value_text


def test_attribute_fields_and_codes_read_in_chinese() -> None:
    assert field_label("attributes.assistance_status") == "档案属性 救助身份（assistance_status）"
    assert field_label("attributes.disability_cert") == "档案属性 残疾证（disability_cert）"
    assert field_label("attributes.no_such_thing") == "档案属性 no_such_thing"
    assert field_label("phone") == "联系电话（phone）"
    assert value_text("attributes.assistance_status", "tekun_centralized") == \
        "特困人员（集中供养）（tekun_centralized）"
    assert value_text("attributes.assistance_status", "made_up") == "made_up（made_up）"
    # Non-enum attributes and plain fields keep their values.
    assert value_text("attributes.capability_grade", 3) == 3
    assert value_text("phone", "13900000001") == "13900000001"
