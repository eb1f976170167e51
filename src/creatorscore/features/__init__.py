"""Point-in-time features: definitions from `features/`, one engine, labels, the online store."""

from pathlib import Path

from creatorscore.features.definitions import DEFAULT_DIR, DefinitionError, Definitions, Feature
from creatorscore.features.engine import compute_features, verify


def load(folder: Path | str = DEFAULT_DIR) -> Definitions:
    """Feature definitions, checked for structure and compiled against the data contract."""
    from creatorscore.features.definitions import load_definitions

    return verify(load_definitions(folder))


__all__ = ["DEFAULT_DIR", "DefinitionError", "Definitions", "Feature", "compute_features", "load", "verify"]
