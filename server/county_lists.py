"""The service lists the county matches elders against: the shipped list versions
(``resources/service_lists``) plus every version the county published (``list_versions``).

The same set a laptop of the county ends up with: laptops install each announced version
they can validate (:mod:`assessment.records.countynotes`) and reject the rest. A published
version that is not a valid list, or that claims a ``<list>@<version>`` already held with
different content, is left out here for the same reason (and logged, without content).
"""

from __future__ import annotations

import logging

import yaml
from sqlalchemy import Connection, select

from assessment.eligibility.listfiles import ServiceList, parse_list
from assessment.eligibility.registry import ListRegistry, bundled_lists_dir, cached_registry
from assessment.errors import FormFileError
from server.db.tables import list_versions

log = logging.getLogger("server.lists")


def _published(conn: Connection, registry: ListRegistry) -> list[ServiceList]:
    """The valid published versions, in publication order."""
    found = {version.ref: version for version in registry.versions}
    out: list[ServiceList] = []
    v = list_versions.c
    for row in conn.execute(select(v.list_id, v.version, v.sha256, v.content)
                            .order_by(v.published_at, v.id)):
        where = f"county:{row.list_id}/{row.version}"
        try:
            parsed = parse_list(yaml.safe_load(row.content), registry.vocabulary, where,
                                str(row.sha256))
        except (yaml.YAMLError, FormFileError) as exc:
            log.warning("已发布的服务清单 %s 无效，统计时不使用：%s",
                        where, getattr(exc, "reason", type(exc).__name__))
            continue
        held = found.get(parsed.ref)
        if held is not None:
            if held.digest != parsed.digest:
                log.warning("已发布的服务清单 %s 与已有的 %s 内容不同，统计时不使用",
                            where, parsed.ref)
            continue
        found[parsed.ref] = parsed
        out.append(parsed)
    return out


def county_lists(conn: Connection) -> ListRegistry:
    """The bundled list versions plus the county's published ones."""
    # The bundled folder as its own "installed" folder: nothing but the shipped files (never
    # the server user's own data folder), loaded once per state of that folder.
    bundled = cached_registry(bundled_lists_dir())
    return ListRegistry(bundled.vocabulary,
                        (*bundled.versions, *_published(conn, bundled)))
