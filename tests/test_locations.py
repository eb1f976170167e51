"""Definitions, configs and the service found by option, environment variable, checkout or wheel."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from creatorscore import locations
from creatorscore.cli import serve
from creatorscore.errors import UserError
from creatorscore.training import tracking
from creatorscore.training.config import default_config
from tests.cli.test_main import _one_line_error, run

REPO = Path(__file__).resolve().parents[1]


def test_inside_the_checkout_the_defaults_are_the_checked_in_folders():
    assert locations.checkout() == REPO
    for name in ("features", "training", "policies", "serving"):
        assert locations.folder(name, environ={}) == REPO / name


def test_an_option_beats_the_environment_variable_which_beats_the_default(tmp_path):
    environ = {"CREATORSCORE_FEATURES": str(tmp_path / "from-env")}
    assert locations.folder("features", tmp_path / "given", environ) == tmp_path / "given"
    assert locations.folder("features", None, environ) == tmp_path / "from-env"


def test_outside_a_checkout_the_packaged_copies_are_the_defaults(monkeypatch):
    monkeypatch.setattr(locations, "checkout", lambda: None)
    assert locations.folder("training", environ={}) == locations.PACKAGED / "training"


def test_the_training_variable_chooses_the_model_configs(tmp_path, monkeypatch):
    own = (REPO / "training" / "abuse_risk.yaml").read_text().replace("num_leaves: 4", "num_leaves: 9")
    (tmp_path / "abuse_risk.yaml").write_text(own)
    monkeypatch.setenv("CREATORSCORE_TRAINING", str(tmp_path))
    assert default_config("abuse_risk").lightgbm.num_leaves == 9
    with pytest.raises(UserError, match=f"no model config at {tmp_path}"):
        default_config("content_quality")


def test_the_features_variable_is_the_clis_definitions_folder(tmp_path):
    variable = locations.VARIABLES["features"]
    folder = tmp_path / "definitions"
    shutil.copytree(REPO / "features", folder)
    (folder / "sources.yaml").write_text("sources: [unterminated\n")
    _one_line_error(run("features", "docs", env={**os.environ, variable: str(folder)}), "sources.yaml")
    # and --definitions still wins over it
    checked_in = str(REPO / "features")
    given = run("features", "docs", "--definitions", checked_in, env={**os.environ, variable: "x"})
    assert given.returncode == 0 and "reports_" in given.stdout


def test_serve_names_the_variable_when_no_service_is_found(tmp_path, monkeypatch):
    monkeypatch.setenv("CREATORSCORE_SERVING", str(tmp_path))
    with pytest.raises(UserError, match="CREATORSCORE_SERVING"):
        serve.service_folder()
    monkeypatch.delenv("CREATORSCORE_SERVING")
    command = serve.bentoml_serve("127.0.0.1", 3000)
    assert command[4:7] == ["service:CreatorScore", "--working-dir", str(REPO / "serving")]


def test_outside_a_checkout_the_commit_is_the_one_recorded_at_build_time_or_unknown(tmp_path, monkeypatch):
    monkeypatch.setattr(locations, "checkout", lambda: None)  # no git call, whatever the cwd is in
    monkeypatch.setattr(locations, "PACKAGED", tmp_path)
    assert tracking.git_commit() == "unknown"
    (tmp_path / locations.COMMIT_FILE).write_text("0123abcd-dirty\n")
    assert tracking.git_commit() == "0123abcd-dirty"
