"""Where commands write: whole files or nothing, and never into the data they read.

A file is written under a temporary name beside its target and renamed onto it only once it
is complete and on disk (a rename within one folder is atomic on POSIX). So a full disk, a
read-only folder or a killed process leaves the previous file exactly as it was and no partial
one; readers see the old file or the new one, never a mix. Inputs are read-only: an output
that resolves into a folder or onto a file a command reads is refused before any work starts.
"""

from __future__ import annotations

import contextlib
import errno
import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from creatorscore.errors import UserError

PARTIAL = ".partial"  # temporary files end so; the writer's pid is in the name

_CAUSES = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EFBIG: "the file is larger than this process may write (a file-size limit or a full disk)",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
}


def refuse_inside_inputs(output: Path, flag: str, inputs: Sequence[tuple[str, Path]]) -> None:
    """UserError when `output` is, or lies inside, one of the (flag, path) inputs a command reads."""
    target = output.resolve()
    for input_flag, source in inputs:
        resolved = source.resolve()
        if target == resolved or target.is_relative_to(resolved):
            raise UserError(
                f"{flag} {output} is inside {input_flag} {source}, which this command reads; "
                "inputs are never written to: choose a path outside it"
            )


def write_error(target: Path, error: OSError) -> UserError:
    """One line naming the file, the cause and that nothing was replaced."""
    cause = _CAUSES.get(error.errno) if error.errno else None
    if cause is None:
        text = str(error).strip().splitlines()
        cause = error.strerror or (text[0] if text else type(error).__name__)
    return UserError(
        f"cannot write {target}: {cause}; nothing was replaced: choose a writable path with room"
    )


@contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """A temporary path to write `target`'s new contents to; renamed onto `target` when the block
    completes, removed when it fails. OS errors become one-line UserErrors."""
    target = Path(target)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}{PARTIAL}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_abandoned(target)
        yield temporary
        _sync(temporary)
        os.replace(temporary, target)
        _sync_folder(target.parent)
    except OSError as error:
        raise write_error(target, error) from None
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def write_text(target: Path, text: str) -> None:
    with replacing(target) as temporary:
        temporary.write_text(text, encoding="utf-8")


def write_table(target: Path, frame: pd.DataFrame) -> None:
    """CSV when the name ends in .csv, Parquet otherwise."""
    with replacing(target) as temporary:
        if target.suffix == ".csv":
            frame.to_csv(temporary, index=False)
        else:
            frame.to_parquet(temporary, index=False)


def _remove_abandoned(target: Path) -> None:
    """Temporary files of `target` whose writer is gone (killed mid-write); a live writer's stay."""
    for leftover in target.parent.glob(f".{target.name}.*{PARTIAL}"):
        pid = leftover.name.removeprefix(f".{target.name}.").split(".")[0]
        if pid.isdigit() and not _alive(int(pid)):
            leftover.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sync(path: Path) -> None:
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable; some file systems cannot sync a folder, which is harmless."""
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
