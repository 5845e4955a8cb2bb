"""The scan cache: per-file scan results keyed by path, content hash and engine version.

Every row records when it was last used (`used_at`, unix seconds), so the cache can be
kept under a size cap (`ATTUNE_SCAN_CACHE_MAX_MB`, default 512, 0 = no cap) by evicting
the least recently used rows, and `attune gc` can drop rows nobody has read for a while.

Size is measured as the pages in use, `(page_count - freelist_count) * page_size`: three
PRAGMA reads, checked once per `put_many`. Over the cap, rows go in least-recently-used
order, in short batches (one transaction each), until the pages in use are down to 80% of
the cap, so the next eviction is only due after a fifth of the cap has been written again.
Rows are small and scattered over the B-trees, so freeing a fifth of the pages can take
more than a fifth of the rows; a cache can afford to over-evict, not to overrun its cap.

Databases created by this module use `auto_vacuum=INCREMENTAL` and hand freed pages back
to the file system (`PRAGMA incremental_vacuum`). A database created before that (the old
`scan (key, entry)` schema) is migrated in place (a `used_at` column whose default is the
migration time, and an index on it) but keeps `auto_vacuum=NONE`: eviction there frees
pages for reuse, so the file stops growing without shrinking. To get a file that shrinks
too, delete `cache/scan.sqlite*` while no worker runs; it is only a cache.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

MAX_MB_SETTING = "ATTUNE_SCAN_CACHE_MAX_MB"
DEFAULT_MAX_MB = 512
MB = 1024 * 1024
# Eviction stops at this share of the cap, so it does not run again on the next chunk.
EVICT_TO = 0.8
# A hit refreshes `used_at` only when it is older than this, so `used_at` is accurate to
# a day and most lookups write nothing: a refresh rewrites the row and its index entry,
# a random page each, which costs several times the lookup on a warm scan.
TOUCH_INTERVAL = 86400
_MAX_BATCH = 20_000
_VACUUM_STEP = 1024  # pages handed back per transaction
_LIVE_BYTES = (
    "SELECT (page_count - freelist_count) * page_size"
    " FROM pragma_page_count(), pragma_freelist_count(), pragma_page_size()"
)


def max_bytes_setting() -> int:
    """`ATTUNE_SCAN_CACHE_MAX_MB` in bytes (MiB, may be fractional); 0 means no cap."""
    raw = os.environ.get(MAX_MB_SETTING, "").strip()
    if not raw:
        return DEFAULT_MAX_MB * MB
    try:
        megabytes = float(raw)
    except ValueError:
        megabytes = -1.0
    if not math.isfinite(megabytes) or megabytes < 0:
        raise ValueError(
            f"{MAX_MB_SETTING} must be a number of megabytes (0 = no cap), not {raw!r}"
        )
    return int(megabytes * MB)


@dataclass(frozen=True)
class PruneResult:
    """Rows removed and the database's bytes in use (pages not on the free list)."""

    rows_removed: int
    bytes_before: int
    bytes_after: int


