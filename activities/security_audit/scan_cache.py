"""The scan cache: per-file scan results keyed by path, content hash and engine version."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import ClassVar


class ScanCache:
    """Per-file results in one SQLite file: one transaction per chunk, shared by
    every scanning process (WAL), instead of thousands of small files."""

    _open: ClassVar[dict[Path, sqlite3.Connection]] = {}

    def __init__(self, path: Path) -> None:
        if path not in self._open:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=60, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("CREATE TABLE IF NOT EXISTS scan (key TEXT PRIMARY KEY, entry TEXT)")
            self._open[path] = conn
        self.conn = self._open[path]

    def get_many(self, keys: list[str]) -> dict[str, dict]:
        if not keys:
            return {}
        marks = ",".join("?" * len(keys))
        rows = self.conn.execute(f"SELECT key, entry FROM scan WHERE key IN ({marks})", keys)
        return {key: json.loads(entry) for key, entry in rows}

    def put_many(self, entries: dict[str, dict]) -> None:
        with self.conn:
            self.conn.executemany(
                "INSERT OR REPLACE INTO scan (key, entry) VALUES (?, ?)",
                [(key, json.dumps(entry)) for key, entry in entries.items()],
            )
