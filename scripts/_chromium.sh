# Sourced by scripts/test and scripts/screenshots: the browser tests drive Debian's
# Chromium (/usr/bin/chromium, or $CHROMIUM). When it is missing, install it if
# this is root with apt-get; otherwise say how, once (the browser tests then fail
# with the same line, never skip).
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing chromium for the browser tests (apt-get install -y chromium) ..." >&2
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null \
            || echo "apt-get could not install chromium; the browser tests will fail until it is installed" >&2
    else
        echo "Chromium is not at $CHROMIUM: the browser tests will fail; install it with 'sudo apt-get install -y chromium' (or set CHROMIUM=/path/to/chromium)" >&2
    fi
fi
