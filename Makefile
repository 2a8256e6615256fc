# Two commands on a fresh machine:  `make book`  and  `make test`.
# Each bootstraps .venv from the hashed lock (uv.lock) and is idempotent.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
SYNCED := $(VENV)/.synced-$(shell cat uv.lock pyproject.toml | sha256sum | cut -c1-16)
DEMO := build/demo-data
SEED ?= 2024
SCALE ?= 1
AREA ?= county
export UV_PYTHON_DOWNLOADS := never
export PYTHONDONTWRITEBYTECODE :=

.PHONY: help env book book-all demo-data test bench clean lock lab

help:
	@echo "make book   - build the demo county SNA book into book/_build/html"
	@echo "make test   - run the test suite"
	@echo "make bench  - run the build benchmark (benchmarks/)"
	@echo "make lab    - open the section notebooks (MyST Markdown) in JupyterLab on the demo data"

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

$(SYNCED): uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --all-extras --compile-bytecode
	rm -f $(VENV)/.synced-* && touch $@

env: $(SYNCED)

$(DEMO)/config.yaml: $(SYNCED)
	$(VENV)/bin/sna demo-data --out $(DEMO) --seed $(SEED) --scale $(SCALE)

demo-data: $(DEMO)/config.yaml

book: $(DEMO)/config.yaml
	$(VENV)/bin/sna build --data $(DEMO) --area $(AREA)
	@echo "Book: book/_build/html/index.html"

book-all: $(DEMO)/config.yaml
	$(VENV)/bin/sna build --data $(DEMO) --area all

test: $(SYNCED)
	-bash scripts/ensure-chromium.sh
	$(VENV)/bin/python -m pytest -n 2 --dist loadgroup

# JupyterLab opens the MyST notebooks (.md) as notebooks (jupytext viewer by default, lab/overrides.json).
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json
$(LAB_SETTINGS): lab/overrides.json $(SYNCED)
	mkdir -p $(dir $@) && cp lab/overrides.json $@

lab: $(DEMO)/config.yaml $(LAB_SETTINGS)
	SNA_DATA_DIR=$(abspath $(DEMO)) $(VENV)/bin/jupyter lab notebooks/

bench: $(DEMO)/config.yaml
	$(VENV)/bin/python benchmarks/build_benchmark.py --data $(DEMO)

clean:
	rm -rf build book/_build .pytest_cache

# After changing dependencies in pyproject.toml: refresh uv.lock and its hashed pip export.
lock: | $(UV)
	$(UV) lock
	$(UV) export --frozen --all-extras --no-emit-project --format requirements-txt -o requirements.lock.txt -q
