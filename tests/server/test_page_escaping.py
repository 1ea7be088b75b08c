"""The county pages' templates escape every value: text that looks like markup, pushed by a
laptop or typed into a form, reaches the browser as text and nothing else (real uvicorn,
real laptops pushing, the pages parsed as a browser would)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from assessment.ids import new_id
from testkit.process import ServerProcess
from testkit.synthetic import elder_payload
from tests.server.test_pages import sign_in, township_with_laptops

UI = "/admin/ui"
# Breaks out of an attribute value and out of the element, then runs script two ways
# (no digits, so it can be searched for as a name).
ATTACK = '"><script>alert(document.domain)</script><img src=x onerror=alert(origin)>'
NAME = f"{ATTACK[:30]}王某"


class Parsed(HTMLParser):
    """What a browser would build from a page: its elements, their attributes, its text."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Record each element with its attributes."""
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        """Record the text between elements."""
        self.text.append(data)


def assert_inert(page: str, *shown: str) -> None:
    """``page`` runs nothing (no script element, no event-handler attribute, no injected
    image) and shows each of ``shown`` as text, character for character."""
    parsed = Parsed(page)
    tags = [tag for tag, _ in parsed.tags]
    assert "script" not in tags
    assert "img" not in tags
    assert not [name for _, attrs in parsed.tags for name in attrs if name.startswith("on")]
    for tag, attrs in parsed.tags:  # markup stays inside the value of a text field only
        if any(value and "<script" in value for value in attrs.values()):
            assert (tag, attrs.get("type")) == ("input", "text"), attrs
    text = "".join(parsed.text)
    for value in shown:
        assert value in text, value


@pytest.fixture
def browser(shared_server: ServerProcess) -> Iterator[httpx.Client]:
    """A cookie-keeping client that does not follow redirects."""
    with httpx.Client(base_url=shared_server.url,
                      headers={"Origin": shared_server.url}, timeout=120) as http:
        yield http


def test_markup_from_laptops_and_forms_renders_as_text(
        shared_server: ServerProcess, browser: httpx.Client, tmp_path: Path) -> None:
    server = shared_server
    _township, [laptop] = township_with_laptops(server, tmp_path, count=1, label=ATTACK)
    elder_id = new_id()
    laptop.outbox.record("elder", elder_id, {**elder_payload(random.Random(11)),
                                              "name": NAME, "village": ATTACK})
    with laptop.client() as client:
        client.push()
    csrf = sign_in(browser, server)

    # An elder named like markup: the search result, the transfer page.
    found = browser.post(f"{UI}/elders", data={"csrf": csrf, "q": NAME})
    assert found.status_code == 200, found.text
    assert_inert(found.text, NAME, ATTACK)
    assert f'value="{NAME}"' not in found.text  # the typed name went back into value="…"
    assert 'value="&#34;&gt;&lt;script&gt;' in found.text  # … escaped there too
    transfer = browser.get(f"{UI}/elders/{elder_id}/transfer")
    assert transfer.status_code == 200
    assert_inert(transfer.text, NAME, ATTACK)

    # A township and an account named like markup, added through the forms.
    code = f"x{uuid.uuid4().hex[:8]}"
    added = browser.post(f"{UI}/townships", data={"csrf": csrf, "code": code, "name": ATTACK})
    assert added.status_code == 303
    account = browser.post(f"{UI}/townships/{code}/accounts",
                           data={"csrf": csrf, "username": f"e{code}",
                                 "display_name": ATTACK, "role": "assessor"})
    assert account.status_code == 303
    township_page = browser.get(f"{UI}/townships/{code}")
    assert_inert(township_page.text, ATTACK, f"{ATTACK}（{code}）")
    # A refused form keeps what was typed, escaped in its value attribute.
    refused = browser.post(f"{UI}/townships", data={"csrf": csrf, "code": code,
                                                    "name": ATTACK})
    assert refused.status_code == 409
    assert_inert(refused.text)
    assert [attrs.get("value") for tag, attrs in Parsed(refused.text).tags
            if tag == "input" and attrs.get("name") == "name"] == [ATTACK]

    # The lists that show those names: townships, devices (the laptop's label), dashboard.
    for path in ("/townships", "/devices", ""):
        answer = browser.get(UI + path)
        assert answer.status_code == 200
        assert_inert(answer.text, ATTACK)
