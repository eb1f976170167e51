"""Loading the service's models leaves the process environment as it found it."""

from __future__ import annotations

import os
import subprocess
import sys

LOAD_AND_COMPARE = """
import os
from creatorscore.errors import UserError
from creatorscore.serving.model_source import load_models

before = dict(os.environ)
try:
    load_models("sqlite:///{store}")
except UserError as error:
    print("refused:", error)
print("environment unchanged" if dict(os.environ) == before else "environment changed")
"""


def test_loading_models_writes_nothing_into_the_environment(tmp_path):
    """The MLflow settings a service runs with are the edge's to set (`creatorscore serve`), not
    a library function's: a registry with no champion and no kept copies changes no variable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    script = LOAD_AND_COMPARE.format(store=tmp_path / "empty.db")
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**env, "BENTOML_HOME": str(tmp_path / "bentoml")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "refused: cannot load champions" in done.stdout, done.stderr[-2000:]
    assert "environment unchanged" in done.stdout
