# Angle Mort: the two commands are `make demo` and `make test`.
# Both install what they need (system packages as root, a virtualenv, the database).

VENV     ?= .venv
PYTHON   ?= python3
PY       := $(VENV)/bin/python
PIP      := $(VENV)/bin/pip
MANAGE   := $(PY) manage.py
HOST     ?= 127.0.0.1
PORT     ?= 8000
DEMO_PBF ?= fixtures/helsinki.osm.pbf
PYTEST_ARGS ?=
BENCH_ARGS ?=

export PGOPTIONS := --client-min-messages=warning

.PHONY: demo test setup system system-test db venv secret migrate load-demo serve lint bench migrations clean

## demo: install everything, load the Helsinki extract and serve http://127.0.0.1:8000/
demo: setup secret migrate load-demo
	$(MANAGE) collectstatic --noinput -v 0
	$(MANAGE) create_demo_admin --site http://$(HOST):$(PORT)
	@echo "Serving Angle Mort at http://$(HOST):$(PORT)/ (Ctrl-C stops it)"
	$(VENV)/bin/gunicorn config.wsgi:application --bind $(HOST):$(PORT) --workers 3 --timeout 300 \
		--access-logformat '%(m)s %(U)s %(s)s %(b)s %(M)sms' --access-logfile -

## test: install what the tests need (browser included) and run the whole suite
test: system-test venv db
	$(VENV)/bin/ruff check .
	ANGLEMORT_TESTING=1 $(MANAGE) makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_ARGS)

setup: system venv db

system:
	bash scripts/install_system.sh

system-test:
	bash scripts/install_system.sh --browser

db:
	bash scripts/setup_db.sh

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev]'
	touch $@

secret:
	@test -s .secret_key || ($(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > .secret_key && chmod 600 .secret_key && echo "Wrote a new local secret key to .secret_key")

migrate: venv
	$(MANAGE) migrate --noinput -v 0

load-demo:
	$(MANAGE) load_demo --file $(DEMO_PBF)

serve:
	$(VENV)/bin/gunicorn config.wsgi:application --bind $(HOST):$(PORT) --workers 3

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## bench: the benchmark suite (not part of make test); writes docs/benchmarks.md
## (BENCH_ARGS=--quick for a small run; it uses its own databases anglemort_bench*)
bench: setup secret migrate
	$(MANAGE) bench $(BENCH_ARGS)

## migrations: regenerate the model migration (the project has no deployed data yet)
migrations:
	rm -f mapping/migrations/0002_models.py
	ANGLEMORT_TESTING=1 $(MANAGE) makemigrations mapping --name models

clean:
	rm -rf var/staticfiles .pytest_cache
