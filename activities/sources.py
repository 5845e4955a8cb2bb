"""Reading a Python file as the interpreter would, and one reason when it cannot be read.

Every engine reads through here, so a file is skipped for the same reason by every
flow: bytes that are not source (NUL bytes, a Git LFS pointer whose content was never
fetched) and text in an encoding it does not declare. A PEP 263 coding line or a BOM
is honoured, as Python honours it, so a Latin-1 module with its declaration is read,
not skipped.
"""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

BINARY_SNIFF_BYTES = 8192
BINARY = "binary"
LFS_POINTER = "Git LFS pointer: the file's content is not checked out"
LFS_PREFIX = b"version https://git-lfs.github.com/spec/v"


def decode_source(data: bytes) -> tuple[str | None, str | None]:
    """(source, skip reason) of a file's bytes."""
    if data.startswith(LFS_PREFIX):
        return None, LFS_POINTER
    if b"\0" in data[:BINARY_SNIFF_BYTES]:
        return None, BINARY
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as err:
        unknown = err.msg.startswith("unknown encoding")
        return None, f"undecodable: {err.msg}" if unknown else "not UTF-8"
    try:
        return data.decode(encoding), None
    except UnicodeDecodeError:
        return None, "not UTF-8" if encoding in ("utf-8", "utf-8-sig") else f"not {encoding}"


def read_source(path: Path) -> tuple[str | None, str | None]:
    """(source, skip reason) of the file at `path`."""
    try:
        data = path.read_bytes()
    except OSError as err:
        return None, f"unreadable: {err.strerror or err}"
    return decode_source(data)
