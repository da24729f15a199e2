#!/usr/bin/env bash
# Install the system packages Angle Mort needs (Debian/Ubuntu names).
# As root it installs them; otherwise it prints the exact sudo command and stops.
# Usage: scripts/install_system.sh [--browser]   (--browser adds chromium for the map tests)
set -euo pipefail

pg_version() {
  if command -v pg_config >/dev/null 2>&1 && pg_config --version >/dev/null 2>&1; then
    pg_config --version | sed -E 's/[^0-9]*([0-9]+).*/\1/'
  elif ls /usr/lib/postgresql/ >/dev/null 2>&1 && [ -n "$(ls /usr/lib/postgresql/)" ]; then
    ls /usr/lib/postgresql/ | sort -n | tail -1
  else
    apt-cache policy postgresql 2>/dev/null | sed -nE 's/ *Candidate: ([0-9]+).*/\1/p'
  fi
}

packages_for() {
  local pg="$1"
  echo "postgresql postgresql-contrib postgresql-${pg}-postgis-3 postgresql-${pg}-pgrouting" \
       "gdal-bin libgdal-dev libgeos-dev libproj-dev python3-venv python3-dev gettext"
}

missing_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  echo "${missing[@]:-}"
}

PG="$(pg_version || true)"
if [ -z "$PG" ]; then
  # No PostgreSQL known yet and apt lists may be empty: refresh them to learn the version.
  if [ "$(id -u)" -eq 0 ]; then apt-get update -qq; PG="$(pg_version)"; fi
fi
PG="${PG:-15}"

WANTED="$(packages_for "$PG")"
if [ "${1:-}" = "--browser" ]; then WANTED="$WANTED chromium fonts-dejavu-core"; fi
# shellcheck disable=SC2086
MISSING="$(missing_packages $WANTED)"
if [ -z "${MISSING// /}" ]; then
  echo "System packages: all present (PostgreSQL $PG with PostGIS and pgRouting)."
  exit 0
fi

CMD="apt-get install -y --no-install-recommends $MISSING"
if [ "$(id -u)" -ne 0 ]; then
  echo "Angle Mort needs these system packages, which only root can install:" >&2
  echo "  sudo apt-get update && sudo $CMD" >&2
  exit 1
fi
echo "Installing: $MISSING"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $MISSING >/dev/null
echo "System packages installed."
