"""attune's Python API: `from attune import Attune` (async) or `connect_sync` (scripts,
notebooks). The reference is `starter.api`; this package is its stable import path."""

from starter.api import (
    Attune,
    AttuneSync,
    BadRequest,
    BlockersPresent,
    NotWaiting,
    Run,
    RunFailed,
    RunSync,
    UnknownFlow,
    UnknownWorkflow,
    Waiting,
    connect,
    connect_sync,
    leave,
)

__all__ = [
    "Attune",
    "AttuneSync",
    "BadRequest",
    "BlockersPresent",
    "NotWaiting",
    "Run",
    "RunFailed",
    "RunSync",
    "UnknownFlow",
    "UnknownWorkflow",
    "Waiting",
    "connect",
    "connect_sync",
    "leave",
]
