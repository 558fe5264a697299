# Local development entry points. Everything they start lives under var/
# (git-ignored); see scripts/stack.sh for what each profile starts and the
# environment it exports.
#
#   make run    private Postgres + SeaweedFS (var/run/), migrate, seed demo
#               data, one publish worker and the monitor beside runserver on
#               $(RUNSERVER_ADDR);
#               Ctrl-C stops everything
#   make test   same stack on other ports (var/test/), plus Chromium; runs
#               pytest $(PYTEST_ARGS), then stops the stack
#   make lint   ruff check ., then lint-imports (the layering contracts in
#               pyproject.toml)
#   make bench  datasets of 10k and 1M videos (var/bench/, kept), gunicorn,
#               timed pages beside a stock admin, saves, review next, publish
#               workers; prints the table and writes docs/benchmarks.md.
#               $(BENCH_ARGS), e.g. BENCH_ARGS="--sizes S --requests 5"
#
# Set DATABASE_URL or S3_ENDPOINT_URL (+ S3_* credentials) to use existing
# services instead of the private ones.

SHELL := /bin/bash
PYTEST_ARGS ?=
BENCH_ARGS ?=
RUNSERVER_ADDR ?= 127.0.0.1:8000

.PHONY: run test lint bench venv smoke services-run services-test services-bench clean-var

# The worker and the monitor stop on Ctrl-C (SIGINT) like runserver; the trap
# also stops them when runserver exits otherwise, and waits, so the services
# outlive them.
run:
	scripts/stack.sh run -- sh -c '\
	  .venv/bin/python manage.py migrate --noinput && \
	  .venv/bin/python manage.py seed_demo || exit; \
	  .venv/bin/python manage.py publish_worker & worker=$$!; \
	  .venv/bin/python manage.py monitor & monitor=$$!; \
	  trap "kill $$worker $$monitor 2>/dev/null; wait $$worker $$monitor" EXIT INT TERM; \
	  .venv/bin/python manage.py runserver $(RUNSERVER_ADDR)'

# Note: make reports any failure as exit status 2; scripts/stack.sh itself
# exits with pytest's own status.
test:
	scripts/stack.sh test -- .venv/bin/pytest $(PYTEST_ARGS)

lint: venv
	.venv/bin/ruff check .
	.venv/bin/lint-imports

# Takes a while the first time (building 1M videos); `python -m bench --help`.
bench:
	scripts/stack.sh bench -- .venv/bin/python -m bench $(BENCH_ARGS)

venv:
	scripts/ensure-venv.sh

# Check the test stack itself: Postgres reachable, S3 refuses anonymous and
# tampered requests, accepts signed and presigned ones.
smoke:
	scripts/stack.sh test -- .venv/bin/python scripts/smoke.py

# Only the services, until Ctrl-C (then `source var/<profile>/env.sh` elsewhere).
services-run:
	scripts/stack.sh run
services-test:
	scripts/stack.sh test
services-bench:
	scripts/stack.sh bench

# Delete all local stack data (refuses while a session is running).
clean-var:
	@for lock in var/*/stack.lock; do \
	  [ -e "$$lock" ] || continue; \
	  flock -n "$$lock" true || { echo "$$lock is held: stop that session first" >&2; exit 1; }; \
	done
	rm -rf var/
