# Two commands matter: `make run` (start the bot on its embedded default) and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: install run test lint fmt bench bench-telegram mutants mutants-changed clean

$(BIN)/canhgiac: pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Cần Python 3.11 ($(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	@touch $@

install: $(BIN)/canhgiac

run: install
	$(BIN)/canhgiac serve

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -q

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python bench/check_quality.py
	$(BIN)/python bench/check_speed.py

mutants: install  # every deliberate bug of tests/mutation/mutants.toml, one at a time (tens of minutes)
	$(BIN)/python -m tests.mutation.run

MUTANTS_BASE ?= HEAD~1
mutants-changed: install  # only the mutants whose module, tests or entry changed since $(MUTANTS_BASE)
	$(BIN)/python -m tests.mutation.run --changed-since $(MUTANTS_BASE) --no-baseline

bench-telegram: install  # a few minutes; PostgreSQL from CANHGIAC_TEST_POSTGRES_URL
	$(BIN)/python bench/telegram_webhook.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
