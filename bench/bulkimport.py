"""Bulk hash-list import: ``tasman hashset import`` of ``--rows`` generated rows, timed end to end
as a subprocess (``/usr/bin/time -v`` gives its peak RSS), on SQLite and, when ``--pg URL`` or
``TASMAN_TEST_DATABASE_URL`` is given, on PostgreSQL (a fresh database per run, dropped after).

The lists are benign random hashes written on the fly into a temp dir: CSV (md5, sha1, pdq,
category), VICS JSON (``--format vics``) or an NSRL RDSv3 minimal SQLite database (``--format
nsrl``: NIST's schema, its seven-column key and upper-case digests, rows in key order; ``--rows``
distinct files, ``--nsrl-repeat`` of them shipped by a second package too, one more ``FILE``
row each). Prints rows/s, the importer's CPU seconds (user + system; not the PostgreSQL
server's), peak RSS and the load average per run (``--rounds`` rounds, median and spread).
``--kill-at F`` kills the first run with SIGKILL after F of the rows were committed, re-runs it and
checks the row count (the resumable path). ``--peer SRC`` runs another checkout's ``src`` (e.g.
main's) too, interleaved run for run; ``--list FILE`` imports a list made before (the generators
take minutes at 30,000,000 rows).

    PYTHONPATH=src .venv/bin/python bench/bulkimport.py --rows 1000000 --rounds 3
    PYTHONPATH=src .venv/bin/python bench/bulkimport.py --rows 30000000 --rounds 1 --pg postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 100_000


def gen_csv(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w") as fh:
        fh.write("md5,sha1,pdq,category\n")
        for start in range(0, rows, CHUNK):
            n = min(CHUNK, rows - start)
            blob = rng.randbytes(n * 68).hex()
            fh.write(
                "".join(
                    f"{blob[i * 136 : i * 136 + 32]},{blob[i * 136 + 32 : i * 136 + 72]},"
                    f"{blob[i * 136 + 72 : i * 136 + 136]},{i % 3 + 1}\n"
                    for i in range(n)
                )
            )


def _write_vics(path: Path, rows: int, seed: int, head: str, record: Any, upper: bool = False) -> None:
    """One case of ``rows`` Media records, ``record(n, blob, i)`` each (``n``: the record's number;
    ``blob``: its chunk's random hex, 72 digits a record), written a chunk at a time."""
    rng = random.Random(seed)
    with path.open("w") as fh:
        fh.write(head)
        first = True
        for start in range(0, rows, CHUNK):
            n = min(CHUNK, rows - start)
            blob = rng.randbytes(n * 36).hex()
            if upper:
                blob = blob.upper()
            fh.write(("" if first else ",") + ",".join(json.dumps(record(start + i, blob, i)) for i in range(n)))
            first = False
        fh.write("]}]}")


def gen_vics(path: Path, rows: int, seed: int) -> None:
    _write_vics(
        path,
        rows,
        seed,
        '{"odata.metadata":"http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Cases",'
        '"value":[{"CaseNumber":"bench","Media":[',
        lambda n, blob, i: {
            "MediaID": n,
            "Category": i % 3 + 1,
            "MD5": blob[i * 72 : i * 72 + 32],
            "SHA1": blob[i * 72 + 32 : i * 72 + 72],
        },
    )


def gen_vics2(path: Path, rows: int, seed: int) -> None:
    """VICS 2.0 Media records with every field of the published example (flags as strings and
    booleans, empty Series, Tags and Comments, one MediaFiles entry): about 30 parser events a
    record, three times ``gen_vics``'s."""
    _write_vics(
        path,
        rows,
        seed,
        '{"@odata.context":"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata'
        '#Media","value":[{"CaseID":"bench","SourceApplicationName":"bench","Media":[',
        lambda n, blob, i: {
            "MediaID": n,
            "Category": i % 3 + 1,
            "MD5": blob[i * 72 : i * 72 + 32],
            "SHA1": blob[i * 72 + 32 : i * 72 + 72],
            "MediaSize": 1000 + i % 5000,
            "MimeType": "image/jpeg",
            "IsPrecategorized": "true",
            "VictimIdentified": i % 2 == 0,
            "Series": "",
            "Tags": [],
            "Comments": "",
            "MediaFiles": [{"FileName": f"file{n}.jpg", "FilePath": "C:\\x", "Deleted": False}],
        },
        upper=True,
    )


# NIST's RDSv3 minimal schema (the ``*_minimal.schema.sql`` shipped with each release): a ``FILE``
# row per file and package that ships it, keyed on all seven columns (a rowid table, so SQLite
# keeps a second, covering B-tree for the key), the PKG/OS/MFG/VERSION tables and the
# DISTINCT_HASH view. Digests are upper-case hex in the releases.
NSRL_SCHEMA = """
CREATE TABLE FILE (
 sha256 VARCHAR NOT NULL, sha1 VARCHAR NOT NULL, md5 VARCHAR NOT NULL, crc32 VARCHAR NOT NULL,
 file_name VARCHAR NOT NULL, file_size INTEGER NOT NULL, package_id INTEGER NOT NULL,
 CONSTRAINT PK_FILE__FILE PRIMARY KEY (sha256, sha1, md5, crc32, file_name, file_size, package_id));
CREATE TABLE MFG (manufacturer_id INTEGER NOT NULL, name VARCHAR NOT NULL,
 CONSTRAINT PK_MFG__MFG_ID PRIMARY KEY (manufacturer_id));
CREATE TABLE OS (operating_system_id INTEGER NOT NULL, name VARCHAR NOT NULL, version VARCHAR NOT NULL,
 manufacturer_id INTEGER NOT NULL, CONSTRAINT PK_OS__OS_ID PRIMARY KEY (operating_system_id, manufacturer_id));
CREATE TABLE PKG (package_id INTEGER NOT NULL, name VARCHAR NOT NULL, version VARCHAR NOT NULL,
 operating_system_id INTEGER NOT NULL, manufacturer_id INTEGER NOT NULL, language VARCHAR NOT NULL,
 application_type VARCHAR NOT NULL,
 CONSTRAINT PK_PGK__PKG_ID PRIMARY KEY (package_id, operating_system_id, manufacturer_id, language, application_type));
CREATE TABLE VERSION (version VARCHAR UNIQUE NOT NULL, build_set VARCHAR NOT NULL,
 build_date TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL, release_date TIMESTAMP NOT NULL,
 description VARCHAR NOT NULL, CONSTRAINT PK_VERSION__VERSION PRIMARY KEY (version));
CREATE VIEW DISTINCT_HASH AS SELECT DISTINCT sha256, sha1, md5, crc32 FROM FILE;
"""
NSRL_PACKAGES = 5000
NSRL_STEMS = ("libcore", "resources", "msgcat", "helper", "icon", "setup", "readme", "locale", "plugin", "update")
NSRL_EXTS = ("dll", "so", "png", "txt", "xml", "manifest", "mui", "js", "dat", "exe")


def gen_nsrl(path: Path, rows: int, seed: int, repeat: float = 0.1) -> None:
    """An RDSv3 minimal database (``NSRL_SCHEMA``) of ``rows`` distinct files: ``rows`` distinct
    hash triples, each file also shipped by a second package with probability ``repeat`` (the
    same hashes and size, sometimes another name: one more ``FILE`` row, which the importer skips),
    written in key order as the releases are (so a file's rows are consecutive). The SHA-256s
    rise with the row (a 16-digit prefix spread over the key space, then random digits), so
    nothing needs sorting."""
    rng = random.Random(seed)
    conn = sqlite3.connect(path)
    conn.executescript(NSRL_SCHEMA)
    conn.execute("INSERT INTO VERSION VALUES ('bench', 'modern minimal', '2026-12-01', '2026-12-01', 'benchmark')")
    conn.executemany("INSERT INTO MFG VALUES (?, ?)", ((m, f"vendor {m}") for m in range(1, 51)))
    conn.executemany(
        "INSERT INTO OS VALUES (?, ?, ?, ?)", ((o, f"os {o}", f"{o % 7}.0", o % 50 + 1) for o in range(1, 101))
    )
    conn.executemany(
        "INSERT INTO PKG VALUES (?, ?, ?, ?, ?, 'English', 'Utility')",
        ((k, f"package {k}", f"{k % 9}.{k % 4}", k % 100 + 1, (k % 100) % 50 + 1) for k in range(1, NSRL_PACKAGES + 1)),
    )
    step = (1 << 64) / rows
    sql = "INSERT INTO FILE VALUES (?, ?, ?, ?, ?, ?, ?)"
    for start in range(0, rows, CHUNK):
        n = min(CHUNK, rows - start)
        blob = rng.randbytes(n * 64).hex().upper()  # 48 + 40 + 32 + 8 digits a file
        out = []
        for i in range(n):
            b = blob[i * 128 : i * 128 + 128]
            key = (f"{int((start + i) * step):016X}{b[:48]}", b[48:88], b[88:120], b[120:128])
            size = rng.randrange(1, 1 << 24)
            name = f"{NSRL_STEMS[i % 10]}{start + i}.{NSRL_EXTS[(i // 10) % 10]}"
            ships = [(name, rng.randrange(1, NSRL_PACKAGES + 1))]
            if rng.random() < repeat:
                ships.append((name if rng.random() < 0.5 else f"copy_{name}", rng.randrange(1, NSRL_PACKAGES + 1)))
            out.extend((*key, file_name, size, package) for file_name, package in sorted(set(ships)))
        conn.executemany(sql, out)
    conn.commit()
    conn.close()


GENERATORS = {
    "csv": (gen_csv, "list.csv"),
    "vics": (gen_vics, "list.json"),
    "vics2": (gen_vics2, "list.json"),
    "nsrl": (gen_nsrl, "NSRLFile.db"),
}
READ_AS = {"vics2": "vics"}  # the generator's name -> tasman's --format


SRC = [str(ROOT / "src")]  # --src: another checkout's src to run instead (a peer build)


def tasman(ws: Path, db: str | None, *args: str, timed: bool = False, src: str | None = None) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "tasman.cli.main", "-w", str(ws), *(["--db", db] if db else []), *args]
    if timed:
        cmd = ["/usr/bin/time", "-v", *cmd]
    env = {**os.environ, "PYTHONPATH": src or SRC[0], "TASMAN_USER": "bench"}
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run(ws: Path, db: str | None, *args: str) -> str:
    p = tasman(ws, db, *args)
    out, err = p.communicate()
    if p.returncode:
        sys.exit(f"tasman {' '.join(args)} failed: {err.strip()[-500:]}")
    return out


