"""Front-end files from npm (htmx, cytoscape, Chart.js, world-atlas), copied into ``static/vendor``.

``scripts/setup.sh`` runs ``npm ci`` in ``frontend/`` and then ``python -m tasman.serve.assets``;
nothing is fetched from a CDN and nothing vendored is committed. The pages work without these
files (plain forms), only live updates, the graph and the charts need them.
"""

from __future__ import annotations

import shutil
import sys
from importlib import resources
from pathlib import Path

# package file in node_modules -> name under static/vendor
VENDOR_FILES = {
    "htmx.org/dist/htmx.min.js": "htmx.min.js",
    "cytoscape/dist/cytoscape.min.js": "cytoscape.min.js",
    "chart.js/dist/chart.umd.min.js": "chart.umd.min.js",
    "world-atlas/countries-110m.json": "countries-110m.json",
    "htmx.org/LICENSE": "LICENSE.htmx",
    "cytoscape/LICENSE": "LICENSE.cytoscape",
    "chart.js/LICENSE.md": "LICENSE.chartjs",
    "world-atlas/LICENSE": "LICENSE.world-atlas",
}


def static_dir() -> Path:
    return Path(str(resources.files("tasman.serve") / "static"))


def vendor_dir() -> Path:
    return static_dir() / "vendor"


def vendor_ready() -> bool:
    return all((vendor_dir() / name).is_file() for name in VENDOR_FILES.values() if not name.startswith("LICENSE"))


def copy_vendor(node_modules: Path) -> list[Path]:
    out = vendor_dir()
    out.mkdir(parents=True, exist_ok=True)
    copied = []
    for src, name in VENDOR_FILES.items():
        path = node_modules / src
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: run 'npm ci' in {node_modules.parent}")
        shutil.copyfile(path, out / name)
        copied.append(out / name)
    return copied


if __name__ == "__main__":
    here = Path(__file__).resolve().parent / "frontend" / "node_modules"
    nm = Path(sys.argv[1]) if len(sys.argv) > 1 else here
    for p in copy_vendor(nm):
        print(f"copied {p.name}")
