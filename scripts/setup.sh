#!/usr/bin/env bash
# Creates .venv and installs everything Tasman needs, Debian packages included.
# Run by `make demo` and `make test`; safe to run again (it skips what is already there).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: libmagic (file types), libarchive (archives), FFmpeg headers (vPDQ builds
# against them), hashdeep (the triage benchmark's peer), chromium (browser tests), dosfstools +
# mtools + ewf-tools (synthetic FAT and E01 disk images for triage tests and the demo), e2fsprogs +
# ntfs-3g + exfatprogs (synthetic ext, NTFS and exFAT images for the triage reader tests), nodejs/npm
# (the web app's front-end packages, installed from the npm registry, never from a CDN), a Java 17
# runtime (Spark, for linking with `--backend spark` and its tests); test tools only: time
# (/usr/bin/time -v, peak memory in bench/hostile.py).
DEBS="pkg-config libmagic1 libarchive13 libavcodec-dev libavformat-dev libavutil-dev libswscale-dev
      libavdevice-dev libavfilter-dev ffmpeg hashdeep libicu-dev chromium dosfstools mtools ewf-tools
      e2fsprogs ntfs-3g exfatprogs fonts-dejavu-core nodejs openjdk-17-jre-headless time"
missing=""
for p in $DEBS; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
# Debian's nodejs leaves npm to a package of its own; NodeSource's nodejs already has it.
command -v npm >/dev/null 2>&1 || missing="$missing npm"
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

# Web app front end: htmx, cytoscape, Chart.js, world-atlas from package-lock.json, copied into
# src/tasman/serve/static/vendor (ignored by git, shipped in the package).
FRONTEND=src/tasman/serve/frontend
if [ ! -f "$FRONTEND/node_modules/.package-lock.json" ] || [ "$FRONTEND/package-lock.json" -nt "$FRONTEND/node_modules/.package-lock.json" ]; then
  (cd "$FRONTEND" && npm ci --no-audit --no-fund --loglevel=error)
fi
.venv/bin/python -m tasman.serve.assets "$FRONTEND/node_modules" >/dev/null
touch .venv/.installed
