"""Where the folders a user edits are found: `features/`, `training/`, `policies/` and `serving/`.

In order: the folder given as an option, then its environment variable, then the checked-in
folder when the package runs from its source checkout, then the copy packaged in the wheel.
The checked-in folders are the one source of truth: `setup.py` copies them into the wheel at
build time (under `creatorscore/packaged/`), with the commit the wheel was built from.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

Folder = Literal["features", "training", "policies", "serving"]
VARIABLES: dict[Folder, str] = {
    "features": "CREATORSCORE_FEATURES",
    "training": "CREATORSCORE_TRAINING",
    "policies": "CREATORSCORE_POLICIES",
    "serving": "CREATORSCORE_SERVING",
}
PACKAGE = Path(__file__).resolve().parent
PACKAGED = PACKAGE / "packaged"  # written by setup.py into the wheel; absent in the checkout
COMMIT_FILE = "COMMIT"


def checkout() -> Path | None:
    """The source checkout the package runs from (`src/creatorscore` inside it), else None."""
    root = PACKAGE.parents[1]
    if PACKAGE.parent.name == "src" and (root / "pyproject.toml").is_file():
        return root
    return None


def default_folder(name: Folder) -> Path:
    """The checked-in folder inside a checkout, else the packaged copy."""
    root = checkout()
    if root is not None and (root / name).is_dir():
        return root / name
    return PACKAGED / name


def folder(name: Folder, given: Path | str | None = None, environ: Mapping[str, str] = os.environ) -> Path:
    """The folder given, else the one its environment variable names, else the default."""
    chosen = given or environ.get(VARIABLES[name])
    return Path(chosen) if chosen else default_folder(name)


def build_commit() -> str | None:
    """The commit a wheel was built from, as recorded at build time; None when none was."""
    try:
        return (PACKAGED / COMMIT_FILE).read_text().strip() or None
    except OSError:
        return None
