"""Another process holding an SQLite file locked, as a foreign writer in `BEGIN EXCLUSIVE` does."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HOLD = """
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("begin exclusive")
print("locked", flush=True)
time.sleep(600)
"""


@contextmanager
def held_exclusively(path: Path) -> Iterator[None]:
    """`path` locked against readers and writers by a real process until the block ends."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.kill()
        holder.wait()
