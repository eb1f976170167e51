"""Real file-system faults for tests: a full disk and a read-only folder.

A small tmpfs is a disk that really fills up and a mount that is really read-only. Where the
tests may not mount one (not root), a full disk is a file-size limit on the command instead
(`RLIMIT_FSIZE`: writes past it fail with EFBIG; Python ignores SIGXFSZ) and a read-only
folder is one without write permission.
"""

from __future__ import annotations

import os
import resource
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FaultyFolder:
    path: Path
    preexec: Callable[[], None] | None  # pass as subprocess's preexec_fn: the limit, where no mount


def _mount(folder: Path, options: str) -> bool:
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
    return done.returncode == 0


@contextmanager
def full_disk(folder: Path, room_bytes: int, fill: Callable[[Path], None] = lambda _: None) -> Iterator:
    """`folder` with `fill` written into it first, then about `room_bytes` of room left."""
    folder.mkdir(parents=True, exist_ok=True)
    if _mount(folder, "size=4m"):
        try:
            fill(folder)
            used = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
            _remount(folder, f"remount,size={max(used + room_bytes, 4096) // 1024 + 8}k")
            yield FaultyFolder(folder, None)
        finally:
            subprocess.run(["umount", "-l", str(folder)], check=False)
        return
    fill(folder)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (room_bytes, room_bytes))

    yield FaultyFolder(folder, limit)


@contextmanager
def read_only(folder: Path, fill: Callable[[Path], None] = lambda _: None) -> Iterator[FaultyFolder]:
    """`folder` holding what `fill` wrote, then read-only."""
    folder.mkdir(parents=True, exist_ok=True)
    if _mount(folder, "size=4m"):
        try:
            fill(folder)
            _remount(folder, "remount,ro")
            yield FaultyFolder(folder, None)
        finally:
            subprocess.run(["umount", "-l", str(folder)], check=False)
        return
    if os.geteuid() == 0:
        raise RuntimeError("root without mount: no way to make a folder read-only here")
    fill(folder)
    folder.chmod(0o555)
    try:
        yield FaultyFolder(folder, None)
    finally:
        folder.chmod(0o755)


def _remount(folder: Path, options: str) -> None:
    subprocess.run(["mount", "-o", options, str(folder)], check=True, capture_output=True)
