"""Editable copies of the checked-in policies: what a test changes, it changes in its own copy."""

from __future__ import annotations

import shutil
from pathlib import Path

from creatorscore.locations import folder


def copied_policies(tmp_path: Path, name: str = "policies") -> Path:
    copy = tmp_path / name
    shutil.copytree(folder("policies"), copy)
    return copy


def policies_with(tmp_path: Path, market: str, addition: str) -> Path:
    """A copy whose market file ends with `addition` (YAML: an override of the base)."""
    policies = copied_policies(tmp_path)
    path = policies / "markets" / f"{market}.yaml"
    path.write_text(path.read_text() + addition)
    return policies
