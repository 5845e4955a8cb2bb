"""`attune gc` housekeeping on real files and a real SQLite scan cache (no Temporal)."""

from __future__ import annotations

import itertools
import os
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from activities.security_audit.scan_cache import (
    MAX_MB_SETTING,
    MB,
    TOUCH_INTERVAL,
    ScanCache,
    max_bytes_setting,
)
from starter.housekeeping import collect_garbage, parse_age

DAY = 86400
ENTRY = {"findings": [{"rule": "demo", "message": "m" * 900}], "skip": None}


class Clock:
    """A settable time source for the cache's `used_at` stamps."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def write(path: Path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)


def backdate(top: Path, when: float) -> None:
    """Set the mtime of a tree, directories included, to `when`."""
    for path in [top, *top.rglob("*")]:
        os.utime(path, (when, when), follow_symlinks=False)


def make_run(home: Path, workflow_id: str, when: float) -> Path:
    top = home / "runs" / workflow_id
    write(top / "report.json", 100)
    write(top / "report.md", 50)
    write(top / "0193-run" / "artifacts" / "batch-00000" / "chunk-0000.json", 1000)
    write(top / "0193-run" / "llm" / "triage-1.json", 200)
    backdate(top, when)
    return top


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def home(tmp_path: Path, now: datetime) -> Path:
    """A home with old, recent, running and partly recent runs beside Temporal's files."""
    home = tmp_path / "home"
    old = now.timestamp() - 40 * DAY
    write(home / "temporal.db", 4096)
    write(home / "temporal.db-wal", 512)
    write(home / "logs" / "server.log", 300)
    write(home / "workflows" / "custom.yaml", 10)
    for path in (home / "temporal.db", home / "temporal.db-wal", home / "logs", home / "workflows"):
        backdate(path, old)
    make_run(home, "security-audit-old", old)
    make_run(home, "security-audit-new", now.timestamp() - DAY)
    make_run(home, "release-prep-running", old)
    make_run(home, "team/nested-running", old)
    make_run(home, "release-prep-running-team-security", old)
    backdate(home / "runs" / "team", old)
    mixed = make_run(home, "router-mixed", old)
    os.utime(mixed / "0193-run" / "llm" / "triage-1.json", (now.timestamp(),) * 2)
    outside = tmp_path / "elsewhere"
    write(outside / "precious.txt", 10)
    backdate(outside, old)
    (home / "runs" / "linked").symlink_to(outside, target_is_directory=True)
    write(home / "runs" / "stray.json", 10)
    backdate(home / "runs" / "stray.json", old)
    return home


def rows(cache: ScanCache, like: str) -> int:
    return cache.conn.execute("SELECT count(*) FROM scan WHERE key LIKE ?", (like,)).fetchone()[0]


KEEP = {"release-prep-running", "team/nested-running"}


