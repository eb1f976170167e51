"""The published data contract is generated from the schema; drift fails here."""

from pathlib import Path

from creatorscore.contract import TABLES
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
