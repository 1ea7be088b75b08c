"""Basic elderly-service list matching (spec ``service-lists.md``): rules as data, three values.

Lists are versioned YAML files (``resources/service_lists/``, plus versions installed into the
user data folder); the attribute vocabulary and the derived predicates are data too
(``vocabulary.yaml``). The engine knows no item: it parses each rule into a typed tree and
evaluates it with Kleene three-valued logic, per person or vectorized over a whole registry.

Every item result is ``eligible`` / ``not_eligible`` / ``undetermined``, with one Chinese
reason line per condition (``年龄 82 ≥ 80 ✓``, ``救助身份：未登记 ?``, false ones with ✗), the
missing profile attributes when undetermined, the standard (amount, or ``按当地标准``) and the
list version used (``shanxi-provisional@2026.12``). City lists (长治, 忻州) apply on top of the
provincial list to elders whose ``residence_code`` is in that city; an unknown residence
leaves their items undetermined. Ages are whole years (周岁) on the as-of date: 80 on the 80th
birthday; someone born on 29 February turns a year older on 1 March in common years.

Public API::

    lists = load_lists()                                    # bundled + installed versions
    lists = load_workspace_lists(data_dir)                  # + <data_dir>/service_lists
    result = match_profile({"birth_date": "1944-05-01", "assistance_status": "dibao"},
                           dt.date(2026, 11, 22), lists)    # -> MatchResult (< 1 ms)
    result.item("N02").result, result.to_json()             # "eligible", the CLI's JSON

    batch = match_frame(frame, dt.date(2026, 11, 22), lists)  # -> BatchResult, vectorized
    batch.results_frame()      # one categorical column per item id
    batch.item_frame("N02")    # result / reasons / missing / standard per row
    batch.person(0)            # == match_profile(...) for row 0

    install_list_file(path, folder, sealer=seal)            # validated and sealed (listseal)
    lists.version_on("shanxi-provisional", day)             # version in force on a date

Profiles are JSON-like mappings with the vocabulary's attribute names (see
:mod:`assessment.eligibility.profile`); frames use flat columns (see
:mod:`assessment.eligibility.frames`). Invalid input raises
:class:`~assessment.errors.InputRejected` naming each field; a bad list file raises
:class:`~assessment.errors.FormFileError` naming the file, the item and the reason. Rosters:
:mod:`assessment.eligibility.rosters`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assessment.eligibility.evaluate import ItemResult, MatchResult, evaluate_profile
from assessment.eligibility.listfiles import Item, ServiceList, load_list_file
from assessment.eligibility.plan import RESULT_LABELS, MatchPlan, make_plan
from assessment.eligibility.profile import Profile, check_birth_date, parse_profile
from assessment.eligibility.registry import (
    ListRegistry,
    install_list_file,
    load_registry,
    load_workspace_lists,
    user_lists_dir,
    workspace_lists_dir,
)
from assessment.eligibility.values import age_on
from assessment.eligibility.vocabulary import Vocabulary, load_vocabulary

if TYPE_CHECKING:
    from assessment.eligibility.batch import match_frame, match_plan_frame
    from assessment.eligibility.batchresult import BatchResult, ItemColumns
    from assessment.eligibility.frames import profiles_to_frame

# The vectorized engine needs pandas/numpy, which the desktop client must not import at
# start-up: these names are imported on first use (PEP 562).
_LAZY = {
    "match_frame": "assessment.eligibility.batch",
    "match_plan_frame": "assessment.eligibility.batch",
    "BatchResult": "assessment.eligibility.batchresult",
    "ItemColumns": "assessment.eligibility.batchresult",
    "profiles_to_frame": "assessment.eligibility.frames",
}

__all__ = [
    "RESULT_LABELS",
    "BatchResult",
    "Item",
    "ItemColumns",
    "ItemResult",
    "ListRegistry",
    "MatchPlan",
    "MatchResult",
    "Profile",
    "ServiceList",
    "Vocabulary",
    "age_on",
    "install_list_file",
    "load_list_file",
    "load_lists",
    "load_vocabulary",
    "load_workspace_lists",
    "make_plan",
    "match_frame",
    "match_plan_frame",
    "match_profile",
    "parse_profile",
    "profiles_to_frame",
    "user_lists_dir",
    "workspace_lists_dir",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def load_lists(user_dir: Path | None = None) -> ListRegistry:
    """Every installed list version: the bundled files plus those in ``user_dir``.

    ``user_dir`` defaults to :func:`user_lists_dir` (``$YINLING_DATA_DIR/service_lists`` or
    the platform's user data folder).
    """
    return load_registry(user_dir)


def match_profile(
    profile: Profile | Mapping[str, Any], as_of: dt.date | None, lists: ListRegistry
) -> MatchResult:
    """Match one elder on ``as_of`` (default: today) against the lists in force that day.

    ``profile`` is a validated :class:`Profile` or a JSON-like mapping (validated here;
    :class:`~assessment.errors.InputRejected` when invalid).
    """
    day = as_of or dt.date.today()
    if not isinstance(profile, Profile):
        profile = parse_profile(dict(profile), lists.vocabulary)
    check_birth_date(profile, lists.vocabulary, day)
    return evaluate_profile(make_plan(lists, day), profile)
