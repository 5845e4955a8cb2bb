"""attune's Python API: `from attune import Attune` (async) or `connect_sync` (scripts,
notebooks). The reference is `starter.api`; this package is its stable import path."""

from starter import api
from starter.api import *  # noqa: F403  (exactly the names of api.__all__)

__all__ = api.__all__
