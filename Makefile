# Two commands matter: `make run` and `make test`. Both create the virtual environment when needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test bench fuzz lint format check install clean

$(INSTALLED): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(INSTALLED)

install: $(INSTALLED)

# The web server and the built-in online-scoring worker; Ctrl-C stops both.
run: $(INSTALLED)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	trap 'kill 0' INT TERM EXIT; \
	$(BIN)/python manage.py run_scoring_worker & \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(INSTALLED)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Access-engine timings and query counts (rolled back afterwards), then logs inserted, fetched and
# scored per second (in a throwaway organization deleted afterwards).
BENCH_ARGS ?= --objects 10000 --depth 10
BENCH_LOGS_ARGS ?= --rows 20000 --batch 500
bench: $(INSTALLED)
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py bench_access $(BENCH_ARGS)
	$(BIN)/python manage.py bench_logs $(BENCH_LOGS_ARGS)

# A long schemathesis pass over every /v1 operation against a live server, on SQLite then on PostgreSQL.
FUZZ_EXAMPLES ?= 200
FUZZ_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
fuzz: $(INSTALLED)
	FUZZ_LIVE=1 FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/test_api_fuzz.py -q
	FUZZ_LIVE=1 FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) DATABASE_URL=$(FUZZ_POSTGRES_URL) $(BIN)/python -m pytest tests/test_api_fuzz.py -q

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: $(INSTALLED)
	$(BIN)/python manage.py check --fail-level WARNING
	$(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis db.sqlite3
