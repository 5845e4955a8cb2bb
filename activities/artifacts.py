"""The artifact store: claim checks for anything too big for a Temporal payload.

Documents live at deterministic keys, so a retried activity rewrites the same object
instead of leaving orphans, and a reference stays valid for whichever worker picks
up the next step. Where they live is `ATTUNE_ARTIFACTS`:

- unset: under `$ATTUNE_HOME` (one machine, or a volume every worker mounts);
- a directory or `file:///shared/path`: a shared filesystem;
- `s3://bucket/prefix` (or any URL obstore reads): an object store, with
  `AWS_ENDPOINT_URL` and the usual AWS credential variables.

Every write is whole or absent (temp file and rename on a disk; a single PUT on an
object store), and every read is checked against the sha256 its reference carries.
`$ATTUNE_HOME` stays this machine's own: scan caches, run directories being written,
materialised target snapshots.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import obstore
from obstore.exceptions import AlreadyExistsError, BaseError
from obstore.store import ObjectStore, from_url
from pydantic import TypeAdapter

from workflows.schemas import ArtifactRef

RAW_JSON: TypeAdapter[Any] = TypeAdapter(Any)
ARTIFACTS_ENV = "ATTUNE_ARTIFACTS"
CHECKSUM_MARK = "#sha256="


def attune_home() -> Path:
    """`$ATTUNE_HOME`, defaulting to `~/.attune`; created on first use."""
    home = Path(os.environ.get("ATTUNE_HOME") or Path.home() / ".attune").expanduser()
    home.mkdir(parents=True, exist_ok=True)
    return home.resolve()


def atomic_write(path: Path, data: bytes) -> None:
    """Write via a temp file and rename, so a killed worker never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Backend(Protocol):
    """Where documents are kept; `read` raises FileNotFoundError for a missing key."""

    def write(self, key: str, data: bytes) -> None: ...
    def create(self, key: str, data: bytes) -> None: ...
    def read(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def location(self, key: str) -> str: ...


class DirectoryBackend:
    """Today's single machine: files under `$ATTUNE_HOME`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, key: str, data: bytes) -> None:
        atomic_write(self.root / key, data)

    def create(self, key: str, data: bytes) -> None:
        """Write unless the key exists: for content-addressed keys, whose bytes never change."""
        if not self.exists(key):
            self.write(key, data)

    def read(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def exists(self, key: str) -> bool:
        return (self.root / key).is_file()

    def location(self, key: str) -> str:
        return str(self.root / key)


class ObjectBackend:
    """Any obstore URL: `file://` (writes staged and renamed) or `s3://` (one PUT)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.store = open_store(self.url)

    def write(self, key: str, data: bytes) -> None:
        obstore.put(self.store, key, data)

    def create(self, key: str, data: bytes) -> None:
        """One conditional PUT (If-None-Match): a content-addressed key that exists
        already holds these bytes."""
        with contextlib.suppress(AlreadyExistsError):
            obstore.put(self.store, key, data, mode="create")

    def read(self, key: str) -> bytes:
        return bytes(obstore.get(self.store, key).bytes())

    def exists(self, key: str) -> bool:
        try:
            obstore.head(self.store, key)
        except FileNotFoundError:
            return False
        return True

    def location(self, key: str) -> str:
        return f"{self.url}/{key}"


def open_store(url: str) -> ObjectStore:
    """An obstore store for `url`; S3 settings come from the environment (AWS_*), and a
    plain-http endpoint (a local MinIO or moto) is allowed because it was asked for."""
    if url.startswith("file://"):
        return from_url(url, mkdir=True)
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT") or ""
    options = {"allow_http": True} if endpoint.startswith("http://") else None
    return from_url(url, client_options=options)


def artifacts_url(value: str | None) -> str | None:
    """`ATTUNE_ARTIFACTS` as a URL: a bare directory becomes `file://`; unset is None."""
    if not value:
        return None
    if "://" in value:
        return value
    return Path(value).expanduser().resolve().as_uri()


def shared_artifacts() -> bool:
    """Whether `ATTUNE_ARTIFACTS` puts artifacts outside this machine's home."""
    return artifacts_url(os.environ.get(ARTIFACTS_ENV)) is not None


def read_location(location: str) -> bytes:
    """A published report by the location a run returned: a path on this machine, or a
    store URL (checked against the `#sha256=` it carries), so the CLI, the MCP server
    and team reports read what a worker elsewhere wrote."""
    url, _, checksum = location.partition(CHECKSUM_MARK)
    if "://" not in url:
        data = Path(url).read_bytes()
    elif url.startswith("file://"):
        data = Path(urlsplit(url).path).read_bytes()
    else:
        parts = urlsplit(url)
        try:
            store = open_store(f"{parts.scheme}://{parts.netloc}")
            data = bytes(obstore.get(store, parts.path.lstrip("/")).bytes())
        except BaseError as err:  # unreachable, refused: an I/O failure to its readers
            raise OSError(f"cannot read {url}: {err}") from err
    if checksum and hashlib.sha256(data).hexdigest() != checksum:
        raise ValueError(f"{url} does not match its checksum")
    return data


class ArtifactStore:
    def __init__(self, root: Path | None = None, url: str | None = None) -> None:
        self.root = root or attune_home()
        self.url = artifacts_url(url if url is not None else os.environ.get(ARTIFACTS_ENV))
        self.backend: Backend = ObjectBackend(self.url) if self.url else DirectoryBackend(self.root)

    @property
    def shared(self) -> bool:
        """Artifacts live outside this machine's home, so workers may be elsewhere:
        targets travel as snapshots and reports are published to the store."""
        return self.url is not None

    def run_dir(self, run_key: str) -> Path:
        """Where a run's reports are written on this machine (see `publish`)."""
        return self.root / "runs" / run_key

    def put(self, key: str, value: Any, adapter: TypeAdapter[Any], count: int = 0) -> ArtifactRef:
        data = adapter.dump_json(value)
        self.backend.write(key, data)
        return ArtifactRef(
            key=key, sha256=hashlib.sha256(data).hexdigest(), size=len(data), count=count
        )

    def get(self, ref: ArtifactRef, adapter: TypeAdapter[Any]) -> Any:
        try:
            data = self.backend.read(ref.key)
        except FileNotFoundError as err:
            raise FileNotFoundError(
                f"artifact {ref.key} is missing at {self.backend.location(ref.key)}: every "
                "worker must share the same ATTUNE_HOME, or the same ATTUNE_ARTIFACTS"
            ) from err
        if hashlib.sha256(data).hexdigest() != ref.sha256:
            raise ValueError(f"artifact {ref.key} does not match its checksum")
        return adapter.validate_json(data)

    def read_json(self, ref: ArtifactRef) -> Any:
        """A stored document as plain JSON (raw LLM outputs have no model of their own)."""
        return self.get(ref, RAW_JSON)

    def local_path(self, key: str) -> Path:
        """A worker-local file beside the artifacts (the scan cache, cancel markers):
        never a claim check another worker reads."""
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def find(self, key: str, adapter: TypeAdapter[Any]) -> tuple[Any, ArtifactRef] | None:
        """A document a previous attempt may have stored, with a fresh reference to it."""
        try:
            data = self.backend.read(key)
        except FileNotFoundError:
            return None
        ref = ArtifactRef(key=key, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
        return adapter.validate_json(data), ref

    def publish(self, paths: dict[str, str]) -> dict[str, str]:
        """The report files a run wrote under `run_dir`, copied into a shared store and
        named by their store URL with its checksum; files elsewhere (`--out`) and every
        file of a local store keep their path."""
        if not self.shared:
            return paths
        published = dict(paths)
        for kind, written in paths.items():
            path = Path(written)
            if not path.is_relative_to(self.root) or not path.is_file():
                continue
            key = path.relative_to(self.root).as_posix()
            data = path.read_bytes()
            self.backend.write(key, data)
            location = self.backend.location(key)
            published[kind] = f"{location}{CHECKSUM_MARK}{hashlib.sha256(data).hexdigest()}"
        return published
