# Shared by scripts/test and scripts/demo: find Python 3.13, create and reuse .venv at the
# repository root, install the Python and Debian packages the project needs. Sourced, not run.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO_ROOT/.venv"
# Every pip requirements file; the venv is reinstalled when any of them changes.
REQUIREMENT_FILES=("$REPO_ROOT/requirements.txt" "$REPO_ROOT/requirements_test.txt" "$REPO_ROOT/requirements_browser.txt")
[ -f "$REPO_ROOT/hardware/requirements.txt" ] && REQUIREMENT_FILES+=("$REPO_ROOT/hardware/requirements.txt")
# Debian packages (one per line, # comments) the tests need, e.g. ngspice for hardware/.
APT_FILE="$REPO_ROOT/.ci/apt-packages.txt"

find_python313() {
    local candidate
    for candidate in \
        "${MBUS_HAN_PYTHON:-}" \
        "$(command -v python3.13 2>/dev/null || true)" \
        "$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"/versions/3.13*/bin/python3.13 \
        /root/.pyenv/versions/3.13*/bin/python3.13 \
        /usr/local/bin/python3.13 /usr/bin/python3.13; do
        [ -n "$candidate" ] && [ -x "$candidate" ] || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "error: Python 3.13 not found (install it with pyenv, or set MBUS_HAN_PYTHON)" >&2
    return 1
}

# pip's output minus the noise of this machine's unused local index mirrors.
quiet_pip() {
    "$VENV/bin/python" -m pip "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

ensure_apt_packages() {
    [ -f "$APT_FILE" ] || return 0
    local missing=() package
    while read -r package || [ -n "$package" ]; do  # a last line without newline counts
        package="${package%%#*}"; package="${package//[[:space:]]/}"
        [ -n "$package" ] || continue
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done < "$APT_FILE"
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "Installing Debian packages: ${missing[*]}" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_venv() {
    local stamp="$VENV/.requirements.sha256" wanted args=()
    if [ ! -x "$VENV/bin/python" ]; then
        "$(find_python313)" -m venv "$VENV"
    fi
    wanted="$(cat "${REQUIREMENT_FILES[@]}" | sha256sum | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
        echo "Installing Python packages into $VENV ..." >&2
        quiet_pip install --quiet --upgrade pip
        for file in "${REQUIREMENT_FILES[@]}"; do args+=(-r "$file"); done
        quiet_pip install --quiet "${args[@]}"
        echo "$wanted" > "$stamp"
    fi
    ensure_apt_packages
}
