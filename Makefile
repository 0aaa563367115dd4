# The two commands a newcomer needs: `make demo` and `make test`.
# `make demo` installs what running needs (scripts/setup.sh run); `make test` adds what testing
# needs (scripts/setup.sh test: the [dev] extras, Java, Chromium, ...) to the same .venv.
VENV := .venv
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
DEPS := pyproject.toml scripts/setup.sh src/tasman/serve/frontend/package-lock.json

# pytest's workers for `make test` (pytest-xdist; docs/development.md, "The test run"):
# `make test PYTEST_WORKERS=0` runs the suite in one process
PYTEST_WORKERS ?= 2

.PHONY: demo test lint bench setup setup-test clean

$(RUN_STAMP): $(DEPS)
	bash scripts/setup.sh run

$(TEST_STAMP): $(DEPS)
	bash scripts/setup.sh test
	touch $(RUN_STAMP)

setup: $(RUN_STAMP)

setup-test: $(TEST_STAMP)

demo: $(RUN_STAMP)
	$(VENV)/bin/tasman demo demo-out

test: $(TEST_STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(VENV)/bin/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) demo-out .pytest_cache .mypy_cache .ruff_cache
