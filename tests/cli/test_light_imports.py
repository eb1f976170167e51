"""The command line starts light: `--help` loads no model, data or serving library.

Checked on what a fresh process has imported, not on a timing: timings belong to
benchmarks/bench_cli.py, and a heavy import is a fact whatever the machine's load.
"""

from __future__ import annotations

import ast
import graphlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import creatorscore.cli

HEAVY = {"lightgbm", "mlflow", "bentoml", "sklearn", "duckdb", "pandas", "numpy", "pyarrow", "scipy", "shap"}
CLI_DIR = Path(creatorscore.cli.__file__).parent

# runs the real entry point, then reports what it imported when it exits (help exits with code 0)
_REPORT_MODULES = """
import atexit, json, sys
atexit.register(lambda: print(json.dumps(sorted(sys.modules))))
sys.argv = ["creatorscore", *json.loads(sys.argv[1])]
from creatorscore.cli.main import main
main()
"""


def _imported_by(args: list[str]) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", _REPORT_MODULES, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.splitlines()[-1]))


@pytest.mark.parametrize("args", [["--help"], ["simulate", "--help"], ["train", "--help"]])
def test_help_loads_no_model_data_or_serving_library(args):
    imported = _imported_by(args)
    assert {name.split(".")[0] for name in imported} & HEAVY == set()
    stages = ("creatorscore.training.", "creatorscore.features.", "creatorscore.serving.scoring_service")
    assert [name for name in imported if name.startswith(stages)] == []


def _cli_imports(path: Path) -> dict[str, list[str]]:
    """The cli modules one cli module imports, with the names it takes from each."""
    taken: dict[str, list[str]] = {}
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith("creatorscore.cli"):
            continue
        if node.module == "creatorscore.cli":  # `from creatorscore.cli import data, models`
            for alias in node.names:
                taken.setdefault(alias.name, [])
        else:
            taken.setdefault(node.module.removeprefix("creatorscore.cli."), []).extend(
                alias.name for alias in node.names
            )
    return taken


def test_cli_modules_share_only_public_names_and_import_in_no_cycle():
    graph = {path.stem: _cli_imports(path) for path in CLI_DIR.glob("*.py")}
    private = {
        module: [name for names in imported.values() for name in names if name.startswith("_")]
        for module, imported in graph.items()
    }
    assert {module: names for module, names in private.items() if names} == {}
    graphlib.TopologicalSorter({module: set(imported) for module, imported in graph.items()}).prepare()
