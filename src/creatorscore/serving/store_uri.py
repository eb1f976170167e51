"""Where the online store is: `features materialize` writes there and the service reads it.

A module of its own, importing nothing, so the command line can show the default in its help
without loading the service (and pandas, LightGBM and MLflow behind it).
"""

STORE_VARIABLE = "CREATORSCORE_STORE"
# the one default of `features materialize`, `serve` and the service, and where `make demo` writes
DEFAULT_STORE = "sqlite:///data/demo-features/online_store.sqlite"
