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
	$(BIN)/python manage.py seed_demo --host $(HOST) --port $(PORT)
	trap 'kill 0' INT TERM EXIT; \
	$(BIN)/python manage.py run_scoring_worker & \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The suite runs in parallel (pytest-xdist), each worker on a test database of its own; a test module
# stays on one worker, with its module fixtures, its Redis database and the processes it starts. Modules are
# handed out in the order tests/conftest.py sets: the long-running ones first, then the most tests first.
# TEST_WORKERS=0 runs it in this process.
TEST_WORKERS ?= auto
test: $(INSTALLED)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

# Access-engine timings and query counts, then the engine against django-guardian on worlds of 10k and
# 1M grants (rolled back afterwards); logs inserted, fetched and scored per second, with and without an
# online-scoring rule; GET /v1/project and /v1/experiment under gunicorn with and without access control,
# in an organization of its own and again among 10k and 1M grant rows more (each a throwaway organization
# deleted afterwards). Every comparison is a ratio from one run.
BENCH_ARGS ?= --objects 10000 --depth 10 --grants 10000 --grants 1000000
BENCH_LOGS_ARGS ?= --rows 20000 --batch 500
BENCH_API_ARGS ?= --projects 200 --experiments 2000 --rounds 10 --requests 400 --concurrency 4
bench: $(INSTALLED)
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py bench_access $(BENCH_ARGS)
	$(BIN)/python manage.py bench_logs $(BENCH_LOGS_ARGS)
	$(BIN)/python manage.py bench_api $(BENCH_API_ARGS)
	$(BIN)/python manage.py bench_api $(BENCH_API_ARGS) --grants 10000
	$(BIN)/python manage.py bench_api $(BENCH_API_ARGS) --grants 1000000

# A long schemathesis pass over every /v1 operation against a live server, on SQLite then on PostgreSQL.
FUZZ_EXAMPLES ?= 200
FUZZ_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
fuzz: $(INSTALLED)
	FUZZ_LIVE=1 FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/api/test_fuzz.py -q
	FUZZ_LIVE=1 FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) DATABASE_URL=$(FUZZ_POSTGRES_URL) $(BIN)/python -m pytest tests/api/test_fuzz.py -q

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
