"""The published data contract is generated from the schema; drift fails here."""

from pathlib import Path

from creatorscore.contract import TABLES, TimeBounds
from creatorscore.contract.docs import render

DOC = Path(__file__).parents[2] / "docs" / "data-contract.md"


def test_data_contract_doc_matches_the_schema():
    assert DOC.read_text() == render(), "docs/data-contract.md is stale: run `make docs`"


def test_data_contract_doc_names_every_table_and_column():
    text = render()
    for table in TABLES:
        assert f"`{table.name}`" in text
        for column in table.columns:
            assert f"`{column.name}`" in text, f"{table.name}.{column.name}"


def test_data_contract_doc_states_the_time_bounds_and_their_defaults():
    text = DOC.read_text()
    section = text[text.index("## Time bounds") : text.index("## Quarantine reasons")]
    for setting in TimeBounds.model_fields:
        assert f"`{setting}`" in section, setting
    assert "2016-01-01" in section and "1 day" in section and "`implausible_time`" in section
