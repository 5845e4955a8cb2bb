"""The local OSV database under `$ATTUNE_HOME/advisories/`: filled by `attune advisories
update` (OSV's PyPI archive) or `attune advisories import PATH` (a directory, zip or tar
of OSV JSON/YAML, such as a clone or archive of the PyPA advisory database), read by the
dependency-check flow. It never touches the network while a flow runs.

One SQLite file: every PyPI advisory as its OSV JSON, an index of the packages each
names, and where the data came from. An import builds a new file and renames it over the
old one, so a run always reads a whole database. Its age is that of its newest
advisory (`modified`), not of the import: a fresh copy of an old snapshot is old data.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from packaging.utils import canonicalize_name
from pydantic import BaseModel

from activities.artifacts import attune_home
from workflows.dependency_check.models import DatabaseInfo

DEFAULT_URL = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"
URL_ENV = "ATTUNE_OSV_URL"
SUFFIXES = (".json", ".yaml", ".yml")
MAX_DOCUMENT_BYTES = 20_000_000
SKIP_DIRS = {".git", ".github", "node_modules"}
_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)  # libyaml when built with it


class DatabaseError(Exception):
    """Input that holds no database: the CLI says it in one line (exit 2)."""


class ImportSummary(BaseModel):
    path: str
    source: str
    advisories: int
    packages: int
    withdrawn: int
    other_ecosystems: int
    unreadable: int
    newest_advisory: datetime | None


def database_path(home: Path | None = None) -> Path:
    return (home or attune_home()) / "advisories" / "osv-pypi.sqlite"


# --------------------------------------------------------------------------- reading input


def documents(source: Path) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every JSON/YAML file in a directory, zip or tar(.gz) archive."""
    if source.is_dir():
        for folder, dirs, files in os.walk(source):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            for name in sorted(files):
                path = Path(folder) / name
                if path.suffix.lower() in SUFFIXES and path.stat().st_size <= MAX_DOCUMENT_BYTES:
                    yield str(path.relative_to(source)), path.read_bytes()
    elif source.is_file() and source.suffix.lower() in SUFFIXES:
        yield source.name, source.read_bytes()
    elif zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            for info in archive.infolist():
                if _wanted(info.filename, info.file_size) and not info.is_dir():
                    yield info.filename, archive.read(info)
    elif source.is_file() and tarfile.is_tarfile(source):
        with tarfile.open(source) as archive:
            for member in archive:
                if member.isfile() and _wanted(member.name, member.size):
                    handle = archive.extractfile(member)
                    if handle is not None:
                        yield member.name, handle.read()
    elif source.exists():
        raise DatabaseError(
            f"{source} is not a directory, a zip or tar archive, or an OSV JSON/YAML file"
        )
    else:
        raise DatabaseError(f"{source} does not exist")


def _wanted(name: str, size: int) -> bool:
    parts = Path(name).parts
    return (
        Path(name).suffix.lower() in SUFFIXES
        and size <= MAX_DOCUMENT_BYTES
        and not SKIP_DIRS.intersection(parts)
    )


def parse_document(name: str, data: bytes) -> list[dict[str, Any]] | None:
    """The OSV advisories in one file (one, or a JSON list); None when it does not parse.

    YAML is read with every scalar a string (BaseLoader), so a version such as 1.10 is
    never turned into the float 1.1 and timestamps stay RFC 3339 text, as in JSON.
    """
    try:
        text = data.decode("utf-8-sig")
        if name.lower().endswith(".json"):
            loaded = json.loads(text)
        else:
            loaded = yaml.load(text, Loader=_LOADER)
    except (UnicodeDecodeError, ValueError, yaml.YAMLError):
        return None
    items = loaded if isinstance(loaded, list) else [loaded]
    return [item for item in items if _is_advisory(item)]


def _is_advisory(item: Any) -> bool:
    return isinstance(item, dict) and isinstance(item.get("id"), str) and "affected" in item


def pypi_packages(advisory: dict[str, Any]) -> set[str]:
    return {
        canonicalize_name(package["name"])
        for entry in advisory.get("affected") or []
        if isinstance(entry, dict)
        and isinstance(package := entry.get("package"), dict)
        and package.get("ecosystem") == "PyPI"
        and package.get("name")
    }


