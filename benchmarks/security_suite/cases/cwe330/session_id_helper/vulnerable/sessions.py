import random
import time


def new_session_id() -> str:
    return "%032x" % random.getrandbits(128)


class SessionStore:
    def __init__(self) -> None:
        self._sessions: dict[str, dict] = {}

    def create(self, user: str) -> str:
        sid = new_session_id()
        self._sessions[sid] = {"user": user, "created": time.time()}
        return sid
