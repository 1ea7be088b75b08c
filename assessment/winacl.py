"""Who besides this user may open a file on Windows (issue 12, item 6).

On Windows a file's access is its security descriptor, not a mode. Two commands that ship with
every Windows since Vista read what is needed, in forms that do not depend on the language of
the installation:

* ``icacls PATH /save FILE`` writes the path's DACL in SDDL (UTF-16), e.g.
  ``D:PAI(A;OICI;FA;;;S-1-5-21-…-1001)`` — one ACE per parenthesis:
  ``type;flags;rights;object;inherited object;trustee``;
* ``whoami /user /fo csv /nh`` prints the signed-in user and their SID,
  ``"desktop-1\\wang","S-1-5-21-…-1001"``.

:func:`foreign_access` decides, from those texts alone, which trustees other than the user may
read, change or re-permission the path: SYSTEM (``SY``) and the Administrators (``BA``) can
read every file of the computer anyway and are not counted; ``CREATOR OWNER`` (``CO``) becomes
whoever creates a file in the folder, which is the user. A missing (NULL) DACL lets everyone
in. The commands themselves run only on Windows (:func:`read_sddl`, :func:`current_user_sid`).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# SDDL access-right codes for files (two letters each) and their bits.
_RIGHTS = {
    "FA": 0x1F01FF, "FR": 0x120089, "FW": 0x120116, "FX": 0x1200A0,
    "GA": 0x10000000, "GR": 0x80000000, "GW": 0x40000000, "GX": 0x20000000,
    "CC": 0x1, "DC": 0x2, "LC": 0x4, "SW": 0x8, "RP": 0x10, "WP": 0x20, "DT": 0x40,
    "LO": 0x80, "CR": 0x100, "SD": 0x10000, "RC": 0x20000, "WD": 0x40000, "WO": 0x80000,
    "KA": 0xF003F, "KR": 0x20019, "KW": 0x20006, "KX": 0x20019,
}
# Rights that let a trustee read or change the contents, delete, or change the permissions:
# read/write/append data, delete, write DAC, write owner, and the generic rights.
_OPENING = 0x1 | 0x2 | 0x4 | 0x10000 | 0x40000 | 0x80000 | 0xF0000000
_ALLOW_TYPES = frozenset({"A", "OA", "XA", "ZA"})
# Trustees that do not make a file "readable by other users": SYSTEM, the Administrators,
# and CREATOR OWNER (replaced by the creator, this user, on what is created in a folder).
_TRUSTED = frozenset({"SY", "BA", "CO", "S-1-5-18", "S-1-5-32-544", "S-1-3-0"})
# Aliases SDDL writes for a few well-known account SIDs (local administrator, guest).
_ACCOUNT_ALIASES = {"-500": "LA", "-501": "LG"}
_ACE = re.compile(r"\(([^()]*)\)")
_SID = re.compile(r"S-1-\d+(?:-\d+)+")
_TIMEOUT_S = 20


@dataclass(frozen=True, slots=True)
class Ace:
    """One access-control entry of a DACL."""

    kind: str  # A (allow), D (deny), …
    flags: str  # OI, CI, IO, ID, …
    mask: int
    trustee: str  # a SID or an SDDL alias (WD = Everyone, BU = Users, …)


def _mask(rights: str) -> int:
    if rights.lower().startswith("0x"):
        return int(rights, 16)
    mask = 0
    for i in range(0, len(rights), 2):
        mask |= _RIGHTS.get(rights[i:i + 2].upper(), 0)
    return mask


def dacl_of(sddl: str) -> list[Ace] | None:
    """The entries of the DACL in an SDDL text (``D:`` part), None when the text has no DACL
    or a NULL one (``D:NO_ACCESS_CONTROL``: everyone may do everything)."""
    start = sddl.find("D:")
    if start < 0:
        return None
    dacl = sddl[start + 2:]
    end = re.search(r"(?<![(;])\b[SOG]:", dacl)  # a SACL or owner part after the DACL
    if end is not None:
        dacl = dacl[:end.start()]
    head = dacl.split("(", 1)[0]
    if "NO_ACCESS_CONTROL" in head:
        return None
    aces = []
    for body in _ACE.findall(dacl):
        parts = body.split(";")
        if len(parts) < 6:
            continue
        try:
            mask = _mask(parts[2])
        except ValueError:
            mask = 0xFFFFFFFF  # unreadable rights: assume the worst
        aces.append(Ace(parts[0].upper(), parts[1].upper(), mask, parts[5].strip()))
    return aces


def _is_user(trustee: str, user_sid: str) -> bool:
    if trustee.upper() == user_sid.upper():
        return True
    return any(user_sid.endswith(rid) and trustee.upper() == alias
               for rid, alias in _ACCOUNT_ALIASES.items())


def foreign_access(sddl: str, user_sid: str) -> list[str]:
    """The trustees, other than the user (``user_sid``), SYSTEM and the Administrators, that
    the DACL in ``sddl`` lets read, change or re-permission the path (``["WD"]``, Everyone,
    for a NULL DACL); empty when the path is private to the user."""
    aces = dacl_of(sddl)
    if aces is None:
        return ["WD"]
    found: list[str] = []
    for ace in aces:
        if ace.kind not in _ALLOW_TYPES or not ace.mask & _OPENING:
            continue
        if ace.trustee.upper() in _TRUSTED or _is_user(ace.trustee, user_sid):
            continue
        if ace.trustee not in found:
            found.append(ace.trustee)
    return found


def sid_of_whoami(text: str) -> str | None:
    """The SID in the output of ``whoami /user /fo csv /nh`` (None when there is none)."""
    for row in csv.reader(io.StringIO(text.strip())):
        for cell in reversed(row):
            if _SID.fullmatch(cell.strip()):
                return cell.strip()
    return None


def sddl_of_saved(data: bytes) -> str | None:
    """The SDDL line of a file written by ``icacls PATH /save FILE`` (UTF-16, a name line
    then the descriptor line)."""
    for encoding in ("utf-16", "utf-8"):
        with contextlib.suppress(UnicodeDecodeError):
            text = data.decode(encoding)
            break
    else:
        return None
    for line in text.splitlines():
        line = line.strip().lstrip("\ufeff")
        if line.startswith(("D:", "O:", "G:")) and "D:" in line:
            return line
    return None


def _system_tool(name: str) -> str:
    root = os.environ.get("SYSTEMROOT", r"C:\Windows")
    path = Path(root) / "System32" / name
    return str(path) if path.is_file() else name


@lru_cache(maxsize=1)
def current_user_sid() -> str | None:
    """The SID of the user running this program (Windows only; None when unknown)."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run([_system_tool("whoami.exe"), "/user", "/fo", "csv", "/nh"],
                              capture_output=True, check=False, timeout=_TIMEOUT_S)
        if done.returncode == 0:
            return sid_of_whoami(done.stdout.decode("utf-8", "replace"))
    return None


def read_sddl(path: Path) -> str | None:
    """The DACL of ``path`` in SDDL, read with ``icacls /save`` (Windows only; None when it
    cannot be read)."""
    with tempfile.TemporaryDirectory() as folder:
        saved = Path(folder) / "acl.txt"
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            done = subprocess.run([_system_tool("icacls.exe"), str(path), "/save", str(saved),
                                   "/q"], capture_output=True, check=False,
                                  timeout=_TIMEOUT_S)
            if done.returncode == 0 and saved.is_file():
                return sddl_of_saved(saved.read_bytes())
    return None


def windows_is_loose(path: Path) -> bool:
    """Whether someone other than the user (and SYSTEM, the Administrators) may open
    ``path``; False when the descriptor or the user cannot be read (nothing to say)."""
    sid = current_user_sid()
    sddl = read_sddl(path) if sid else None
    return bool(sid and sddl and foreign_access(sddl, sid))
