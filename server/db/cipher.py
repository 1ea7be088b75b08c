"""The county's SQLite pilot database, encrypted with SQLCipher like the laptops' store.

The 32-byte key comes from the environment variable :data:`KEY_ENV` (64 hexadecimal
characters) when it is set, else from the file :data:`KEY_FILE` in the data folder, made on
first start (mode 0600). Keep the key apart from backups of the database: a copy of
``county.sqlite3`` alone is unreadable. Each connection is keyed with the raw key
(``PRAGMA key = "x'…'"``, so SQLCipher skips its passphrase KDF). A database written before
encryption (plain SQLite) is encrypted in place on the first start that has a key
(:func:`encrypt_plain`). PostgreSQL is not touched here (see ``server/README.md``).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import sqlcipher3.dbapi2 as sqlcipher

from server.errors import ServerError

KEY_ENV = "YINLING_COUNTY_DB_KEY"
KEY_FILE = "county-db.key"
PLAIN_HEADER = b"SQLite format 3\x00"


class DatabaseKeyError(ServerError):
    """The configured database key is unusable."""


def _parse(text: str, where: str) -> bytes:
    text = text.strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise DatabaseKeyError(f"{where} 应为 64 个十六进制字符（32 字节密钥）")
    return key


def database_key(data_dir: Path) -> bytes:
    """The key of the county's SQLite database (see the module docstring)."""
    configured = os.environ.get(KEY_ENV)
    if configured:
        return _parse(configured, f"环境变量 {KEY_ENV}")
    path = data_dir / KEY_FILE
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    return _parse(path.read_text(encoding="ascii"), f"密钥文件 {path}")


def key_pragma(key: bytes) -> str:
    """The statement that keys a SQLCipher connection (the first on every connection)."""
    return f"PRAGMA key = \"x'{key.hex()}'\""


def is_plain(path: Path) -> bool:
    """Whether ``path`` is an unencrypted SQLite database."""
    try:
        with path.open("rb") as handle:
            return handle.read(len(PLAIN_HEADER)) == PLAIN_HEADER
    except FileNotFoundError:
        return False


def encrypt_plain(path: Path, key: bytes) -> bool:
    """Encrypt a plain SQLite database in place (``sqlcipher_export`` into a new file, then
    swapped in); whether there was one to encrypt."""
    if not is_plain(path):
        return False
    target = path.with_name(path.name + ".encrypting")
    target.unlink(missing_ok=True)
    conn = sqlcipher.connect(str(path), isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute(f"ATTACH DATABASE ? AS encrypted KEY \"x'{key.hex()}'\"", (str(target),))
        conn.execute("SELECT sqlcipher_export('encrypted')")
        conn.execute("DETACH DATABASE encrypted")
    finally:
        conn.close()
    os.chmod(target, 0o600)
    os.replace(target, path)
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    return True