def timestamp(text: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- writing


def import_advisories(
    source: Path, label: str, db: Path | None = None, now: datetime | None = None
) -> ImportSummary:
    """Replace the database with the PyPI advisories found in `source`."""
    db = db or database_path()
    chosen: dict[str, tuple[dict[str, Any], set[str]]] = {}
    unreadable = other = 0
    for name, data in documents(source):
        found = parse_document(name, data)
        if found is None:
            unreadable += 1
            continue
        for advisory in found:
            packages = pypi_packages(advisory)
            if not packages:
                other += 1
                continue
            previous = chosen.get(advisory["id"])
            if previous is None or _modified(advisory) >= _modified(previous[0]):
                chosen[advisory["id"]] = (advisory, packages)
    if not chosen:
        raise DatabaseError(f"{source} holds no OSV advisory for a PyPI package")
    newest = max(
        (m for a, _ in chosen.values() if (m := timestamp(a.get("modified")))), default=None
    )
    db.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=db.parent, prefix=".osv-", suffix=".sqlite")
    os.close(fd)
    try:
        with sqlite3.connect(tmp) as conn:
            conn.executescript(
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
                "CREATE TABLE advisories (id TEXT PRIMARY KEY, withdrawn INTEGER, doc TEXT);"
                "CREATE TABLE affects (package TEXT, id TEXT);"
            )
            conn.executemany(
                "INSERT INTO advisories VALUES (?, ?, ?)",
                (
                    (ident, int(bool(a.get("withdrawn"))), json.dumps(a))
                    for ident, (a, _) in chosen.items()
                ),
            )
            conn.executemany(
                "INSERT INTO affects VALUES (?, ?)",
                ((p, ident) for ident, (_, packages) in chosen.items() for p in packages),
            )
            conn.execute("CREATE INDEX affects_package ON affects (package)")
            meta = {
                "source": label,
                "imported_at": (now or datetime.now(UTC)).isoformat(),
                "newest_advisory": newest.isoformat() if newest else "",
                "advisories": str(len(chosen)),
            }
            conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        conn.close()
        os.chmod(tmp, 0o644)
        os.replace(tmp, db)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return ImportSummary(
        path=str(db),
        source=label,
        advisories=len(chosen),
        packages=len({p for _, packages in chosen.values() for p in packages}),
        withdrawn=sum(1 for a, _ in chosen.values() if a.get("withdrawn")),
        other_ecosystems=other,
        unreadable=unreadable,
        newest_advisory=newest,
    )


def _modified(advisory: dict[str, Any]) -> datetime:
    return timestamp(advisory.get("modified")) or datetime.min.replace(tzinfo=UTC)


def download(url: str, dest: Path, timeout: float = 60) -> None:
    """Fetch `url` to `dest`; DatabaseError in one line when it cannot be had."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, dest.open("wb") as out:
            shutil.copyfileobj(response, out, length=1 << 20)
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        reason = getattr(err, "reason", None) or err
        raise DatabaseError(f"cannot download {url}: {reason}") from None


def update(url: str | None = None, db: Path | None = None) -> ImportSummary:
    """Download OSV's PyPI archive (or `url`) and import it."""
    url = url or os.environ.get(URL_ENV) or DEFAULT_URL
    db = db or database_path()
    db.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=db.parent, prefix=".osv-download-", suffix=".zip")
    os.close(fd)
    try:
        download(url, Path(tmp))
        if not zipfile.is_zipfile(tmp):
            raise DatabaseError(f"{url} did not return a zip archive")
        return import_advisories(Path(tmp), url, db)
    finally:
        Path(tmp).unlink(missing_ok=True)


# --------------------------------------------------------------------------- reading


def database_info(db: Path, now: datetime) -> DatabaseInfo:
    if not db.is_file():
        return DatabaseInfo(status="missing", path=str(db))
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    conn.close()
    newest = timestamp(meta.get("newest_advisory")) if meta.get("newest_advisory") else None
    return DatabaseInfo(
        status="ok",
        source=meta.get("source", ""),
        imported_at=timestamp(meta.get("imported_at")),
        newest_advisory=newest,
        age_days=round((now - newest).total_seconds() / 86400, 1) if newest else None,
        advisories=int(meta.get("advisories", "0")),
        path=str(db),
    )


def advisories_for(db: Path, names: set[str]) -> dict[str, list[dict[str, Any]]]:
    """The advisories naming each package (normalised names), in id order."""
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    if not names:
        return found
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        ordered = sorted(names)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                "SELECT affects.package, advisories.doc FROM affects JOIN advisories "
                f"ON affects.id = advisories.id WHERE affects.package IN ({marks}) "
                "ORDER BY advisories.id",
                chunk,
            )
            for package, doc in rows:
                found[package].append(json.loads(doc))
    conn.close()
    return found
