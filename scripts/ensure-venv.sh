#!/usr/bin/env bash
# Create .venv and install requirements-dev.txt into it.
#
# The install is skipped while the stamp file .venv/.requirements-installed is
# newer than both requirements files, so repeated `make run` / `make test`
# cost nothing; editing either requirements file triggers a reinstall.
#
# Environment: PYTHON (default python3) picks the interpreter for a new venv.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=$ROOT/.venv
STAMP=$VENV/.requirements-installed
PYTHON=${PYTHON:-python3}

log() { printf '[venv] %s\n' "$*" >&2; }

up_to_date() {
  [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] &&
    [ "$STAMP" -nt "$ROOT/requirements.txt" ] &&
    [ "$STAMP" -nt "$ROOT/requirements-dev.txt" ]
}

up_to_date && exit 0

# `make run` and `make test` may start at the same moment (they are meant to
# run side by side); serialise the install so two pips never write one venv.
mkdir -p "$ROOT/var"
exec 8>"$ROOT/var/venv.lock"
flock 8
up_to_date && exit 0

if [ ! -x "$VENV/bin/python" ]; then
  log "creating $VENV with $PYTHON"
  if ! "$PYTHON" -m venv "$VENV"; then
    # Debian's python3 ships venv/ensurepip separately (python3-venv).
    log "python3 -m venv failed; installing python3-venv"
    rm -rf "$VENV"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=300 python3-venv
    "$PYTHON" -m venv "$VENV"
  fi
fi

log "installing requirements-dev.txt"
# Playwright is used with the system Chromium only; make sure nothing in the
# install path ever fetches browsers.
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$ROOT/requirements-dev.txt"
touch "$STAMP"
log "ready"
