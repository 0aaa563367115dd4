#!/usr/bin/env bash
# Creates .venv and installs what Tasman needs, Debian packages included.
#
#   scripts/setup.sh run    what running Tasman (and `make demo`) needs: no test tools, no Java, no Chromium
#   scripts/setup.sh test   run, plus what the whole test suite needs (the [dev] extras: Ray, Spark,
#                           Playwright, pytest, ruff, mypy...; Java, Chromium, hashdeep, disk-image tools)
#
# Run by `make demo` (run) and `make test` (test); safe to run again: it skips what is already
# there, and `test` after `run` only adds to the same .venv. apt-get needs root (or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-run}
case "$MODE" in run|test) ;; *) echo "usage: scripts/setup.sh run|test" >&2; exit 2 ;; esac

# Running: libmagic (file types), libarchive (archives), FFmpeg and its headers (vpdq builds
# against them; the demo draws a video), ICU headers (PyICU, which normality builds on), pkg-config,
# dosfstools + mtools (the demo's FAT card image), DejaVu fonts (the PDF dossier's Unicode), nodejs/npm
# (the web app's front-end packages from the npm registry, never from a CDN).
DEBS="pkg-config libmagic1 libarchive13 libavcodec-dev libavformat-dev libavutil-dev libswscale-dev
      libavdevice-dev libavfilter-dev ffmpeg libicu-dev dosfstools mtools fonts-dejavu-core nodejs"
# Testing adds: hashdeep (the triage benchmark's peer), chromium (browser tests), ewf-tools (E01
# images), e2fsprogs + ntfs-3g + exfatprogs (ext, NTFS and exFAT images for the reader tests), a
# Java 17 runtime (Spark, for `tasman link --backend spark` and its tests), time (/usr/bin/time -v,
# peak memory in bench/hostile.py).
if [ "$MODE" = test ]; then
  DEBS="$DEBS hashdeep chromium ewf-tools e2fsprogs ntfs-3g exfatprogs openjdk-17-jre-headless time"
fi
missing=""
for p in $DEBS; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
# Debian's nodejs leaves npm to a package of its own; NodeSource's nodejs already has it.
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
  echo "setup ($MODE): installing Debian packages:$missing"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
if [ "$MODE" = test ]; then
  .venv/bin/python -m pip install -q -e ".[dev]"
else
  .venv/bin/python -m pip install -q -e .
fi

# Web app front end: htmx, cytoscape, Chart.js, world-atlas from package-lock.json, copied into
# src/tasman/serve/static/vendor (ignored by git, shipped in the package).
FRONTEND=src/tasman/serve/frontend
if [ ! -f "$FRONTEND/node_modules/.package-lock.json" ] || [ "$FRONTEND/package-lock.json" -nt "$FRONTEND/node_modules/.package-lock.json" ]; then
  (cd "$FRONTEND" && npm ci --no-audit --no-fund --loglevel=error)
fi
.venv/bin/python -m tasman.serve.assets "$FRONTEND/node_modules" >/dev/null
touch ".venv/.installed-$MODE"
