# Python 3.14 for a Debian 12 machine that has none: Debian sid's binary packages unpacked into a
# private prefix (.cache/python3.14/prefix), the interpreter pointed at the prefix's own loader and
# libraries. Nothing is installed into the system: apt runs with a private configuration and state
# (sid only, in .cache/python3.14/apt), is used only to download, and dpkg only unpacks.
# Sourced by scripts/_venv.sh, not run; `python314` prints the interpreter's path.
# Idempotent: the prefix is rebuilt only when this file, the package list or its path changed.

PY314_CACHE="$REPO_ROOT/.cache/python3.14"
PY314_PREFIX="$PY314_CACHE/prefix"
PY314_BIN="$PY314_PREFIX/usr/bin/python3.14"
PY314_LIBDIR="$PY314_PREFIX/usr/lib/x86_64-linux-gnu"
# The interpreter, its loader and C library, and every shared library that it and its extension
# modules load (the check below fails when one is missing); its C headers, for the few
# requirements that come only as source (python314_cflags); pip's wheel for bootstrapping venvs.
PY314_PACKAGES=(
    python3.14 python3.14-minimal libpython3.14-minimal libpython3.14-stdlib
    python3.14-dev libpython3.14-dev
    libc6 libgcc-s1 libstdc++6 libssl3t64 libexpat1 zlib1g libbz2-1.0 libdb5.3t64 libffi8
    liblzma5 libncursesw6 libtinfo6 libreadline8t64 libsqlite3-0 libuuid1 libzstd1 libmpdec4
    python3-pip-whl
)

# Print the path of a Python 3.14: the machine's own if it has one, else our prefix (built once).
python314() {
    local candidate
    for candidate in "${MBUS_HAN_PYTHON314:-}" "$(command -v python3.14 2>/dev/null || true)" \
        "$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"/versions/3.14*/bin/python3.14; do
        [ -n "$candidate" ] && [ -x "$candidate" ] || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 14))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    _py314_build_prefix >&2
    echo "$PY314_BIN"
}

# Compiler flags for building a C extension against the prefix: Debian's Python.h includes its
# pyconfig.h by multiarch path (<x86_64-linux-gnu/python3.14/pyconfig.h>), found under usr/include.
python314_cflags() {
    echo "-I$PY314_PREFIX/usr/include"
}

# The pip wheel that comes with the prefix (Debian's ensurepip pip is too old for 3.14), if any.
python314_pip_wheel() {
    compgen -G "$PY314_PREFIX/usr/share/python-wheels/pip-*.whl" | head -n 1 || true
}

_py314_stamp() {
    { cat "${BASH_SOURCE[0]}"; echo "$PY314_PREFIX"; } | sha256sum | cut -d' ' -f1
}

_py314_build_prefix() {
    local stamp_file="$PY314_CACHE/prefix.sha256" wanted
    wanted="$(_py314_stamp)"
    if [ "$(cat "$stamp_file" 2>/dev/null)" = "$wanted" ] && [ -x "$PY314_BIN" ]; then
        return 0
    fi
    [ "$(dpkg --print-architecture)" = amd64 ] || { echo "error: Python 3.14 prefix: amd64 only" >&2; return 1; }
    command -v patchelf >/dev/null || { echo "error: patchelf is missing (.ci/apt-packages.txt)" >&2; return 1; }
    echo "Building Python 3.14 from Debian sid's binary packages in $PY314_PREFIX ..." >&2
    _py314_refuse_system_sid_libc
    local apt_dir="$PY314_CACHE/apt" mirror
    mirror="$(_py314_debian_mirror)"
    rm -rf "$apt_dir" "$PY314_PREFIX" "$stamp_file"
    mkdir -p "$apt_dir"/{lists/partial,cache/archives/partial,sources.list.d,preferences.d,debs} "$PY314_PREFIX"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror sid main" \
        > "$apt_dir/sources.list"
    # A configuration of its own: only sid, its own lists and cache, an empty dpkg status (so apt
    # never consults or changes what the system has installed).
    cat > "$apt_dir/apt.conf" <<EOF
Dir::Etc::SourceList "$apt_dir/sources.list";
Dir::Etc::SourceParts "$apt_dir/sources.list.d";
Dir::Etc::Preferences "$apt_dir/preferences";
Dir::Etc::PreferencesParts "$apt_dir/preferences.d";
Dir::State::Lists "$apt_dir/lists";
Dir::State::status "/dev/null";
Dir::Cache "$apt_dir/cache";
APT::Architecture "amd64";
APT::Architectures "amd64";
Acquire::Languages "none";
APT::Sandbox::User "root";
EOF
    APT_CONFIG="$apt_dir/apt.conf" apt-get update -qq
    (cd "$apt_dir/debs" && APT_CONFIG="$apt_dir/apt.conf" apt-get download -qq "${PY314_PACKAGES[@]}")
    local deb
    for deb in "$apt_dir"/debs/*.deb; do dpkg-deb -x "$deb" "$PY314_PREFIX"; done
    # The absolute loader path is why a moved checkout rebuilds (the stamp includes the path).
    # DT_RPATH (not RUNPATH) so that it also serves the extension modules the interpreter dlopens.
    patchelf --set-interpreter "$PY314_LIBDIR/ld-linux-x86-64.so.2" \
        --force-rpath --set-rpath '$ORIGIN/../lib/x86_64-linux-gnu' "$PY314_BIN"
    _py314_check_elves
    "$PY314_BIN" -c 'import ssl, sqlite3, ctypes, decimal, lzma, bz2, zlib, uuid, hashlib, pyexpat, readline, _zstd'
    rm -rf "$apt_dir/debs" "$apt_dir/cache"
    echo "$wanted" > "$stamp_file"
    echo "Python 3.14 ready: $("$PY314_BIN" --version)" >&2
}

# The system's Debian mirror (the one its bookworm main list comes from).
_py314_debian_mirror() {
    local mirror
    mirror="${MBUS_HAN_DEBIAN_MIRROR:-$(apt-cache policy 2>/dev/null \
        | awk '$3 ~ /^bookworm\/main$/ && $4 == "amd64" { print $2; exit }')}"
    [ -n "$mirror" ] || { echo "error: no Debian mirror in the apt sources; set MBUS_HAN_DEBIAN_MIRROR" >&2; return 1; }
    echo "$mirror"
}

# Our private apt configuration never touches the system, but a system whose own apt sources would
# take libc6 from sid is not a Debian 12 we know how to keep intact: stop rather than guess.
_py314_refuse_system_sid_libc() {
    if apt-get -s -o Debug::NoLocking=1 install libc6 2>/dev/null | grep -Eq '^Inst libc6 .*(unstable|sid)'; then
        echo "error: the system's apt would take libc6 from sid; refusing to build Python 3.14" >&2
        return 1
    fi
}

# Every ELF file in the prefix must find each library it needs inside the prefix.
_py314_check_elves() {
    local file needed missing=0
    while IFS= read -r -d '' file; do
        [ "$(head -c 4 "$file" | tr -d '\0')" = $'\x7fELF' ] || continue
        for needed in $(patchelf --print-needed "$file" 2>/dev/null); do
            [ -e "$PY314_LIBDIR/$needed" ] || [ -e "$(dirname "$file")/$needed" ] || {
                echo "error: $file needs $needed, which is not in the prefix" >&2
                missing=1
            }
        done
    done < <(find "$PY314_PREFIX" -type f \( -name '*.so*' -o -perm -u+x \) -print0)
    return "$missing"
}
