"""The county pages' templates as files: each one loads, none carries script, inline style or
an event handler (the CSP forbids them), and none turns autoescaping off."""

from __future__ import annotations

import re

import pytest
from jinja2 import UndefinedError

from server.web.templating import ENVIRONMENT, render_text

TEMPLATES = ENVIRONMENT.list_templates(extensions=["html"])
FORBIDDEN = {
    "a script": re.compile(r"<\s*script", re.IGNORECASE),
    "an inline style": re.compile(r"\sstyle\s*=|<\s*style", re.IGNORECASE),
    "an event handler": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "a javascript: link": re.compile(r"javascript:", re.IGNORECASE),
    "markup marked safe": re.compile(r"\|\s*safe\b|autoescape\s+false|Markup\("),
}


def test_every_page_has_a_template() -> None:
    assert "base.html" in TEMPLATES
    assert "_macros.html" in TEMPLATES
    assert len(TEMPLATES) >= 20


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_loads_and_is_script_free(name: str) -> None:
    ENVIRONMENT.get_template(name)  # parses
    assert ENVIRONMENT.loader is not None
    source = ENVIRONMENT.loader.get_source(ENVIRONMENT, name)[0]
    for what, pattern in FORBIDDEN.items():
        assert not pattern.search(source), f"{name} contains {what}"


def test_autoescape_is_on_and_a_missing_value_fails() -> None:
    page = render_text("error.html", {"title": "<b>标题</b>", "message": "<script>x</script>",
                                      "back": '" onmouseover="x'})
    assert "<script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    assert "<title>&lt;b&gt;标题&lt;/b&gt; · " in page
    assert 'href="&#34; onmouseover=&#34;x"' in page
    with pytest.raises(UndefinedError):
        render_text("error.html", {"title": "无法完成操作", "back": "/"})  # no message


def test_none_renders_as_nothing() -> None:
    page = render_text("error.html", {"title": "t", "message": None, "back": "/"})
    assert 'role="alert"></p>' in page
    assert "None" not in page


def test_an_unnamed_record_leaves_no_none_on_the_registry_page() -> None:
    from server.web.registry_view import registry_page

    person = {"elder_id": "e1", "name": None, "id_number": None, "birth_date": None,
              "township": "甲镇", "village": None}
    page = render_text("registry.html", {"title": "名册", "csrf": "t", **registry_page(
        [{"reason_text": "姓名读音与出生日期相同", "first": person,
          "second": {**person, "elder_id": "e2"}}], 8)})
    assert "None" not in page
    assert "保留  并合并" in page
    assert "（无号码，，甲镇）" in page
