"""The built wheel works outside the checkout: simulate -> validate -> train -> promote -> score.

The wheel is built from a copy of the sources (a build writes `build/` and egg-info beside
them), installed without its dependencies into a fresh virtual environment that borrows the
project environment's installed packages through a `.pth` line (installing them all would take
minutes; that directory's own `.pth` files, the editable checkout among them, are not read),
and run with no PYTHONPATH from an empty folder outside the repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from creatorscore.training.tracking import git_commit

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("wheel")]
REPO = Path(__file__).resolve().parents[1]
SOURCES = (
    "pyproject.toml",
    "setup.py",
    "MANIFEST.in",
    "README.md",
    "src",
    "features",
    "training",
    "policies",
    "serving",
)


def build_wheel(root: Path, commit: str) -> Path:
    copy, destination = root / "sources", root / "dist"
    copy.mkdir()
    for name in SOURCES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(source, copy / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(destination), str(copy)],
        check=True,
        env={**os.environ, "CREATORSCORE_BUILD_COMMIT": commit},
    )
    [wheel] = destination.glob("creatorscore-*.whl")
    return wheel


def install_in_fresh_venv(wheel: Path, venv: Path) -> Path:
    """The venv's python, with the wheel installed and the project's dependencies importable."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    (Path(site) / "project-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index"]
    subprocess.run([*pip, str(wheel)], check=True)
    return python


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """The venv's `creatorscore`, an empty folder to run it from, and the commit built from."""
    root = tmp_path_factory.mktemp("wheel")
    commit = git_commit()
    python = install_in_fresh_venv(build_wheel(root, commit), root / "venv")
    work = root / "work"
    work.mkdir()
    return python, work, commit


def outside(command: list[str], cwd: Path, **extra: str) -> subprocess.CompletedProcess:
    own = ("PYTHONPATH", "MLFLOW_", "CREATORSCORE_")  # nothing from the checkout or this session's settings
    env = {name: value for name, value in os.environ.items() if not name.startswith(own)}
    return subprocess.run(command, cwd=cwd, env={**env, **extra}, capture_output=True, text=True, timeout=300)


def test_the_installed_wheel_runs_the_pipeline_outside_the_checkout(installed):
    from mlflow import MlflowClient

    python, work, commit = installed
    cli = str(python.parent / "creatorscore")
    imported = outside([str(python), "-c", "import creatorscore; print(creatorscore.__file__)"], work)
    assert Path(imported.stdout.strip()).is_relative_to(python.parents[1]), imported.stderr
    policies = "from creatorscore.policy import load_market_policies; print(*load_market_policies())"
    markets = outside([str(python), "-c", policies], work)  # the packaged policies/, no checkout
    assert markets.stdout.split() == ["ID", "TH", "VN", "MY", "PH", "SG"], markets.stderr
    configs = work / "configs"  # abuse_risk trains on the installed config, content_quality on one here
    configs.mkdir()
    quality = (REPO / "training" / "content_quality.yaml").read_text()
    (configs / "content_quality.yaml").write_text(quality.replace("max_rounds: 400", "max_rounds: 50"))

    quality_configs = {"CREATORSCORE_TRAINING": str(configs)}
    steps = [
        (["simulate", "--out", "market", "--creators", "600", "--days", "150", "--seed", "3"], {}),
        (["validate", "--data", "market"], {}),
        (["train", "--model", "abuse_risk", "--data", "market"], {}),
        (["train", "--model", "content_quality", "--data", "market"], quality_configs),
        (["promote", "--model", "abuse_risk"], {}),
    ]
    done = [outside([cli, *step], work, **env) for step, env in steps]

    for (step, _), result in zip(steps, done, strict=True):
        refused = step[0] == "promote" and result.returncode == 2 and "not promoted" in result.stderr
        assert result.returncode == 0 or refused, f"{step}: {result.stderr[-2000:]}"
        assert "Traceback" not in result.stderr
    client = MlflowClient(tracking_uri=f"sqlite:///{work / 'mlflow.db'}")
    for name in ("abuse_risk", "content_quality"):  # the tiny market's gate is the gate tests' business
        client.set_registered_model_alias(name, "champion", "1")
    scored = outside([cli, "score", "--data", "market", "--out", "scores.csv"], work)
    assert scored.returncode == 0, scored.stderr[-2000:]
    assert len((work / "scores.csv").read_text().splitlines()) == 601  # a header and 600 creators
    run = client.get_run(client.get_model_version("abuse_risk", "1").run_id)
    assert run.data.tags["mlflow.source.git.commit"] == commit  # recorded at build time, not asked of git
