# segcli — run `make help` for the list of targets.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SPARK_STAMP := $(VENV)/.installed-spark

.DEFAULT_GOAL := help
.PHONY: help install demo test lint typecheck bench sample-data clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null 2>&1 || { echo "error: $(PY) not found; set PY=/path/to/python3.11" >&2; exit 2; }
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,plot]'
	@touch $(STAMP)

install: $(STAMP) ## create .venv/ and install segcli with its dev tools and matplotlib

# PySpark (about 450 MB) only for the tests and the Spark engine: `make demo` stays light.
$(SPARK_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'
	@touch $(SPARK_STAMP)

demo: $(STAMP) ## build the VIP segment over sample_data/ into snapshots/ and show it
	$(BIN)/segcli build rules/vip.yaml sample_data/orders.parquet --lines sample_data/order_lines.parquet \
		--customers sample_data/customers.parquet --as-of 2025-01-01
	@echo "--- first rows of snapshots/vip/2025-01-01.csv:"
	@head -n 11 snapshots/vip/2025-01-01.csv
	$(BIN)/segcli verify snapshots/vip/2025-01-01.csv

test: $(SPARK_STAMP) ## run the whole test suite (the Spark engine's too: needs Java 17)
	$(BIN)/python -m pytest -q

lint: $(SPARK_STAMP) ## ruff and mypy --strict (the Spark engine is type-checked against PySpark)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy bench

typecheck: $(SPARK_STAMP) ## mypy --strict only
	$(BIN)/mypy
	$(BIN)/mypy bench

bench: $(STAMP) ## benchmark against hand-written Polars and DuckDB (SCALE=S|M|L)
	$(BIN)/python bench/run.py --scale $(or $(SCALE),S)

sample-data: $(STAMP) ## regenerate sample_data/ (deterministic)
	$(BIN)/python sample_data/generate.py

clean: ## remove the venv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
