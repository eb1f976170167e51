"""The build hook that makes the wheel work outside the checkout (metadata is in pyproject.toml).

The checked-in features/, training/, policies/ and serving/ folders stay the one source of truth: each
build copies them into the wheel as `creatorscore/packaged/<folder>`, the defaults
`creatorscore.locations` falls back to, with the commit they were built from
($CREATORSCORE_BUILD_COMMIT when the build runs outside a git checkout, as from an sdist).
"""

import os
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
FOLDERS = ("features", "training", "policies", "serving")


def build_commit() -> str:
    """HEAD of the checkout built from, with '-dirty' when files differ; '' when unknown."""
    if given := os.environ.get("CREATORSCORE_BUILD_COMMIT"):
        return given
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=HERE, capture_output=True, text=True, check=True)
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=HERE,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return ""
    return head.stdout.strip() + ("-dirty" if status.stdout.strip() else "")


class BuildWithDefaults(build_py):
    """build_py, then the checked-in folders and the build commit beside the package."""

    def run(self) -> None:
        super().run()
        packaged = Path(self.build_lib) / "creatorscore" / "packaged"
        for name in FOLDERS:
            shutil.copytree(
                HERE / name, packaged / name, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__")
            )
        (packaged / "COMMIT").write_text(build_commit() + "\n")


setup(cmdclass={"build_py": BuildWithDefaults})
