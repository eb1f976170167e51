"""`features materialize` killed, out of disk or facing a locked store: the online store always
holds one whole generation, the old or the new, and a failure is one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from creatorscore.features import compute_features, snapshots
from creatorscore.features.store import open_store
from tests.cli.test_main import error_lines
from tests.features.locking import held_exclusively
from tests.filesystems import full_disk

CLI = str(Path(sys.executable).with_name("creatorscore"))
START, WRITE = "start", "write"  # the process starting; the store's folder first changing
# (event, seconds after it): a run computes for ~2.5 s, then writes for ~10-20 ms
KILL_MOMENTS = [(START, 1.0), (WRITE, 0.0), (WRITE, 0.005), (WRITE, 0.010)]


@pytest.fixture(scope="module")
def generations(training_market_dir, definitions) -> dict[pd.Timestamp, pd.DataFrame]:
    """The vectors of the store before `materialize` (a week earlier) and after it (its default)."""
    from creatorscore.contract.read import load_marketplace

    tables = load_marketplace(training_market_dir).tables
    new = snapshots.default_as_of(tables)
    return {when: compute_features(tables, [when], definitions) for when in (new - pd.Timedelta(days=7), new)}


@pytest.fixture
def old_store(tmp_path, generations, definitions) -> Path:
    path = tmp_path / "store.sqlite"
    old = next(iter(generations.values()))
    open_store(f"sqlite:///{path}").write(old, definitions.names, definitions.version)
    return path


def materialize(data: Path, store: Path, **popen) -> subprocess.Popen:
    command = [CLI, "features", "materialize", "--data", str(data), "--store", f"sqlite:///{store}"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def _kill_at(process: subprocess.Popen, moment: tuple[str, float], folder: Path) -> None:
    event, delay = moment
    if event == WRITE:
        before = _entries(folder)
        while process.poll() is None and _entries(folder) == before:
            time.sleep(0.0002)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.communicate()


def _entries(folder: Path) -> set[tuple]:
    """What changes when a file in `folder` is created, renamed over or written."""
    return {(entry.name, entry.inode(), entry.stat().st_mtime_ns) for entry in os.scandir(folder)}


def _assert_whole_generation(path: Path, generations: dict, definitions) -> pd.Timestamp:
    """The store's as-of time, once its vectors are checked to be that generation's, all of them."""
    store = open_store(f"sqlite:///{path}")
    as_of = store.metadata().as_of
    assert as_of in generations
    expected = generations[as_of][["creator_id", "as_of", "market", "category", *definitions.names]]
    pd.testing.assert_frame_equal(store.read_all(), expected, check_exact=True)
    return as_of


def test_a_materialize_killed_at_any_moment_leaves_one_whole_generation(
    training_market_dir, old_store, generations, definitions
):
    old, new = generations
    left = {}
    for moment in KILL_MOMENTS:
        _kill_at(materialize(training_market_dir, old_store), moment, old_store.parent)
        left[moment] = sorted(p.name for p in old_store.parent.iterdir())
        assert _assert_whole_generation(old_store, generations, definitions) in (old, new)
        # the next write of the store removes what the killed writer left behind
        open_store(f"sqlite:///{old_store}").write(generations[old], definitions.names, definitions.version)
        assert [p.name for p in old_store.parent.iterdir()] == ["store.sqlite"]
    assert any(len(names) > 1 for names in left.values()), f"no kill landed mid-write: {left}"


def test_a_full_disk_is_one_line_and_leaves_the_previous_store(
    training_market_dir, tmp_path, generations, definitions
):
    old, _ = generations

    def previous_store(folder: Path) -> None:
        open_store(f"sqlite:///{folder / 'store.sqlite'}").write(
            generations[old], definitions.names, definitions.version
        )

    with full_disk(tmp_path / "disk", 64 * 1024, previous_store) as disk:
        store = disk.path / "store.sqlite"
        process = materialize(training_market_dir, store, preexec_fn=disk.preexec)
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 2, stderr
        assert len(error_lines(stderr)) == 1 and "Traceback" not in stderr
        assert str(store) in stderr
        assert _assert_whole_generation(store, generations, definitions) == old
        assert [p.name for p in disk.path.iterdir()] == ["store.sqlite"]


def test_materialize_replaces_a_store_another_process_holds_locked(
    training_market_dir, old_store, generations, definitions
):
    _, new = generations
    with held_exclusively(old_store):
        process = materialize(training_market_dir, old_store)
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
        assert _assert_whole_generation(old_store, generations, definitions) == new
