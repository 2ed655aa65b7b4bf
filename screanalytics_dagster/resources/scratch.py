"""Temporary files of artifact writes: named after the process writing them, swept once it is gone.

A write killed mid-way (SIGKILL, out of memory) leaves its temporary file behind; nothing else would remove it.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

SCRATCH_PREFIX = "screanalytics-"  # local copies of S3 objects, in the system's temporary folder
# Older than any write can take (the hard time limit of a step is 30 min): removed even when its pid looks alive,
# which covers a file of another host on a shared disk and a pid reused after a restart.
MAX_AGE_S = 3 * 3600
WRITER = re.compile(r"\.(\d+)-[0-9a-f]{32}\.tmp$|^" + re.escape(SCRATCH_PREFIX) + r"(\d+)-")


def temporary_name(final_name: str) -> str:
    """The hidden name beside final_name that a write goes to before its rename."""
    return f".{final_name}.{os.getpid()}-{uuid.uuid4().hex}.tmp"


def temporaries_of(final: Path) -> Iterator[Path]:
    """Temporary files of earlier writes of final (this naming, and the pid-less one before it)."""
    return final.parent.glob(f".{glob_escape(final.name)}.*.tmp")


def scratch_files() -> Iterator[Path]:
    """Every scratch file in the system's temporary folder, of any process."""
    return Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*")


@contextmanager
def scratch_file(suffix: str) -> Iterator[Path]:
    """A file in the system's temporary folder, removed at the end of the block."""
    fd, name = tempfile.mkstemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", suffix=suffix)
    os.close(fd)
    try:
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def sweep(paths: Iterable[Path]) -> int:
    """Remove the temporary files among paths whose writer is gone (or that are older than MAX_AGE_S); returns how many."""
    removed = 0
    for path in paths:
        try:
            if path.is_file() and orphaned(path):
                path.unlink()
                removed += 1
        except OSError:  # renamed or swept meanwhile, or a folder we may not write: the write itself will tell
            continue
    return removed


def orphaned(path: Path) -> bool:
    if time.time() - path.stat().st_mtime > MAX_AGE_S:
        return True
    match = WRITER.search(path.name)
    if match is None:
        return False  # no pid in the name: only age tells
    pid = int(match.group(1) or match.group(2))
    return pid != os.getpid() and not running(pid)


def running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)
