#!/usr/bin/env bash
# Build the creatorscore Bento: stage the package wheel, the feature definitions and the pinned
# versions in serving/build/ (generated), then `bentoml build` with serving/bentofile.yaml.
# Usage: serving/build_bento.sh [PYTHON]   (default .venv/bin/python); BENTOML_HOME picks the store.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${1:-$root/.venv/bin/python}"
stage="$root/serving/build"
rm -rf "$stage" && mkdir -p "$stage"
"$python" -m pip wheel --quiet --no-deps -w "$stage" "$root"
cp -r "$root/features" "$stage/features"
cp "$root/constraints.txt" "$stage/constraints.txt"
cd "$root/serving" && "$python" -m bentoml build --output tag .
