"""The originals of a case store: a content-addressed folder of files named by their SHA-256,
each written once (temporary file, fsync, atomic rename) and then read-only."""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

SHA256 = re.compile(r"[0-9a-f]{64}")
INCOMING = ".incoming-"  # the prefix of a file still being written


class NotAnOriginal(ValueError):
    """A name that is not a SHA-256, so it names no original."""


class Originals:
    def __init__(self, folder: Path, create: bool = True):
        self.folder = folder
        if create:
            self.folder.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        """Where an original is kept. Only a well-formed SHA-256 names a path (a tampered row
        holding ``../../etc/hostname`` must never reach the file system)."""
        if not isinstance(sha256, str) or not SHA256.fullmatch(sha256):
            raise NotAnOriginal(f"not a SHA-256, so it names no original: {str(sha256)[:80]!r}")
        return self.folder / sha256[:2] / sha256

    def put(self, sha256: str, data: bytes) -> None:
        """Write once (temp file, fsync, atomic rename), then make it read-only."""
        target = self.path(sha256)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=INCOMING)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o444)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def sweep(self, keep: set[str], being_written: set[str]) -> None:
        """Remove originals that are neither kept nor being written, and half-written files
        (those older than an hour, or all of them when nothing is being written)."""
        for path in self.folder.glob("*/*"):
            name = path.name
            if name.startswith(INCOMING):
                if time.time() - path.stat().st_mtime > 3600 or not being_written:
                    path.unlink(missing_ok=True)
            elif name not in keep and name not in being_written:
                os.chmod(path, 0o644)
                path.unlink(missing_ok=True)


def alive(pid: int) -> bool:
    """Whether a process (one that may be writing an original) still runs."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
