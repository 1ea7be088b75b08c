"""The device signing key: settings storage, text forms, device code, signatures."""

from __future__ import annotations

from typing import Any

import pytest

from assessment.devicekeys import (
    SETTING_KEY,
    DevicePublicKey,
    DeviceSigningKey,
    key_code,
    load_or_create_device_keys,
    parse_public_key,
)
from assessment.errors import InputRejected


def test_created_once_and_reloaded() -> None:
    store: dict[str, Any] = {}
    first = load_or_create_device_keys(store.get, store.__setitem__)
    assert set(store) == {SETTING_KEY}
    again = load_or_create_device_keys(store.get, store.__setitem__)
    assert again.public == first.public
    assert again.key_code == first.key_code


def test_damaged_setting_is_refused_not_replaced() -> None:
    store: dict[str, Any] = {SETTING_KEY: "ed25519:not-base64!"}
    with pytest.raises(InputRejected):
        load_or_create_device_keys(store.get, store.__setitem__)
    assert store[SETTING_KEY] == "ed25519:not-base64!"


def test_sign_and_verify() -> None:
    keys = DeviceSigningKey.generate()
    signature = keys.sign(b"message")
    assert keys.verify(signature, b"message")
    assert not keys.verify(signature, b"messagf")
    assert not keys.public.verify(signature[:-1], b"message")
    assert not DeviceSigningKey.generate().verify(signature, b"message")


def test_public_key_text_forms() -> None:
    import base64

    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    keys = DeviceSigningKey.generate()
    public = keys.public
    pem = keys.private_key.public_key().public_bytes(Encoding.PEM,
                                                     PublicFormat.SubjectPublicKeyInfo).decode()
    for text in (public.hex, public.hex.upper(), base64.b64encode(public.raw).decode(),
                 base64.urlsafe_b64encode(public.raw).decode().rstrip("="), pem):
        assert parse_public_key(text) == public
    with pytest.raises(InputRejected):
        parse_public_key("12345")


def test_key_code_is_short_and_stable() -> None:
    public = DevicePublicKey(bytes(32))
    assert public.code == key_code(bytes(32))
    assert len(public.code) == 8
    assert not set(public.code) & set("ILOU")
    assert DeviceSigningKey.from_text(DeviceSigningKey.generate().to_text()).public.raw
