#!/usr/bin/env bash
# Creates .venv and installs everything Tasman needs, Debian packages included.
# Run by `make demo` and `make test`; safe to run again (it skips what is already there).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: libmagic (file types), libarchive (archives), FFmpeg headers (vPDQ builds
# against them), hashdeep (the triage benchmark's peer), chromium (browser tests).
DEBS="pkg-config libmagic1 libarchive13 libavcodec-dev libavformat-dev libavutil-dev libswscale-dev
      libavdevice-dev libavfilter-dev ffmpeg hashdeep libicu-dev chromium
      fonts-dejavu-core"
missing=""
for p in $DEBS; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "setup: installing Debian packages:$missing"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[dev]"
touch .venv/.installed
