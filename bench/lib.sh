# Sourced by bench/run.sh and bench/mock_rps.sh.

# ensure_wrk: installs wrk with apt-get when it is missing and this runs as root; fails otherwise.
ensure_wrk() {
  command -v wrk >/dev/null 2>&1 && return 0
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "installing wrk (apt-get)…" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1; } \
      || true
  fi
  command -v wrk >/dev/null 2>&1 || { echo "wrk is not installed and could not be installed (apt-get install wrk)" >&2; return 1; }
}
