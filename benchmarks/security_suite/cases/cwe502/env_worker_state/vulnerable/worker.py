import os

from .state import restore


def resume() -> dict:
    snapshot = os.environ.get("WORKER_SNAPSHOT")
    return restore(snapshot) if snapshot else {"offset": 0}
