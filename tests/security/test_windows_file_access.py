"""Item 6 on Windows: warn at start when the data folder is open to other users.

Before: the laptop restricted its folder with ``icacls`` when it made it, but never looked
again, so a folder copied in, restored from a backup or made by hand under ``C:\\Users\\Public``
(where every user may read) raised no warning on Windows; the county's check skipped Windows
too. Now each start reads the DACL of the folder and of the store's files (``icacls /save``:
SDDL, the same in every language of Windows) and the user's SID (``whoami /user``), and warns
when anyone but the user, SYSTEM and the Administrators is let in.

The commands run only on Windows; here the decision is made on their output as Windows prints
it: descriptors as ``icacls`` writes them for a folder under ``%LOCALAPPDATA%`` (inherited from
the profile), for a folder restricted by the laptop, for folders under ``C:\\Users\\Public``
and ``C:\\ProgramData`` (Users and Authenticated Users may read), for a hosted runner's local
administrator (whose SID SDDL writes as ``LA``), and a NULL DACL.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from assessment.privatefiles import loose_paths, loose_warning
from assessment.records.datadir import database_path, keyring_path, store_files
from assessment.winacl import (
    dacl_of,
    foreign_access,
    sddl_of_saved,
    sid_of_whoami,
)
from server.datafolder import warn_if_loose

USER_SID = "S-1-5-21-1004336348-1177238915-682003330-1001"
OTHER_SID = "S-1-5-21-1004336348-1177238915-682003330-1002"
ADMIN_SID = "S-1-5-21-1643835476-1616584234-1346609752-500"

# What ``whoami /user /fo csv /nh`` prints (a Chinese user name; a hosted runner's admin).
WHOAMI = f'"laptop-7\\张伟","{USER_SID}"\r\n'
WHOAMI_ADMIN = f'"runnervm\\runneradmin","{ADMIN_SID}"\r\n'

# Descriptors as ``icacls PATH /save FILE`` writes them.
PROFILE_INHERITED = f"D:AI(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)(A;OICIID;FA;;;{USER_SID})"
RESTRICTED = f"D:PAI(A;OICI;FA;;;{USER_SID})"
RESTRICTED_FILE = f"D:AI(A;ID;FA;;;{USER_SID})"
PUBLIC_FOLDER = ("D:AI(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)(A;OICIIOID;GA;;;CO)"
                 f"(A;OICIID;FA;;;{USER_SID})(A;OICIID;0x1200a9;;;BU)(A;CIID;DCLCRPCR;;;BU)")
PROGRAM_DATA = ("D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;AU)"
                f"(A;OICI;FA;;;{USER_SID})")
EVERYONE_READS = f"D:PAI(A;OICI;FA;;;{USER_SID})(A;OICI;FR;;;WD)"
SHARED_WITH_A_COLLEAGUE = f"D:PAI(A;OICI;FA;;;{USER_SID})(A;OICI;0x1301bf;;;{OTHER_SID})"
DENIED_TO_EVERYONE = f"D:P(D;OICI;FA;;;WD)(A;OICI;FA;;;{USER_SID})"
SYNCHRONIZE_ONLY = f"D:PAI(A;;FA;;;{USER_SID})(A;;0x100000;;;WD)"
RUNNER_ADMIN = "D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;LA)"
NULL_DACL = "D:NO_ACCESS_CONTROL"
WITH_OWNER_AND_SACL = (f"O:{USER_SID}G:{USER_SID}D:PAI(A;OICI;FA;;;{USER_SID})"
                       "S:AI(ML;;NW;;;ME)")


def test_the_user_sid_is_read_from_whoami() -> None:
    assert sid_of_whoami(WHOAMI) == USER_SID
    assert sid_of_whoami(WHOAMI_ADMIN) == ADMIN_SID
    assert sid_of_whoami("信息: 找不到用户。\r\n") is None


def test_the_descriptor_is_read_from_an_icacls_save_file() -> None:
    # icacls writes UTF-16LE without a byte-order mark: the name line, then the DACL.
    saved = f"yinling\r\n{RESTRICTED}\r\n".encode("utf-16-le")
    assert sddl_of_saved(saved) == RESTRICTED
    assert sddl_of_saved(b"\xff\xfe" + saved) == RESTRICTED
    assert sddl_of_saved("yinling\r\n".encode("utf-16-le")) is None


@pytest.mark.parametrize(("sddl", "others"), [
    (PROFILE_INHERITED, []),
    (RESTRICTED, []),
    (RESTRICTED_FILE, []),
    (DENIED_TO_EVERYONE, []),
    (SYNCHRONIZE_ONLY, []),
    (WITH_OWNER_AND_SACL, []),
    (PUBLIC_FOLDER, ["BU"]),
    (PROGRAM_DATA, ["AU"]),
    (EVERYONE_READS, ["WD"]),
    (SHARED_WITH_A_COLLEAGUE, [OTHER_SID]),
    (NULL_DACL, ["WD"]),
])
def test_who_else_may_open_a_path(sddl: str, others: list[str]) -> None:
    assert foreign_access(sddl, USER_SID) == others


def test_the_local_administrator_alias_is_the_user() -> None:
    assert foreign_access(RUNNER_ADMIN, ADMIN_SID) == []
    assert foreign_access(RUNNER_ADMIN, USER_SID) == ["LA"]  # someone else's account


def test_an_owner_and_a_sacl_are_not_read_as_entries() -> None:
    aces = dacl_of(WITH_OWNER_AND_SACL)
    assert aces is not None
    assert [a.trustee for a in aces] == [USER_SID]


def _store(tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    (data_dir / "backups").mkdir(parents=True)
    database_path(data_dir).write_bytes(b"x")
    keyring_path(data_dir).write_text("{}", encoding="utf-8")
    return data_dir


def test_a_data_folder_under_public_is_named_in_a_chinese_warning(tmp_path: Path) -> None:
    """The laptop's start-up check through its interface, with the descriptors Windows
    reports for a workspace copied under C:\\Users\\Public (files inherit the folder's)."""
    data_dir = _store(tmp_path)
    acls = {data_dir: PUBLIC_FOLDER, data_dir / "backups": PUBLIC_FOLDER,
            database_path(data_dir): RESTRICTED_FILE, keyring_path(data_dir): EVERYONE_READS}

    def windows(path: Path) -> bool:
        return bool(foreign_access(acls[path], USER_SID))

    loose = loose_paths(data_dir, windows, store_files(data_dir))
    assert loose == [data_dir, data_dir / "backups", keyring_path(data_dir)]
    warning = loose_warning(loose, windows=True)
    assert warning.startswith("警告：数据文件可被本机其他用户读取")
    assert str(keyring_path(data_dir)) in warning
    assert "icacls" in warning
    assert "chmod" not in warning

    private = dict.fromkeys(acls, RESTRICTED)
    assert loose_paths(data_dir, lambda p: bool(foreign_access(private[p], USER_SID)),
                       store_files(data_dir)) == []


def test_the_county_checks_its_folder_on_windows(tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    """The county's start-up check takes the same decision on Windows, and logs the fix."""
    folder = tmp_path / "county"
    folder.mkdir()
    (folder / "county_sign.key").write_bytes(b"k")
    (folder / "county.sqlite3").write_bytes(b"d")
    acls = {folder: PROGRAM_DATA, folder / "county_sign.key": RESTRICTED_FILE,
            folder / "county.sqlite3": PROGRAM_DATA}

    def windows(path: Path) -> bool:
        return bool(foreign_access(acls[path], USER_SID))

    with caplog.at_level(logging.WARNING, logger="server"):
        found = warn_if_loose(folder, windows)
    assert [entry for entry, _ in found] == [folder, folder / "county.sqlite3"]
    logged = [r.getMessage() for r in caplog.records]
    assert len(logged) == 2
    assert all("允许本机其他用户访问" in m and "icacls" in m for m in logged)
    assert str(folder / "county.sqlite3") in logged[1]
