"""The data contract: its schema, and the one loader every command reads data through."""

from creatorscore.contract.read import load_marketplace, read_tables
from creatorscore.contract.schema import TABLES, TABLES_BY_NAME, Kind, Reason, TimeBounds
from creatorscore.contract.validate import TableSummary, Validated, validate

__all__ = [
    "TABLES",
    "TABLES_BY_NAME",
    "Kind",
    "Reason",
    "TableSummary",
    "TimeBounds",
    "Validated",
    "load_marketplace",
    "read_tables",
    "validate",
]