def fresh_pg(admin_url: str) -> tuple[str, str]:
    from sqlalchemy import create_engine, text

    from tasman.core.db import normalise_url

    name = f"tasman_bulk_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return normalise_url(admin_url).rsplit("/", 1)[0] + "/" + name, name


def drop_pg(admin_url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    from tasman.core.db import normalise_url

    admin = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def count_rows(ws: Path, db: str | None) -> int:
    out = run(ws, db, "--json", "hashset", "list")
    return sum(int(h["entries"]) for h in json.loads(out))


def one(
    store: str,
    path: Path,
    fmt: str,
    rows: int,
    admin: str | None,
    kill_at: float | None,
    tmp: Path,
    src: str | None = None,
) -> dict[str, float | int | str]:
    ws = tmp / f"ws-{uuid.uuid4().hex[:8]}"
    db, pgname = fresh_pg(admin) if store == "postgresql" and admin else (None, "")
    try:
        run(ws.parent, db, "init", str(ws))
        args = ("hashset", "import", str(path), "--name", "bench", "--format", READ_AS.get(fmt, fmt))
        killed, killed_s = 0.0, 0.0
        if kill_at is not None:
            t0 = time.perf_counter()
            p = tasman(ws, db, *args, src=src)
            deadline = time.monotonic() + 3600
            while p.poll() is None and time.monotonic() < deadline:
                time.sleep(1.0)
                done = progress_rows(ws, db, store)
                if done >= kill_at * rows:
                    p.send_signal(signal.SIGKILL)
                    p.wait()
                    killed, killed_s = done, time.perf_counter() - t0
                    break
        start = time.perf_counter()
        p = tasman(ws, db, *args, timed=True, src=src)
        _, err = p.communicate()
        seconds = time.perf_counter() - start
        if p.returncode:
            sys.exit(f"import failed: {err.strip()[-800:]}")
        rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1))  # type: ignore[union-attr]
        cpu = sum(float(m) for m in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", err))
        stored = count_rows(ws, db)
        return {
            "store": store,
            "seconds": seconds,
            "rows_per_s": (rows - killed) / seconds,
            "peak_rss_mb": rss / 1024,
            "cpu_s": cpu,
            "rows_per_cpu_s": (rows - killed) / max(cpu, 1e-9),
            "stored": stored,
            "killed_after": killed,
            "killed_s": killed_s,
            "load": os.getloadavg()[0],
        }
    finally:
        if pgname and admin:
            drop_pg(admin, pgname)


def progress_rows(ws: Path, db: str | None, store: str) -> int:
    """Rows committed so far: the resumable import's last checkpoint (read straight from the
    database, no CLI start-up; a ``COUNT(*)`` of the entries each second would scan gigabytes)."""
    sql = "SELECT COALESCE(MAX(entry_count), 0) FROM hashsets WHERE name LIKE '~import~%'"
    try:
        if store == "sqlite":
            conn = sqlite3.connect(f"file:{ws / 'tasman.db'}?mode=ro", uri=True, timeout=30)
            try:
                return int(conn.execute(sql).fetchone()[0])
            finally:
                conn.close()
        import psycopg

        with psycopg.connect(str(db).replace("postgresql+psycopg://", "postgresql://")) as pg:
            row = pg.execute(sql).fetchone()
            return int(row[0]) if row else 0
    except Exception:  # not created yet
        return 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--format", choices=sorted(GENERATORS), default="csv")
    ap.add_argument(
        "--pg",
        default=os.environ.get("TASMAN_TEST_DATABASE_URL"),
        help="PostgreSQL admin URL (a fresh database is made per run)",
    )
    ap.add_argument("--stores", default="sqlite,postgresql")
    ap.add_argument("--kill-at", type=float, help="kill -9 the first run after this fraction, then re-run")
    ap.add_argument("--src", type=Path, help="run the tasman under this src folder (e.g. main's, as a peer)")
    ap.add_argument("--peer", type=Path, help="also run this src folder (e.g. main's), interleaved with this one")
    ap.add_argument("--list", type=Path, help="import this list (made by an earlier run's generator) instead")
    ap.add_argument("--tmp", type=Path, help="where to write the list and workspaces (default: a temp dir)")
    ap.add_argument(
        "--nsrl-repeat",
        type=float,
        default=0.1,
        help="--format nsrl: the share of files a second package ships too (one more FILE row each)",
    )
    args = ap.parse_args()
    if args.src:
        SRC[0] = str(args.src.resolve())
    stores = [s for s in args.stores.split(",") if s == "sqlite" or (s == "postgresql" and args.pg)]
    peer = str(args.peer.resolve()) if args.peer else None
    with tempfile.TemporaryDirectory(dir=args.tmp) as d:
        tmp = Path(d)
        gen, fname = GENERATORS[args.format]
        path = args.list or tmp / fname
        if args.list is None:
            t0 = time.perf_counter()
            if args.format == "nsrl":
                gen_nsrl(path, args.rows, 7, args.nsrl_repeat)
            else:
                gen(path, args.rows, 7)
            print(
                f"generated {args.rows:,} {args.format} rows ({path.stat().st_size / 1e6:.0f} MB) in "
                f"{time.perf_counter() - t0:.0f} s; load {os.getloadavg()}",
                flush=True,
            )
        if args.format == "nsrl":
            with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
                print(
                    f"{conn.execute('SELECT COUNT(*) FROM FILE').fetchone()[0]:,} FILE rows for "
                    f"{args.rows:,} distinct files (the rates below count the files)",
                    flush=True,
                )
        runs = [(s, None) for s in stores] + [(s, peer) for s in stores if peer]
        results: dict[str, list[dict[str, float | int | str]]] = {label(s, src): [] for s, src in runs}
        for r in range(args.rounds):
            for store, src in runs if r % 2 == 0 else runs[::-1]:  # interleaved, so all see the same load
                res = one(store, path, args.format, args.rows, args.pg, args.kill_at, tmp, src)
                results[label(store, src)].append(res)
                print(
                    f"round {r + 1} {label(store, src)}: {res['seconds']:.1f} s, {res['rows_per_s']:,.0f} rows/s, "
                    f"CPU {res['cpu_s']:.1f} s ({res['rows_per_cpu_s']:,.0f} rows per CPU-second of the importer), "
                    f"peak RSS {res['peak_rss_mb']:.0f} MB, stored {res['stored']:,}"
                    + (
                        f" (the re-run after a kill -9 at {res['killed_after']:,} rows, {res['killed_s']:.0f} s in)"
                        if args.kill_at
                        else ""
                    )
                    + f", load {res['load']:.1f}",
                    flush=True,
                )
                if res["stored"] != args.rows:
                    print(f"  MISMATCH: {res['stored']:,} stored of {args.rows:,}", flush=True)
        for name, rs in results.items():
            secs = [float(x["seconds"]) for x in rs]
            rss = [float(x["peak_rss_mb"]) for x in rs]
            cpus = [float(x["cpu_s"]) for x in rs]
            med, cpu = statistics.median(secs), statistics.median(cpus)
            print(
                f"{name}: median {med:.1f} s ({args.rows / med:,.0f} rows/s), CPU median {cpu:.1f} s "
                f"({args.rows / cpu:,.0f} rows per CPU-second; {min(cpus):.1f}-{max(cpus):.1f}), "
                f"spread {min(secs):.1f}-{max(secs):.1f} s, peak RSS max {max(rss):.0f} MB, "
                f"load {os.getloadavg()}"
            )


def label(store: str, src: str | None) -> str:
    return f"{store} (peer {src})" if src else store


if __name__ == "__main__":
    main()