class ScanCache:
    """Per-file results in one SQLite file: one transaction per chunk, shared by
    every scanning process (WAL), instead of thousands of small files."""

    _open: ClassVar[dict[Path, sqlite3.Connection]] = {}

    def __init__(
        self,
        path: Path,
        max_bytes: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`max_bytes` defaults to `ATTUNE_SCAN_CACHE_MAX_MB`; 0 means no cap."""
        self.max_bytes = max_bytes_setting() if max_bytes is None else max_bytes
        self.clock = clock
        if path not in self._open:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=60, isolation_level=None)
            # Only takes effect while the file is still empty, i.e. before the table.
            conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            # A big eviction must not leave a WAL file of the same size behind.
            conn.execute(f"PRAGMA journal_size_limit={64 * MB}")
            _migrate(conn, int(clock()))
            self._open[path] = conn
        self.conn = self._open[path]

    def get_many(self, keys: list[str]) -> dict[str, dict]:
        if not keys:
            return {}
        marks = ",".join("?" * len(keys))
        rows = self.conn.execute(
            f"SELECT key, entry, used_at FROM scan WHERE key IN ({marks})", keys
        ).fetchall()
        now = int(self.clock())
        stale = [key for key, _, used_at in rows if used_at < now - TOUCH_INTERVAL]
        if stale:
            self._touch(stale, now)
        return {key: json.loads(entry) for key, entry, _ in rows}

    def put_many(self, entries: dict[str, dict]) -> None:
        if not entries:
            return
        now = int(self.clock())
        with self._transaction():
            self.conn.executemany(
                "INSERT OR REPLACE INTO scan (key, entry, used_at) VALUES (?, ?, ?)",
                [(key, json.dumps(entry), now) for key, entry in entries.items()],
            )
        if self.max_bytes > 0 and self.size_bytes() > self.max_bytes:
            try:
                self._evict_to(int(self.max_bytes * EVICT_TO))
                self._vacuum()
            except sqlite3.OperationalError:
                pass  # busy past the timeout: the results are stored, the next put evicts

    def size_bytes(self) -> int:
        """Bytes in use: pages not on the free list."""
        return self.conn.execute(_LIVE_BYTES).fetchone()[0]

    def prune(
        self,
        max_bytes: int | None = None,
        *,
        unused_before: float | None = None,
        dry_run: bool = False,
    ) -> PruneResult:
        """Drop rows last used before `unused_before` (unix seconds), then evict the least
        recently used down to 80% of `max_bytes` if it is exceeded (None: this cache's
        cap; 0: no cap). A dry run does the same inside one transaction it rolls back."""
        cap = self.max_bytes if max_bytes is None else max_bytes
        before = self.size_bytes()
        if dry_run:
            self.conn.execute("BEGIN IMMEDIATE")
        try:
            removed = 0
            if unused_before is not None:
                removed += self._expire(int(unused_before))
            if cap > 0 and self.size_bytes() > cap:
                removed += self._evict_to(int(cap * EVICT_TO))
            after = self.size_bytes()
        finally:
            if dry_run:
                self.conn.execute("ROLLBACK")
        if not dry_run and removed:
            self._vacuum()
            after = self.size_bytes()
        return PruneResult(rows_removed=removed, bytes_before=before, bytes_after=after)

    def checkpoint(self) -> None:
        """Fold the WAL into the database and truncate it; gives up after a second if
        scanning processes keep it busy (their next checkpoint trims it to the limit)."""
        self.conn.execute("PRAGMA busy_timeout=1000")
        try:
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            self.conn.execute("PRAGMA busy_timeout=60000")

    def _touch(self, keys: list[str], now: int) -> None:
        marks = ",".join("?" * len(keys))
        # Best effort: a hit is still a hit if the database stays busy past the timeout.
        with suppress(sqlite3.OperationalError):
            self.conn.execute(f"UPDATE scan SET used_at = ? WHERE key IN ({marks})", [now, *keys])

    def _expire(self, cutoff: int) -> int:
        removed = 0
        while True:
            count = self.conn.execute(
                "DELETE FROM scan WHERE rowid IN"
                " (SELECT rowid FROM scan WHERE used_at < ? LIMIT ?)",
                (cutoff, _MAX_BATCH),
            ).rowcount
            removed += count
            if count < _MAX_BATCH:
                return removed

    def _evict_to(self, target: int) -> int:
        """Least recently used rows first, a batch per transaction, until `target`."""
        rows = self.conn.execute("SELECT count(*) FROM scan").fetchone()[0]
        live = self.size_bytes()
        removed = 0
        while live > target and rows > 0:
            share = math.ceil(rows * (live - target) / live)
            batch = min(_MAX_BATCH, share)
            count = self.conn.execute(
                "DELETE FROM scan WHERE rowid IN (SELECT rowid FROM scan ORDER BY used_at LIMIT ?)",
                (batch,),
            ).rowcount
            if count == 0:
                break
            removed += count
            rows -= count
            live = self.size_bytes()
        return removed

    def _vacuum(self) -> None:
        """Hand free pages back to the file system, if the database was created for it."""
        if self.conn.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:
            return
        free = self.conn.execute("PRAGMA freelist_count").fetchone()[0]
        for _ in range(math.ceil(free / _VACUUM_STEP)):
            # Each step is its own short transaction; the pragma works as rows are read.
            self.conn.execute(f"PRAGMA incremental_vacuum({_VACUUM_STEP})").fetchall()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")


def _migrate(conn: sqlite3.Connection, now: int) -> None:
    """Create the table, or give an old `scan (key, entry)` table its `used_at` column
    (defaulting to the migration time, so no row is rewritten) and its index."""
    if _has_schema(conn):
        return
    conn.execute("BEGIN IMMEDIATE")  # another process may be migrating the same file
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS scan"
            " (key TEXT PRIMARY KEY, entry TEXT, used_at INTEGER NOT NULL DEFAULT 0)"
        )
        columns = {row[1] for row in conn.execute("PRAGMA table_info(scan)")}
        if "used_at" not in columns:
            conn.execute(f"ALTER TABLE scan ADD COLUMN used_at INTEGER NOT NULL DEFAULT {int(now)}")
        conn.execute("CREATE INDEX IF NOT EXISTS scan_used_at ON scan (used_at)")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _has_schema(conn: sqlite3.Connection) -> bool:
    columns = {row[1] for row in conn.execute("PRAGMA table_info(scan)")}
    indexes = {row[1] for row in conn.execute("PRAGMA index_list(scan)")} if columns else set()
    return "used_at" in columns and "scan_used_at" in indexes
