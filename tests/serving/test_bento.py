"""`bentoml build` turns serving/ into a Bento holding the service, the package and its definitions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_the_bento_carries_the_service_the_wheel_and_the_feature_definitions(tmp_path):
    env = {**os.environ, "BENTOML_HOME": str(tmp_path)}
    built = subprocess.run(
        [str(ROOT / "serving" / "build_bento.sh"), sys.executable], env=env, capture_output=True, text=True
    )
    assert built.returncode == 0, built.stderr[-2000:]
    tag = built.stdout.strip().splitlines()[-1].removeprefix("__tag__:")
    name, version = tag.split(":")
    bento = tmp_path / "bentos" / name / version
    manifest = yaml.safe_load((bento / "bento.yaml").read_text())
    assert manifest["service"] == "service:CreatorScore"
    assert {api["name"] for api in manifest["schema"]["routes"]} >= {"score", "explain", "score_features"}
    assert (bento / "src" / "service.py").is_file()
    assert sorted(p.name for p in (bento / "src" / "build" / "features").glob("*.yaml")) == sorted(
        p.name for p in (ROOT / "features").glob("*.yaml")
    )
    assert list((bento / "env" / "python" / "wheels").glob("creatorscore-*.whl"))
