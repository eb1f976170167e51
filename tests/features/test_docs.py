"""The feature catalogue in docs/ is generated from the definitions; drift fails here."""

from pathlib import Path

from creatorscore.features.docs import render

DOC = Path(__file__).parents[2] / "docs" / "features.md"


def test_feature_catalogue_matches_the_definitions(definitions):
    assert DOC.read_text() == render(definitions), "docs/features.md is stale: run `make docs`"


def test_catalogue_lists_every_feature(definitions):
    text = render(definitions)
    assert all(f"`{name}`" in text for name in definitions.names)
