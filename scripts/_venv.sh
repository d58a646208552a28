# Shared by scripts/test and scripts/demo: find the Pythons, create and reuse the virtual
# environments at the repository root, install the Python and Debian packages the project needs.
# Sourced, not run.
#   .venv        Python 3.13, Home Assistant 2025.4.4 (our declared minimum) for the tests
#   .venv-py314  Python 3.14, the newest Home Assistant pytest-homeassistant-custom-component pins
#   .venv-hass   Python 3.14, the newest Home Assistant release as a real server (scripts/demo)
# Python 3.14 is the machine's own, or built from Debian's binary packages (_python314.sh).
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO_ROOT/scripts/_python314.sh"
VENV="$REPO_ROOT/.venv"
VENV_NEWEST="$REPO_ROOT/.venv-py314"
VENV_HASS="$REPO_ROOT/.venv-hass"
# Every pip requirements file of each venv; a venv is reinstalled when any of its files changes.
_requirements() {
    local file
    for file in "$@"; do echo "$REPO_ROOT/$file"; done
    [ -f "$REPO_ROOT/hardware/requirements.txt" ] && echo "$REPO_ROOT/hardware/requirements.txt"
    return 0
}
mapfile -t REQUIREMENT_FILES < <(_requirements requirements.txt requirements_dev.txt \
    requirements_test.txt requirements_browser.txt)
mapfile -t REQUIREMENT_FILES_NEWEST < <(_requirements requirements.txt requirements_dev.txt \
    requirements_test_newest.txt requirements_browser.txt)
REQUIREMENT_FILES_HASS=("$REPO_ROOT/requirements.txt" "$REPO_ROOT/requirements_hass.txt")
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
    local venv="$1"
    shift
    "$venv/bin/python" -m pip "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
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

# _ensure_venv DIR PYTHON REQUIREMENT_FILE...: create DIR with PYTHON if missing, (re)install the
# requirements when they changed (a stamp holds their hash), never otherwise.
_ensure_venv() {
    local venv="$1" python="$2" stamp wanted args=() file wheel
    shift 2
    stamp="$venv/.requirements.sha256"
    if [ ! -x "$venv/bin/python" ]; then
        wheel="$(python314_pip_wheel)"
        if [[ "$python" == "$PY314_BIN" && -n "$wheel" ]]; then
            # Debian's ensurepip pip is too old for 3.14: bootstrap pip from sid's pip wheel.
            "$python" -m venv --without-pip "$venv"
            "$venv/bin/python" "$wheel/pip" install --quiet "$wheel" \
                2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
        else
            "$python" -m venv "$venv"
        fi
    fi
    wanted="$(cat "$@" | sha256sum | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
        echo "Installing Python packages into $venv ..." >&2
        quiet_pip "$venv" install --quiet --upgrade pip
        for file in "$@"; do args+=(-r "$file"); done
        if [[ "$python" == "$PY314_BIN" ]]; then
            # A requirement without a wheel for 3.14 compiles against the prefix's headers; C++
            # extensions (pymicro-vad, pyspeex-noise) take CXXFLAGS, not CFLAGS, from setuptools.
            CFLAGS="$(python314_cflags)" CXXFLAGS="$(python314_cflags)" \
                quiet_pip "$venv" install --quiet "${args[@]}"
        else
            quiet_pip "$venv" install --quiet "${args[@]}"
        fi
        echo "$wanted" > "$stamp"
    fi
}

# .venv: Home Assistant 2025.4.4 on Python 3.13.
ensure_venv() {
    ensure_apt_packages
    _ensure_venv "$VENV" "$(find_python313)" "${REQUIREMENT_FILES[@]}"
}

# .venv-py314: the newest Home Assistant that pytest-homeassistant-custom-component pins.
ensure_venv_newest() {
    ensure_apt_packages
    _ensure_venv "$VENV_NEWEST" "$(python314)" "${REQUIREMENT_FILES_NEWEST[@]}"
}

# .venv-hass: the newest Home Assistant release, run as a server by the demo.
ensure_venv_hass() {
    ensure_apt_packages
    _ensure_venv "$VENV_HASS" "$(python314)" "${REQUIREMENT_FILES_HASS[@]}"
}
