# Sourced by scripts/serve, scripts/test and scripts/bench: make .venv hold this
# project with the extras named in $EXTRAS, reinstalling only when pyproject.toml
# changes. The project needs Python 3.13 or newer; when `python3` is older, a
# newer interpreter is looked for (python3.14/python3.13 on PATH, then pyenv's).

MIN_PYTHON="3.13"

python_ok() {
    "$1" -c 'import sys; sys.exit(sys.version_info < (3, 13))' >/dev/null 2>&1
}

find_python() {
    local candidate
    if [ -n "${PYTHON:-}" ]; then
        if python_ok "$PYTHON"; then
            echo "$PYTHON"
            return 0
        fi
        echo "PYTHON=$PYTHON is not Python $MIN_PYTHON or newer; point PYTHON at one (e.g. PYTHON=/usr/bin/python3.13)" >&2
        return 1
    fi
    for candidate in python3 python3.15 python3.14 python3.13; do
        if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
            command -v "$candidate"
            return 0
        fi
    done
    # pyenv's installed versions, newest first, whether or not pyenv is on PATH.
    local root="${PYENV_ROOT:-$HOME/.pyenv}"
    local version
    for version in $(ls "$root/versions" 2>/dev/null | sort -V -r); do
        candidate="$root/versions/$version/bin/python3"
        if [ -x "$candidate" ] && python_ok "$candidate"; then
            echo "$candidate"
            return 0
        fi
    done
    echo "No Python $MIN_PYTHON or newer found (tried python3, python3.15, python3.14, python3.13 and pyenv's versions); install one and set PYTHON=/path/to/python3.13" >&2
    return 1
}

# A .venv made by an older interpreter (before the 3.13 floor) is rebuilt.
if [ -x .venv/bin/python ] && ! python_ok .venv/bin/python; then
    echo "Rebuilding .venv: it was made with $(.venv/bin/python --version 2>&1), the project needs $MIN_PYTHON+" >&2
    rm -rf .venv
fi
if [ ! -x .venv/bin/python ]; then
    PYTHON="$(find_python)" || exit 1
    echo "Creating .venv with $("$PYTHON" --version) ($PYTHON)" >&2
    "$PYTHON" -m venv .venv
fi
stamp=".venv/.installed-$(echo "$EXTRAS" | tr ',' '-')"
wanted="$(cksum < pyproject.toml)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    echo "Installing the project and its dependencies into .venv ..." >&2
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$EXTRAS]"
    echo "$wanted" > "$stamp"
fi
