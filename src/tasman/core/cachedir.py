"""Where Tasman keeps caches it can always rebuild (compiled patterns, the schema check).

``$TASMAN_CACHE_DIR``, else ``$XDG_CACHE_HOME/tasman``, else ``~/.cache/tasman``. Nothing kept
here is case data; deleting the folder only costs time.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$TASMAN_CACHE_DIR``, else ``$XDG_CACHE_HOME/tasman``, else ``~/.cache/tasman``."""
    if env := os.environ.get("TASMAN_CACHE_DIR"):
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tasman"
