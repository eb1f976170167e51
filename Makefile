# Two commands: `make demo` and `make test`. Both create .venv on first use and reuse it after.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA ?= data/demo
FEATURES ?= data/demo-features
REPORTS ?= data/demo-reports
BROWSER := $(VENV)/.browser

.PHONY: demo test lint setup lock docs clean bench bento

setup: $(STAMP)

# Reinstall only when the dependency list or the lock changes.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/creatorscore simulate --out $(DATA)
	$(BIN)/creatorscore validate --data $(DATA)
	$(BIN)/creatorscore features build --data $(DATA) --every 7d --out $(FEATURES)/training_set.parquet
	$(BIN)/creatorscore features materialize --data $(DATA) --store sqlite:///$(FEATURES)/online_store.sqlite
	$(BIN)/creatorscore train --model abuse_risk --data $(DATA) --training-set $(FEATURES)/training_set.parquet
	$(BIN)/creatorscore train --model content_quality --data $(DATA) --training-set $(FEATURES)/training_set.parquet
	@# a rerun trains identical models, which the gate rightly refuses; the demo carries on with the champion
	-$(BIN)/creatorscore promote --model abuse_risk
	-$(BIN)/creatorscore promote --model content_quality
	$(BIN)/creatorscore score --data $(DATA) --out $(FEATURES)/scores.parquet
	$(BIN)/creatorscore policy apply --data $(DATA) --out $(FEATURES)/policy --market ID
	@echo "MLflow UI: $(BIN)/mlflow ui --backend-store-uri sqlite:///mlflow.db, then open http://127.0.0.1:5000"
	@echo "Reports (the model report is also logged with its MLflow run):"
	$(BIN)/creatorscore report model --model abuse_risk --data $(DATA) --out $(REPORTS)/model-abuse_risk.html
	$(BIN)/creatorscore report creator --data $(DATA) --top 3 --out $(REPORTS)
	@echo "Scoring service (keys: README, 'The scoring service'): CREATORSCORE_API_KEYS=KEY=governance \\"
	@echo "  $(BIN)/creatorscore serve --store sqlite:///$(FEATURES)/online_store.sqlite --data $(DATA)"

# The report-rendering tests drive Debian's chromium, never a browser playwright downloads;
# apt runs only on machines without it.
$(BROWSER): $(STAMP)
	command -v chromium >/dev/null || { $$([ "$$(id -u)" = 0 ] || echo sudo) apt-get update && \
		$$([ "$$(id -u)" = 0 ] || echo sudo) apt-get install -y --no-install-recommends chromium; }
	touch $(BROWSER)

test: $(STAMP) $(BROWSER)
	$(BIN)/ruff check src tests benchmarks serving
	$(BIN)/ruff format --check src tests benchmarks serving
	$(BIN)/python -m pytest -n 2 --dist loadgroup

docs: $(STAMP)
	$(BIN)/creatorscore contract docs --out docs/data-contract.md
	$(BIN)/creatorscore features docs --out docs/features.md

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_simulate.py
	$(BIN)/python benchmarks/bench_validate.py
	$(BIN)/python benchmarks/bench_variants.py --out data/bench-variants.md
	$(BIN)/python benchmarks/bench_variants.py --held-out --out data/bench-variants-held-out.md
	$(BIN)/python benchmarks/bench_cli.py

# Re-resolve the lock from pyproject.toml in a scratch environment.
lock:
	rm -rf /tmp/creatorscore-lock && $(PYTHON) -m venv /tmp/creatorscore-lock
	/tmp/creatorscore-lock/bin/python -m pip install --quiet '.[dev]'
	/tmp/creatorscore-lock/bin/python -m pip freeze --exclude creatorscore > constraints.txt.new
	(head -2 constraints.txt; cat constraints.txt.new) > constraints.txt.tmp && rm constraints.txt.new
	mv constraints.txt.tmp constraints.txt

clean:
	rm -rf $(VENV) data mlruns mlflow.db

# A Bento of the scoring service (serving/bentofile.yaml), in BentoML's store ($BENTOML_HOME).
bento: $(STAMP)
	serving/build_bento.sh $(BIN)/python