def fingerprint(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


def test_gc_removes_old_runs_and_keeps_recent_running_and_foreign(
    home: Path, now: datetime, tmp_path: Path
) -> None:
    untouched = [home / "temporal.db", home / "temporal.db-wal", home / "logs" / "server.log"]
    before = [fingerprint(path) for path in untouched]

    report = collect_garbage(home, timedelta(days=30), now, keep=KEEP)

    runs = home / "runs"
    assert report.removed == ["security-audit-old"]
    assert not (runs / "security-audit-old").exists()
    assert report.kept_running == [
        "release-prep-running",
        "release-prep-running-team-security",
        "team",
    ], "running, a running parent's child, an id with a slash"
    for kept in (
        "security-audit-new",
        "release-prep-running",
        "release-prep-running-team-security",
        "team/nested-running",
    ):
        assert (runs / kept / "report.json").is_file(), kept
    assert (runs / "router-mixed" / "report.md").is_file(), "one recent file keeps the run"
    assert (runs / "linked").is_symlink()
    assert (tmp_path / "elsewhere" / "precious.txt").is_file()
    assert (runs / "stray.json").is_file()
    assert [fingerprint(path) for path in untouched] == before
    assert (home / "workflows" / "custom.yaml").is_file()
    assert not [p for p in runs.iterdir() if p.name.startswith(".attune-gc-")]

    assert report.run_dirs.model_dump() == {"count": 1, "bytes": 1350}
    assert report.reports.model_dump() == {"count": 2, "bytes": 150}
    assert report.artifacts.model_dump() == {"count": 2, "bytes": 1200}
    assert report.bytes_freed == 1350 and not report.errors
    assert report.scan_cache_bytes is None, "no cache file, none created"
    assert not (home / "cache").exists()

    again = collect_garbage(home, timedelta(days=30), now, keep=set())
    assert again.removed == [
        "release-prep-running",
        "release-prep-running-team-security",
        "team",
    ]
    assert (runs / "security-audit-new").is_dir() and (runs / "router-mixed").is_dir()


def test_dry_run_removes_nothing_and_reports_what_would_go(home: Path, now: datetime) -> None:
    clock = Clock(now.timestamp() - 40 * DAY)
    cache_file = home / "cache" / "scan.sqlite"
    cache = ScanCache(cache_file, max_bytes=0, clock=clock)
    cache.put_many({f"old-{i}": ENTRY for i in range(50)})
    clock.now = now.timestamp()
    cache.put_many({f"new-{i}": ENTRY for i in range(50)})
    listing = sorted(str(p.relative_to(home)) for p in home.rglob("*"))

    dry = collect_garbage(home, timedelta(days=30), now, dry_run=True, keep=KEEP)

    assert sorted(str(p.relative_to(home)) for p in home.rglob("*")) == listing
    assert dry.dry_run and dry.removed == ["security-audit-old"]
    assert dry.scan_cache.count == 50
    assert rows(cache, "old-%") == 50, "looked up without a get_many, which counts as a use"

    real = collect_garbage(home, timedelta(days=30), now, keep=KEEP)

    assert real.removed == dry.removed and real.run_dirs == dry.run_dirs
    assert real.scan_cache.count == dry.scan_cache.count
    assert real.scan_cache_bytes == dry.scan_cache_bytes
    assert (rows(cache, "old-%"), rows(cache, "new-%")) == (0, 50)


def test_gc_expires_cache_rows_not_used_since_the_cutoff(tmp_path: Path, now: datetime) -> None:
    clock = Clock(now.timestamp() - 40 * DAY)
    cache = ScanCache(tmp_path / "cache" / "scan.sqlite", max_bytes=0, clock=clock)
    cache.put_many({"stale": ENTRY, "hit-lately": ENTRY})
    clock.now = now.timestamp() - DAY
    assert set(cache.get_many(["hit-lately"])) == {"hit-lately"}
    cache.put_many({"fresh": ENTRY})

    report = collect_garbage(tmp_path, timedelta(days=30), now, keep=set())

    assert report.scan_cache.count == 1
    assert set(cache.get_many(["stale", "hit-lately", "fresh"])) == {"hit-lately", "fresh"}


def test_size_cap_evicts_least_recently_used_rows(tmp_path: Path) -> None:
    clock = Clock(1_700_000_000)
    cache = ScanCache(tmp_path / "scan.sqlite", max_bytes=0, clock=clock)
    for batch in range(10):
        clock.now += TOUCH_INTERVAL + 1
        cache.put_many({f"b{batch}-{i}": ENTRY for i in range(40)})
    oldest_but_hit = [f"b0-{i}" for i in range(40)]
    clock.now += TOUCH_INTERVAL + 1
    assert len(cache.get_many(oldest_but_hit)) == 40
    size = cache.size_bytes()

    result = cache.prune(size // 2)

    assert result.bytes_before == size
    assert result.bytes_after <= 0.8 * (size // 2) and 0 < result.rows_removed < 400
    assert len(cache.get_many(oldest_but_hit)) == 40, "recently hit rows survive"
    assert len(cache.get_many([f"b9-{i}" for i in range(40)])) == 40, "newest rows survive"
    assert cache.get_many([f"b1-{i}" for i in range(40)]) == {}, "least recent go first"
    assert cache.conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 2
    pages, free = (
        cache.conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "freelist_count")
    )
    assert free == 0 and pages * 4096 <= result.bytes_after, "free pages handed back"


def test_put_many_keeps_the_cache_under_its_cap(tmp_path: Path) -> None:
    cap = 256 * 1024
    clock = Clock(1_700_000_000)
    cache = ScanCache(tmp_path / "scan.sqlite", max_bytes=cap, clock=clock)
    evictions: list[int] = []
    for batch in range(30):
        clock.now += 1
        rows = cache.conn.execute("SELECT count(*) FROM scan").fetchone()[0]
        cache.put_many({f"b{batch}-{i}": ENTRY for i in range(20)})
        assert cache.size_bytes() <= cap
        if cache.conn.execute("SELECT count(*) FROM scan").fetchone()[0] < rows + 20:
            assert cache.size_bytes() <= 0.8 * cap
            evictions.append(batch)
    assert len(evictions) >= 2
    assert all(b - a > 1 for a, b in itertools.pairwise(evictions)), (
        "evicting down to 80% leaves room for the next chunk"
    )
    assert len(cache.get_many([f"b29-{i}" for i in range(20)])) == 20
    assert cache.get_many([f"b0-{i}" for i in range(20)]) == {}


def test_old_schema_database_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "scan.sqlite"
    path.parent.mkdir()
    old = sqlite3.connect(path, isolation_level=None)
    old.execute("PRAGMA journal_mode=WAL")
    old.execute("CREATE TABLE scan (key TEXT PRIMARY KEY, entry TEXT)")
    old.executemany(
        "INSERT INTO scan (key, entry) VALUES (?, ?)",
        [(f"legacy-{i}", '{"findings": [], "skip": null}') for i in range(300)],
    )
    old.close()
    clock = Clock(1_700_000_000)

    cache = ScanCache(path, max_bytes=0, clock=clock)

    assert cache.get_many(["legacy-7"]) == {"legacy-7": {"findings": [], "skip": None}}
    check = sqlite3.connect(path)
    assert [row[1] for row in check.execute("PRAGMA table_info(scan)")] == [
        "key",
        "entry",
        "used_at",
    ]
    assert "scan_used_at" in {row[1] for row in check.execute("PRAGMA index_list(scan)")}
    assert check.execute("SELECT DISTINCT used_at FROM scan").fetchall() == [(1_700_000_000,)]
    check.close()
    clock.now += TOUCH_INTERVAL + 1
    cache.put_many({"modern": ENTRY})
    assert len(cache.get_many(["modern", "legacy-1"])) == 2

    result = cache.prune(0, unused_before=clock.now - 1)

    assert result.rows_removed == 299, "all legacy rows but the one just hit"
    assert set(cache.get_many(["modern", "legacy-1", "legacy-2"])) == {"modern", "legacy-1"}
    assert cache.conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 0, "no VACUUM forced"


def test_runs_pointing_at_home_are_refused(tmp_path: Path, now: datetime) -> None:
    home = tmp_path / "home"
    write(home / "temporal.db", 10)
    backdate(home, now.timestamp() - 40 * DAY)
    (home / "runs").symlink_to(home, target_is_directory=True)

    report = collect_garbage(home, timedelta(days=1), now, keep=set())

    assert report.removed == [] and report.errors
    assert (home / "temporal.db").is_file()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", timedelta(days=30)),
        ("12h", timedelta(hours=12)),
        ("90m", timedelta(minutes=90)),
        ("45s", timedelta(seconds=45)),
        (" 7D ", timedelta(days=7)),
    ],
)
def test_parse_age(text: str, expected: timedelta) -> None:
    assert parse_age(text) == expected


