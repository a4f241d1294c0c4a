#!/usr/bin/env bash
# Sourced by every scripts/* entry point: installs what is missing (Debian packages, the project
# virtualenv and its pinned packages), then leaves $PY pointing at the venv's python.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$REPO_ROOT/.venv"
PY="$VENV/bin/python"
export PYTHONPATH="$REPO_ROOT:$REPO_ROOT/nifi/python-processors${PYTHONPATH:+:$PYTHONPATH}"

log() { printf '[setup] %s\n' "$*" >&2; }

ensure_debian_packages() {
  local missing=()
  while read -r pkg; do
    [[ -z "$pkg" || "$pkg" == \#* ]] && continue
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done < "$REPO_ROOT/requirements/debian.txt"
  if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    local sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

ensure_venv() {
  local stamp="$VENV/.requirements.sha256" want
  want=$(cat "$REPO_ROOT"/requirements/*.txt | sha256sum | cut -d' ' -f1)
  if [[ -x "$PY" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return
  fi
  if [[ ! -x "$PY" ]]; then
    log "creating the project virtualenv in .venv"
    python3 -m venv "$VENV"
  fi
  log "installing pinned Python packages"
  "$PY" -m pip install -q --disable-pip-version-check --upgrade pip
  # Build tools first: pesq is an sdist built without isolation, against our pinned numpy.
  "$PY" -m pip install -q --disable-pip-version-check -r "$REPO_ROOT/requirements/build.txt" numpy \
    -c "$REPO_ROOT/requirements/processors.txt"
  "$PY" -m pip install -q --disable-pip-version-check --no-build-isolation -r "$REPO_ROOT/requirements/dev.txt"
  echo "$want" > "$stamp"
}

ensure_debian_packages
ensure_venv
