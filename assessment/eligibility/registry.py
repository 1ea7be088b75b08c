"""Installed list versions: the bundled ones plus those installed into the user data folder.

A county administrator replaces the provisional list by installing a new list file (validated
first); older versions stay installed and readable, so a match "as of" an earlier date uses
the version that was in force then. The user folder is ``$YINLING_DATA_DIR/service_lists``
when that variable is set, else the platform's user data folder (``platformdirs``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import platformdirs

from assessment.eligibility.listfiles import (
    LIST_FILE_LIMITS,
    ServiceList,
    load_list_file,
    parse_list_bytes,
)
from assessment.eligibility.listseal import ListSeal, ListTrust, check_seal, seal_path
from assessment.eligibility.vocabulary import Vocabulary, load_vocabulary
from assessment.errors import FormFileError, InputRejected
from assessment.inputreader import read_bytes, read_yaml
from assessment.paths import resources_dir

DATA_DIR_ENV = "YINLING_DATA_DIR"
#: Installed list versions live in this folder of a workspace's data folder.
LISTS_FOLDER = "service_lists"


def bundled_lists_dir() -> Path:
    """The list files shipped with the program (``resources/service_lists``)."""
    return resources_dir() / "service_lists"


def workspace_lists_dir(data_dir: Path) -> Path:
    """Where the workspace in ``data_dir`` keeps its installed list versions.

    One folder per workspace: the GUI's installs, the county's versions fetched on sync,
    certificate printing and statistics all use it.
    """
    return data_dir / LISTS_FOLDER


def user_lists_dir() -> Path:
    """The command line's default list folder when no workspace is open.

    ``$YINLING_DATA_DIR/service_lists`` (or the platform's user data folder), i.e. the
    list folder of the workspace in the default data folder.
    """
    base = os.environ.get(DATA_DIR_ENV)
    root = Path(base) if base else Path(platformdirs.user_data_dir("yinling", appauthor=False))
    return workspace_lists_dir(root)


def _version_key(version: str) -> tuple[tuple[int, str], ...]:
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in re.split(r"[.\-_]", version))


def _is_list_file(path: Path) -> bool:
    try:
        head = read_yaml(path, LIST_FILE_LIMITS)
    except InputRejected:
        return True  # let the loader report it properly
    return isinstance(head, dict) and head.get("kind") != "vocabulary"


@dataclass(frozen=True, slots=True)
class ListRegistry:
    """Every installed list version, and the choice of the version in force on a date."""

    vocabulary: Vocabulary
    versions: tuple[ServiceList, ...]

    def list_ids(self) -> tuple[str, ...]:
        """The installed list ids, in first-installed order."""
        return tuple(dict.fromkeys(v.list_id for v in self.versions))

    def versions_of(self, list_id: str) -> tuple[ServiceList, ...]:
        """All versions of one list, oldest first."""
        found = [v for v in self.versions if v.list_id == list_id]
        return tuple(
            sorted(found, key=lambda v: (v.period.start or dt.date.min, _version_key(v.version)))
        )

    def version_on(self, list_id: str, as_of: dt.date) -> ServiceList:
        """The version of ``list_id`` in force on ``as_of``.

        When several are in force the one that started last wins. When none is, the latest
        that started before ``as_of`` (else the earliest) is returned, and its items then
        explain that the list is not in force on that date.
        """
        versions = self.versions_of(list_id)
        if not versions:
            raise KeyError(list_id)
        in_force = [v for v in versions if v.period.contains(as_of)]
        if in_force:
            return in_force[-1]
        started = [v for v in versions if v.period.start is None or v.period.start <= as_of]
        return started[-1] if started else versions[0]

    def in_force(self, as_of: dt.date) -> tuple[ServiceList, ...]:
        """One version of every installed list, as chosen by :meth:`version_on`.

        Lists without a scope (provincial) come first, then city lists.
        """
        chosen = [self.version_on(list_id, as_of) for list_id in self.list_ids()]
        return tuple(sorted(chosen, key=lambda v: v.scope is not None))

    def get(self, ref: str) -> ServiceList:
        """The version named ``<list>@<version>``."""
        for version in self.versions:
            if version.ref == ref:
                return version
        raise KeyError(ref)


def _load_dir(folder: Path, vocabulary: Vocabulary) -> list[ServiceList]:
    if not folder.is_dir():
        return []
    return [
        load_list_file(path, vocabulary)
        for path in sorted(folder.glob("*.yaml"))
        if _is_list_file(path)
    ]


def _load_installed(folder: Path, vocabulary: Vocabulary,
                    trust: ListTrust | None) -> list[ServiceList]:
    """The installed versions, each checked against its seal before it is parsed."""
    if not folder.is_dir():
        return []
    out: list[ServiceList] = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            raw = read_bytes(path, LIST_FILE_LIMITS.max_bytes)
        except InputRejected as exc:
            raise FormFileError(str(path), "", str(exc.problems[0].message)) from exc
        origin = check_seal(path, raw, trust)
        out.append(replace(parse_list_bytes(raw, vocabulary, str(path)), origin=origin))
    return out


def load_registry(
    user_dir: Path | None = None, vocabulary: Vocabulary | None = None,
    trust: ListTrust | None = None,
) -> ListRegistry:
    """Load the bundled list versions and those installed in ``user_dir``.

    Every installed version must carry a valid seal (:mod:`assessment.eligibility.listseal`),
    issued by the county of ``trust`` when given. Raises :class:`FormFileError` if any file is
    bad, unsealed, changed after install, or two files claim the same version with different
    contents.
    """
    vocabulary = vocabulary or load_vocabulary()
    found: dict[str, ServiceList] = {}
    folder = user_dir or user_lists_dir()
    if folder.resolve() == bundled_lists_dir().resolve():
        installed: list[ServiceList] = []
    else:
        installed = _load_installed(folder, vocabulary, trust)
    for version in _load_dir(bundled_lists_dir(), vocabulary) + installed:
        other = found.get(version.ref)
        if other is not None and other.digest != version.digest:
            raise FormFileError(
                version.file, "version", f"版本 {version.ref} 已存在且内容不同：{other.file}"
            )
        found.setdefault(version.ref, version)
    return ListRegistry(vocabulary, tuple(found.values()))


def _folder_stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """What changes when a list version is installed into ``folder`` (cheap to compute)."""
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return ()
    stamp = []
    for path in entries:
        try:
            info = path.stat()
        except OSError:
            continue
        stamp.append((path.name, info.st_mtime_ns, info.st_size))
    return tuple(stamp)


@lru_cache(maxsize=8)
def _cached_registry(folder: Path, _stamp: tuple[tuple[str, int, int], ...],
                     trust: ListTrust | None) -> ListRegistry:
    return load_registry(folder, trust=trust)


def cached_registry(user_dir: Path | None = None,
                    trust: ListTrust | None = None) -> ListRegistry:
    """:func:`load_registry`, loaded once per state of the folder: repeated callers (batch
    printing, every finalize) share one load, and a newly installed version is seen at once.
    A file changed in place changes the folder's stamp, so it is checked again."""
    folder = user_dir if user_dir is not None else user_lists_dir()
    return _cached_registry(folder, _folder_stamp(folder), trust)


def load_workspace_lists(data_dir: Path, trust: ListTrust | None = None) -> ListRegistry:
    """The lists of the workspace in ``data_dir``: bundled plus ``<data_dir>/service_lists``
    (cached, see :func:`cached_registry`)."""
    return cached_registry(workspace_lists_dir(data_dir), trust)


def install_list_file(path: Path, user_dir: Path | None = None, *,
                      sealer: Callable[[bytes], ListSeal]) -> ServiceList:
    """Validate a list file and install it as a new version, sealed by ``sealer`` (which
    signs the bytes, or checks the county's signature and refuses); return the version.

    The file is refused (:class:`FormFileError`) if it is malformed, or if the same
    ``<list>@<version>`` is already installed with different contents; reinstalling an
    identical file is harmless. Earlier versions are never touched.
    """
    try:
        raw = read_bytes(path, LIST_FILE_LIMITS.max_bytes)
    except InputRejected as exc:
        raise FormFileError(str(path), "", str(exc.problems[0].message)) from exc
    return install_list_bytes(raw, str(path), user_dir, sealer=sealer)


def install_list_bytes(raw: bytes, source: str, user_dir: Path | None = None, *,
                       sealer: Callable[[bytes], ListSeal],
                       trust: ListTrust | None = None) -> ServiceList:
    """:func:`install_list_file` for bytes already read (``source`` names them)."""
    folder = user_dir or user_lists_dir()
    registry = load_registry(folder, trust=trust)
    new = parse_list_bytes(raw, registry.vocabulary, source)
    for version in registry.versions:
        if version.ref == new.ref:
            if version.digest != new.digest:
                raise FormFileError(
                    source, "version", f"版本 {new.ref} 已安装且内容不同，请使用新的版本号"
                )
            return version
    seal = sealer(raw)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)  # files: 0600 (temporary files)
    target = folder / f"{new.ref}.yaml"
    # The seal first: a crash between the two leaves a harmless seal, never an unsealed list.
    _write_atomically(seal_path(target), json.dumps(seal.to_json(), indent=1).encode("utf-8"))
    _write_atomically(target, raw)
    return replace(parse_list_bytes(raw, registry.vocabulary, str(target)), origin=seal.origin)


def _write_atomically(target: Path, data: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".tmp", delete=False) as handle:
        temp = Path(handle.name)
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
