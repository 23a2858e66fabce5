# Two commands a newcomer needs: `make run` and `make test`. Each installs what it needs
# into a local virtual environment first (only python3 >= 3.11, pip and make required).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# helm for the chart tests and `make lint`, built from its Go module (needs Go; cached)
HELM   := .cache/bin/helm

.PHONY: run test test-all bench lint lint-python install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## run scrubber on its embedded default config (OTLP on localhost:4317/4318, output under data/)
run: $(STAMP)
	$(VENV)/bin/scrubber run --data-dir data

## the lint and type gate, then the whole default test suite (long soak/load runs are marked
## `slow` and excluded)
test: $(STAMP) lint
	$(PY) -m pytest -q

test-all: $(STAMP) lint
	$(PY) -m pytest -q -m ''

$(HELM): deploy/install-helm.sh
	deploy/install-helm.sh >/dev/null

## ruff (style, import order, likely bugs) and mypy (types); their settings are in pyproject.toml
lint-python: $(STAMP)
	$(VENV)/bin/ruff check scrubber tests benchmarks
	$(VENV)/bin/mypy

## every linter: Python, the Dockerfile, the Helm chart (as `make test` runs them)
lint: lint-python $(HELM)
	$(VENV)/bin/hadolint Dockerfile
	for region in eu in us; do \
	  $(HELM) lint --strict deploy/helm/scrubber -f deploy/helm/scrubber/examples/values-$$region.yaml || exit 1; \
	done

clean:
	rm -rf $(VENV) data build *.egg-info .cache
