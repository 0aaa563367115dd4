"""The candidate pairs blocking gives a case, and what blocking alone costs, with the source tree on
``PYTHONPATH``; then whether two trees give the same pairs.

    PYTHONPATH=src python bench/link_pairs.py WS_FOLDER --out DIR/after.parquet
    PYTHONPATH=/other/src python bench/link_pairs.py WS_FOLDER --out DIR/before.parquet
    python bench/link_pairs.py --compare DIR/before.parquet DIR/after.parquet

``WS_FOLDER`` is a workspace with a case ``BENCH`` (``bench/link.py --keep DIR`` leaves one in
``DIR/synth/ws`` and ``DIR/alt/ws``). Its records are read with plain SQL (as ``bench/link_cost.py``
reads them, so an older tree runs on the same case), normalised, and Splink's blocked pairs for
prediction computed with the tree's own settings (``compute_blocked_pairs_for_predict``: blocking
only, nothing scored); prints the parties, the pairs, and the CPU and wall seconds of blocking, and
writes the pairs ``(l, r)`` to ``--out``. ``--compare`` prints whether two such files hold the same
set of pairs (and each pair once). A developer's tool (``link/blockkeys.py``: the blocking rules
changed, the pairs must not).
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import time
from pathlib import Path


def _cpu() -> float:
    s = resource.getrusage(resource.RUSAGE_SELF)
    return s.ru_utime + s.ru_stime


def block(folder: Path, out: Path) -> dict[str, float]:
    import pyarrow.parquet as pq
    import sqlalchemy as sa
    import yaml
    from splink import Linker

    from tasman.link.backends import open_backend
    from tasman.link.normalise import normalise_rows
    from tasman.link.settings import LinkSettings, apply_priors

    config = yaml.safe_load((folder / "tasman.yaml").read_text(encoding="utf-8")) or {}
    engine = sa.create_engine(config.get("database_url") or f"sqlite:///{folder / 'tasman.db'}")
    with engine.connect() as con:
        case_id = con.execute(sa.text("SELECT id FROM cases WHERE ref = 'BENCH'")).scalar_one()
        rows = con.execute(sa.text("SELECT id, kind, CAST(fields AS TEXT) FROM records WHERE case_id = :c "
                                   "ORDER BY id"), {"c": case_id}).fetchall()
    parties = normalise_rows(((r[0], r[1], r[2]) for r in rows), workers=1)
    be = open_backend("duckdb")
    try:
        be.load("parties", parties)
        settings = apply_priors(LinkSettings().splink_settings().create_settings_dict(be.dialect))
        settings["probability_two_random_records_match"] = 1e-4  # not used: nothing is scored
        logging.getLogger("splink").setLevel(logging.ERROR)
        linker = Linker(be.splink_api().register("parties"), settings, log_level=None, validate_settings=False)
        c0, t0 = _cpu(), time.perf_counter()
        pairs = linker.inference.compute_blocked_pairs_for_predict()
        cpu, wall = _cpu() - c0, time.perf_counter() - t0
        table = be.query(f"SELECT join_key_l AS l, join_key_r AS r FROM {pairs.physical_name}")
    finally:
        be.close()
    pq.write_table(table, out)
    return {"parties": parties.num_rows, "pairs": table.num_rows, "block_cpu_s": round(cpu, 3),
            "block_wall_s": round(wall, 3)}


def compare(before: Path, after: Path) -> bool:
    import pyarrow.parquet as pq

    sets = []
    for path in (before, after):
        t = pq.read_table(path)
        pairs = list(zip(t.column("l").to_pylist(), t.column("r").to_pylist(), strict=True))
        sets.append(set(pairs))
        print(f"{path}: {len(pairs)} pairs, {len(set(pairs))} distinct")
    same = sets[0] == sets[1]
    print("the same pairs" if same else f"pairs differ: {len(sets[0] - sets[1])} only before, "
                                        f"{len(sets[1] - sets[0])} only after")
    return same


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path, nargs="?")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--compare", type=Path, nargs=2, metavar=("BEFORE", "AFTER"))
    args = ap.parse_args()
    if args.compare:
        return 0 if compare(*args.compare) else 1
    if args.folder is None or args.out is None:
        ap.error("a workspace folder and --out, or --compare BEFORE AFTER")
    print(json.dumps(block(args.folder, args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
