# shellcheck shell=bash
# Make `uv` available without touching the system Python (PEP 668 "externally managed"
# Pythons refuse `pip install` outside a virtualenv: Debian 12, Ubuntu 23.04+, Homebrew).
#
#   1. `uv` on PATH: use it.
#   2. else a private virtualenv, $OSSIT_TOOLS_DIR/uv-venv (default .tools/uv-venv in the
#      repository, git-ignored by its own .gitignore), made with `python3 -m venv`, with uv
#      installed by the venv's own pip; reused on later runs.
#   3. `python3 -m venv` unavailable (Debian without python3-venv): one line saying what to
#      install, and a non-zero status.
#
# Sourced by scripts/quickstart and scripts/test (call `ossit_bootstrap_uv`; on success `uv` is
# on PATH); run on its own (`bash scripts/lib/bootstrap.sh`) it prints the path of the uv it
# found or installed.

OSSIT_UV_HELP="https://docs.astral.sh/uv/getting-started/installation/"

_ossit_bootstrap_fail() {
    printf 'bootstrap: %s\n' "$*" >&2
    return 1
}

ossit_bootstrap_uv() {
    if command -v uv >/dev/null 2>&1; then
        return 0
    fi
    local root tools venv log created=""
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    tools=${OSSIT_TOOLS_DIR:-$root/.tools}
    venv=$tools/uv-venv
    log=$tools/bootstrap.log

    if [[ -x "$venv/bin/uv" ]] && "$venv/bin/uv" --version >/dev/null 2>&1; then
        PATH="$venv/bin:$PATH"
        export PATH
        return 0
    fi
    command -v python3 >/dev/null 2>&1 \
        || _ossit_bootstrap_fail "neither uv nor python3 found: install Python 3.11, or install uv ($OSSIT_UV_HELP)" \
        || return 1

    mkdir -p "$tools" || _ossit_bootstrap_fail "cannot create $tools" || return 1
    [[ -e "$tools/.gitignore" ]] || printf '*\n' >"$tools/.gitignore"
    printf 'bootstrap: uv not found; installing it into a private virtualenv, %s (the system Python is left alone)\n' \
        "$venv" >&2
    [[ -e "$venv" ]] || created=1
    if ! python3 -m venv "$venv" >"$log" 2>&1; then
        # Debian's venv leaves a half-made directory behind when ensurepip is missing.
        [[ -z "$created" ]] || rm -rf "$venv"
        _ossit_bootstrap_fail "\`python3 -m venv\` does not work here: install the venv module (Debian/Ubuntu: apt-get install python3-venv), or install uv yourself ($OSSIT_UV_HELP); details in $log"
        return 1
    fi
    if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check uv >>"$log" 2>&1 \
        || ! "$venv/bin/uv" --version >/dev/null 2>&1; then
        _ossit_bootstrap_fail "could not install uv into $venv with pip (no network to PyPI?); install uv yourself ($OSSIT_UV_HELP); details in $log"
        return 1
    fi
    PATH="$venv/bin:$PATH"
    export PATH
}

# Run on its own: bootstrap, then print where uv is.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    ossit_bootstrap_uv || exit 1
    command -v uv
fi