@pytest.mark.parametrize(
    "text", ["", "30", "d", "30x", "-5d", "1.5h", "0d", "30 days", "3w", "99999999999999d"]
)
def test_parse_age_rejects_bad_input(text: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_age(text)
    assert "\n" not in str(err.value) and repr(text) in str(err.value)


def test_cache_cap_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MAX_MB_SETTING, raising=False)
    assert max_bytes_setting() == 512 * MB
    monkeypatch.setenv(MAX_MB_SETTING, "0")
    assert max_bytes_setting() == 0
    monkeypatch.setenv(MAX_MB_SETTING, "1.5")
    assert max_bytes_setting() == int(1.5 * MB)
    for bad in ("lots", "-1", "nan", "512MB"):
        monkeypatch.setenv(MAX_MB_SETTING, bad)
        with pytest.raises(ValueError, match=MAX_MB_SETTING):
            max_bytes_setting()


def test_gc_removes_commit_trees_unused_since_the_cutoff(tmp_path: Path, now: datetime) -> None:
    old, fresh = tmp_path / "trees" / "a", tmp_path / "trees" / "b"
    for tree in (old, fresh):
        (tree / "pkg").mkdir(parents=True)
        (tree / "pkg" / "m.py").write_text("x = 1\n")
    stale = (now - timedelta(days=40)).timestamp()
    os.utime(old, (stale, stale))
    report = collect_garbage(tmp_path, timedelta(days=30), now, keep=())
    assert not old.exists() and fresh.exists()
    assert report.trees.count == 1 and report.trees.bytes == 6
