"""Installing list versions and choosing the version in force on a date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from assessment.eligibility import install_list_file, load_lists, match_profile
from assessment.eligibility.listseal import ListSeal, local_seal
from assessment.eligibility.registry import bundled_lists_dir, user_lists_dir
from assessment.errors import FormFileError

KEY = Ed25519PrivateKey.generate()


def SEAL(raw: bytes) -> ListSeal:  # noqa: N802 - a constant-like helper
    """A supervisor's seal (the key stands for one unwrapped at sign-in)."""
    return local_seal(KEY, "guanli", raw)


def new_version(tmp_path: Path, version: str = "2027.1", n02_rule: str = "age >= 75") -> Path:
    data: dict[str, Any] = yaml.safe_load(
        (bundled_lists_dir() / "shanxi-provisional.yaml").read_text(encoding="utf-8")
    )
    data.update(version=version, effective_from="2027-01-01", provisional=False)
    data["items"][1]["rule"] = n02_rule
    path = tmp_path / f"official-{version}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_install_new_version_keeps_the_old_one(tmp_path: Path) -> None:
    installed = install_list_file(new_version(tmp_path), sealer=SEAL)
    assert installed.ref == "shanxi-provisional@2027.1"
    assert (user_lists_dir() / "shanxi-provisional@2027.1.yaml").is_file()
    lists = load_lists()
    assert lists.version_on("shanxi-provisional", dt.date(2026, 12, 31)).version == "2026.12"
    assert lists.version_on("shanxi-provisional", dt.date(2027, 1, 1)).version == "2027.1"
    assert lists.get("shanxi-provisional@2026.12").items
    profile = {"birth_date": "1950-06-01"}
    before = match_profile(profile, dt.date(2026, 7, 1), lists)
    after = match_profile(profile, dt.date(2027, 7, 1), lists)
    assert before.list == "shanxi-provisional@2026.12"
    assert before.item("N02").result == "not_eligible"
    assert after.list == "shanxi-provisional@2027.1"
    assert after.item("N02").result == "eligible"
    assert not after.item("N02").provisional


def test_reinstalling_the_same_file_is_harmless(tmp_path: Path) -> None:
    path = new_version(tmp_path)
    first = install_list_file(path, sealer=SEAL)
    assert install_list_file(path, sealer=SEAL).digest == first.digest


def test_same_version_with_other_content_is_refused(tmp_path: Path) -> None:
    install_list_file(new_version(tmp_path), sealer=SEAL)
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(FormFileError, match="已安装且内容不同"):
        install_list_file(new_version(other, n02_rule="age >= 70"), sealer=SEAL)


def test_bad_file_is_not_installed(tmp_path: Path) -> None:
    with pytest.raises(FormFileError) as caught:
        install_list_file(new_version(tmp_path, n02_rule="age >= "), sealer=SEAL)
    assert caught.value.key == "N02"
    assert not user_lists_dir().exists() or not list(user_lists_dir().iterdir())


def test_before_any_version_the_earliest_is_used(tmp_path: Path) -> None:
    lists = load_lists()
    assert lists.version_on("shanxi-provisional", dt.date(2000, 1, 1)).version == "2026.12"
