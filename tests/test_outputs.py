"""Outputs are whole files or nothing, and never land inside the inputs."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

from creatorscore.errors import UserError
from creatorscore.outputs import PARTIAL, refuse_inside_inputs, replacing, write_table, write_text
from tests.filesystems import full_disk, read_only


def test_a_write_that_fails_midway_leaves_the_previous_file_and_no_partial(tmp_path):
    target = tmp_path / "scores.csv"
    target.write_text("previous\n")
    with pytest.raises(RuntimeError), replacing(target) as temporary:
        temporary.write_text("half of the new")
        raise RuntimeError("killed while writing")
    assert target.read_text() == "previous\n"
    assert list(tmp_path.iterdir()) == [target]


def test_a_completed_write_replaces_the_file_whole(tmp_path):
    target = tmp_path / "out" / "scores.parquet"
    write_table(target, pd.DataFrame({"creator_id": ["a", "b"], "abuse_risk": [0.1, 0.2]}))
    write_table(target, pd.DataFrame({"creator_id": ["c"], "abuse_risk": [0.3]}))
    assert pd.read_parquet(target)["creator_id"].tolist() == ["c"]
    assert [p.name for p in target.parent.iterdir()] == ["scores.parquet"]


def test_a_full_disk_is_one_line_naming_the_file_and_keeps_the_previous_one(tmp_path):
    with full_disk(tmp_path / "disk", 16_384, lambda f: (f / "report.html").write_text("previous")) as disk:
        target = disk.path / "report.html"
        if disk.preexec is not None:  # no tmpfs here: the file-size limit binds a child process
            code = f"from creatorscore.outputs import write_text; write_text({str(target)!r}, 'x' * 100_000)"
            done = subprocess.run(
                [sys.executable, "-c", code], preexec_fn=disk.preexec, capture_output=True, text=True
            )
            assert "UserError: cannot write" in done.stderr
        else:
            with pytest.raises(UserError, match=rf"cannot write {target}: the disk is full"):
                write_text(target, "x" * 100_000)
        assert target.read_text() == "previous"
        assert [p.name for p in disk.path.iterdir()] == ["report.html"]


def test_a_read_only_folder_is_one_line_naming_the_file(tmp_path):
    with read_only(tmp_path / "ro", lambda f: (f / "case.html").write_text("previous")) as folder:
        target = folder.path / "case.html"
        with pytest.raises(
            UserError, match=rf"cannot write {target}: (the file system is read-only|permission)"
        ):
            write_text(target, "new")
        assert target.read_text() == "previous"


def test_partials_of_killed_writers_are_removed_and_a_live_writers_kept(tmp_path):
    target = tmp_path / "training_set.parquet"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    abandoned = tmp_path / f".{target.name}.{int(dead.stdout)}.0badf00d{PARTIAL}"
    live = tmp_path / f".{target.name}.{os.getpid()}.1badf00d{PARTIAL}"
    abandoned.write_text("cut short")
    live.write_text("still being written")
    write_text(target, "new")
    assert not abandoned.exists() and live.exists()


@pytest.mark.parametrize("relative", ["", "quarantine", "orders.parquet", "deeper/still/x.html"])
def test_an_output_inside_an_input_folder_is_refused(tmp_path, relative):
    data = tmp_path / "data"
    data.mkdir()
    with pytest.raises(UserError, match=r"--out .* is inside --data .*, which this command reads"):
        refuse_inside_inputs(data / relative, "--out", [("--data", data)])


def test_a_symlink_into_an_input_folder_is_refused_and_a_sibling_is_not(tmp_path):
    data = tmp_path / "demo"
    data.mkdir()
    (tmp_path / "link").symlink_to(data)
    with pytest.raises(UserError, match="is inside --data"):
        refuse_inside_inputs(tmp_path / "link" / "scores.parquet", "--out", [("--data", data)])
    refuse_inside_inputs(tmp_path / "demo-quarantine", "--quarantine", [("--data", data)])
