"""Attack: a flood of list downloads made the county sign the same list again and again
(issue 12, item 2 follow-up).

Before: ``GET /sync/lists/{id}/{version}`` signed the list's content with the county key at
every download, so any enrolled laptop (or a stolen device key) could keep the server's CPU
busy signing. Now, against a real uvicorn on SQLite and on PostgreSQL, the signature is made
at the first download and kept in the database beside the content: later downloads (by any
server process) serve the kept one without signing, and one made with another county key is
made again.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import text

from assessment.eligibility.listseal import signature_valid
from assessment.paths import resources_dir
from testkit.process import ServerProcess
from tests.security.test_server_township_scope import _townships


def _stored(server: ServerProcess, list_id: str) -> tuple[str | None, str | None]:
    row = server.query("SELECT signature, signed_key FROM list_versions WHERE list_id = :l",
                       l=list_id)[0]
    return row[0], row[1]


def _set(server: ServerProcess, list_id: str, **values: str) -> None:
    engine = server.engine()
    try:
        with engine.begin() as conn:
            for column, value in values.items():
                conn.execute(text(f"UPDATE list_versions SET {column} = :v "
                                  "WHERE list_id = :l"), {"v": value, "l": list_id})
    finally:
        engine.dispose()


def test_a_list_is_signed_once_and_the_signature_kept(shared_server: ServerProcess,
                                                      tmp_path: Path) -> None:
    server = shared_server
    _, _, laptop, _ = _townships(server, tmp_path)
    tag = uuid.uuid4().hex[:8]
    list_id = f"changzhi-{tag}"
    content = (resources_dir() / "service_lists" / "changzhi.yaml").read_text(
        encoding="utf-8").replace('"2021.1"', f'"2099.{tag}"')
    admin = server.admin()
    admin.call("POST", "/admin/lists", json={"list_id": list_id, "version": 1,
                                             "content": content})
    county_public = admin.call("GET", "/county")["county_sign_public"]
    assert _stored(server, list_id) == (None, None)  # publishing signs nothing yet

    with laptop.client() as client:
        served, signature = client.fetch_list(list_id, 1)
        assert served == content
        assert signature_valid(county_public, signature, content.encode("utf-8"))
        kept, key = _stored(server, list_id)
        assert kept == signature
        assert key

        # Later downloads serve what is kept, without signing again: a marker put in its
        # place is what comes back.
        marker = "kept-" + signature[5:]
        _set(server, list_id, signature=marker)
        assert [client.fetch_list(list_id, 1)[1] for _ in range(3)] == [marker] * 3

        # A signature made with another key (the county key was replaced) is made again.
        _set(server, list_id, signed_key="an-older-key")
        again = client.fetch_list(list_id, 1)[1]
        assert again != marker
        assert signature_valid(county_public, again, content.encode("utf-8"))
        assert _stored(server, list_id) == (again, key)
