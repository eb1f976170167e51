"""Where the online store is: `features materialize` writes there and the service reads it.

A module of its own, importing nothing, so the command line can show the default in its help
without loading the service (and pandas, LightGBM and MLflow behind it).
"""

STORE_VARIABLE = "CREATORSCORE_STORE"
DEFAULT_STORE = "sqlite:///feature_store.sqlite"  # where `features materialize` writes by default
