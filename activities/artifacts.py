"""The artifact store: claim checks for anything too big for a Temporal payload.

Documents live under `$ATTUNE_HOME` (a volume every worker shares in a cluster) at
deterministic keys, so a retried activity rewrites the same file instead of leaving
orphans, and a reference stays valid for whichever worker picks up the next step.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from workflows.schemas import ArtifactRef

RAW_JSON: TypeAdapter[Any] = TypeAdapter(Any)


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


class ArtifactStore:
    def __init__(self, root: Path | None = None) -> None:
        self.root = root or attune_home()

    def run_dir(self, run_key: str) -> Path:
        return self.root / "runs" / run_key

    def put(self, key: str, value: Any, adapter: TypeAdapter[Any], count: int = 0) -> ArtifactRef:
        data = adapter.dump_json(value)
        atomic_write(self.root / key, data)
        return ArtifactRef(
            key=key, sha256=hashlib.sha256(data).hexdigest(), size=len(data), count=count
        )

    def get(self, ref: ArtifactRef, adapter: TypeAdapter[Any]) -> Any:
        path = self.root / ref.key
        try:
            data = path.read_bytes()
        except FileNotFoundError as err:
            raise FileNotFoundError(
                f"artifact {ref.key} is missing under {self.root}: every worker must share "
                "the same ATTUNE_HOME"
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
            data = (self.root / key).read_bytes()
        except FileNotFoundError:
            return None
        ref = ArtifactRef(key=key, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
        return adapter.validate_json(data), ref
