"""The write guard of a candidate test's interpreter, installed before anything runs.

An audit hook (PEP 578) refuses, with PermissionError, every open for writing, remove,
rename, mkdir, rmdir, link, truncate, chmod, chown and utime of a path outside the
directories in ATTUNE_SANDBOX_ALLOW (the test's temp dir). Audit hooks cannot be removed
once added, so the code under test cannot turn the guard off from Python; C extensions
writing with their own calls are beyond it, which is why the runner also drops to an
unprivileged user when it can.
"""

import os
import sys

_ALLOWED = tuple(
    os.path.join(os.path.abspath(p), "")
    for p in os.environ.get("ATTUNE_SANDBOX_ALLOW", "").split(os.pathsep)
    if p
)
_DEVICES = frozenset({"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty"})
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_PATH_EVENTS = {
    "os.remove": (0,),
    "os.rmdir": (0,),
    "os.mkdir": (0,),
    "os.rename": (0, 1),
    "os.link": (0, 1),
    "os.symlink": (1,),
    "os.truncate": (0,),
    "os.chmod": (0,),
    "os.chown": (0,),
    "os.utime": (0,),
    "shutil.rmtree": (0,),
    "shutil.copyfile": (1,),
}


def _outside(path):
    if isinstance(path, int) or path is None:
        return False
    path = os.fsdecode(os.fspath(path))
    absolute = os.path.abspath(path)
    if absolute in _DEVICES:
        return False
    return not os.path.join(absolute, "").startswith(_ALLOWED)


def _refuse(event, path):
    raise PermissionError(f"attune sandbox: {event} outside the test's temp dir: {path}")


def _guard(event, args):
    if event == "open":
        path, mode, flags = args
        writing = (
            any(c in mode for c in "wax+") if isinstance(mode, str) else bool(flags & _WRITE_FLAGS)
        )
        if writing and _outside(path):
            _refuse(event, path)
    elif event in _PATH_EVENTS:
        for index in _PATH_EVENTS[event]:
            if index < len(args) and _outside(args[index]):
                _refuse(event, args[index])


if _ALLOWED:
    sys.addaudithook(_guard)
