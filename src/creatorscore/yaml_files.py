"""Reading the YAML files users edit (feature definitions, model configs) with one-line errors."""

from __future__ import annotations

from pathlib import Path

import yaml

from creatorscore.errors import UserError


def read_mapping(path: Path, error: type[UserError] = UserError) -> dict:
    """The file's top-level mapping; bad YAML or another shape raises `error` naming the file."""
    try:
        loaded = yaml.safe_load(path.read_text())
    except yaml.YAMLError as problem:
        raise error(f"{path.name}: not valid YAML ({' '.join(str(problem).split())})") from None
    if not isinstance(loaded, dict):
        raise error(f"{path.name}: expected a mapping at the top")
    return loaded
