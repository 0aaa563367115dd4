"""``tasman triage``: find listed material in evidence by hash, without showing any of it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from tasman.cli.common import emit_result, fail, json_option, nothing_to_do, state
from tasman.core.errors import ExitCode
from tasman.triage.engines import ENGINES
from tasman.triage.readers import Limits
from tasman.triage.run import ProgressInfo, TriageOptions, run_triage


@contextmanager
def _progress() -> Iterator[Any]:
    console = Console(stderr=True)
    if state().json or not console.is_terminal:
        yield None
        return
    with Progress(SpinnerColumn(), TextColumn("triage"), BarColumn(), TextColumn("{task.fields[count]}"),
                  TextColumn("{task.fields[detail]}"), TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("triage", total=None, count="", detail="")

        def tick(p: ProgressInfo) -> None:
            bar.update(task, completed=p.files, total=p.total or None, count=p.of_total,
                       detail=f"{p.bytes / 1e6:,.0f} MB  {p.matched} matched  {p.errors} errors  "
                              f"{p.skipped} already done")

        yield tick


class ByteSize(click.ParamType):
    """A number of bytes: ``1073741824``, or with a binary suffix ``512M``, ``256G``, ``1T``."""

    name = "size"
    UNITS: ClassVar[dict[str, int]] = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "P": 1 << 50}

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip().upper().removesuffix("IB").removesuffix("B")
        unit = text[-1:] if text[-1:] in self.UNITS and text[-1:] else ""
        number = text[: len(text) - len(unit)]
        try:
            size = int(float(number) * self.UNITS[unit])
        except ValueError:
            self.fail(f"{value!r} is not a size (e.g. 1073741824, 512M, 256G)", param, ctx)
        if size < 1:
            self.fail(f"{value!r} is not a positive size", param, ctx)
        return size


@click.command("triage")
@click.argument("evidence", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--case", "case_ref", required=True, metavar="CASE", help="The case the evidence belongs to.")
@click.option("--hashset", "hashsets", multiple=True, metavar="NAME",
              help="Hash set to match against (repeatable; default: every imported set).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Output folder (default: the workspace's out/triage-RUN).")
@click.option("--workers", type=click.IntRange(min=0), default=None,
              help="Hashing processes (default: one per core; 0 hashes in this process). With --engine ray: "
                   "the local Ray's CPUs, or on a cluster how many CPUs' worth of work to keep in flight.")
@click.option("--engine", type=click.Choice(ENGINES), default="local", show_default=True,
              help="Where files are hashed: local worker processes, or tasks on a Ray cluster.")
@click.option("--ray-address", metavar="ADDR",
              help="With --engine ray: join a running cluster (auto, HOST:PORT or ray://HOST:PORT) with "
                   "Ray's token authentication and TLS (RAY_AUTH_MODE=token, RAY_USE_TLS=1 ...; or "
                   "TASMAN_RAY_INSECURE=1); without it a local Ray is started.")
@click.option("--ray-shared-storage", is_flag=True,
              help="With --ray-address: the evidence is at the same paths on every node (a shared mount), so "
                   "the nodes read the files themselves (paths, not bytes); files inside archives and disk "
                   "images still travel as bytes.")
@click.option("--pdq-threshold", type=click.IntRange(0, 128), default=31, show_default=True,
              help="Largest PDQ Hamming distance (of 256 bits) that counts as a match.")
@click.option("--min-quality", type=click.IntRange(0, 100), default=50, show_default=True,
              help="PDQ hashes of lower quality match only within --low-quality-threshold.")
@click.option("--low-quality-threshold", type=click.IntRange(-1, 128), default=16, show_default=True,
              help="Largest PDQ distance for a match where either side is under --min-quality (a blank "
                   "picture, under quality 5, never matches); -1: such hashes never match (HMA's rule).")
@click.option("--no-crop", is_flag=True, help="Skip the crop-tolerant stage.")
@click.option("--no-hypotheses", is_flag=True,
              help="Skip the crop/overlay hypotheses (un-cropped and in-painted guesses at the original, "
                   "queried for pictures nothing else matched).")
@click.option("--hypothesis-threshold", type=click.IntRange(0, 128), default=28, show_default=True,
              help="Largest PDQ distance for a hypothesis match (never more than --pdq-threshold).")
@click.option("--no-video", is_flag=True, help="Do not decode videos (their file hashes are still taken).")
@click.option("--restart", is_flag=True, help="Start a new run instead of resuming an interrupted one.")
@click.option("--strict", is_flag=True, help="Exit with code 5 when any file could not be read.")
@click.option("--max-inflated", type=ByteSize(), default=None, metavar="SIZE",
              help="Bytes the whole run may take out of archives and disk images, together (e.g. 256G). "
                   "Default: 1G + 100 x the evidence bytes walked so far.")
@click.option("--max-members", type=click.IntRange(min=1), default=Limits.max_members, show_default=True,
              help="Members of all archives and disk images of the run, together.")
@click.option("--max-depth", type=click.IntRange(min=0), default=Limits.max_depth, show_default=True,
              help="Containers nested inside containers.")
@click.option("--max-pixels", type=click.IntRange(min=1), default=Limits.max_pixels, show_default=True,
              help="Pixels of one picture; larger pictures are an errors.csv row, never decoded.")
@click.option("--batch-files", type=click.IntRange(min=1), default=500, hidden=True)
@click.option("--own-custody-seconds", type=click.FloatRange(min=0), default=60.0, hidden=True)
@json_option
def triage(evidence: tuple[Path, ...], case_ref: str, hashsets: tuple[str, ...], out_dir: Path | None,
           workers: int | None, engine: str, ray_address: str | None, ray_shared_storage: bool, pdq_threshold: int,
           min_quality: int, low_quality_threshold: int, no_crop: bool, no_hypotheses: bool,
           hypothesis_threshold: int, no_video: bool, restart: bool, strict: bool, max_inflated: int | None,
           max_members: int, max_depth: int, max_pixels: int,
           batch_files: int, own_custody_seconds: float) -> None:
    """Inventory, hash and match every file of EVIDENCE (folders, archives, disk images) for CASE.

    Writes matches.csv, files.csv, errors.csv and report.html (never a picture) and stores the
    results in the case database. An interrupted run (Ctrl-C, kill) resumes when the same
    command is run again. One budget covers the whole run (--max-inflated, --max-members,
    --max-depth, --max-pixels): a container that spends it stops with an errors.csv row and the
    run goes on. A pipe or device is refused; give an image file of it.
    """
    ws = state().ws()
    limits = Limits(max_inflated=max_inflated, max_members=max_members, max_depth=max_depth, max_pixels=max_pixels)
    options = TriageOptions(hashsets=hashsets, pdq_threshold=pdq_threshold, min_quality=min_quality,
                            low_quality_threshold=low_quality_threshold,
                            crop=not no_crop, hypotheses=not no_hypotheses,
                            hypothesis_threshold=hypothesis_threshold, video=not no_video, workers=workers,
                            engine=engine, ray_address=ray_address, ray_shared_storage=ray_shared_storage,
                            restart=restart,
                            batch_files=batch_files, own_custody_seconds=own_custody_seconds, limits=limits)
    with _progress() as tick:
        result = run_triage(ws, case_ref, list(evidence), options, out_dir=out_dir, progress=tick)
    if result.counts["files"] == 0 and not result.counts["errors"]:
        nothing_to_do(f"nothing to triage: {', '.join(map(str, evidence))} holds no files")
    emit_result(result)
    if strict and result.counts["errors"]:
        fail(f"{result.counts['errors']} file(s) could not be read; see {result.outputs['errors_csv']}",
             int(ExitCode.BAD_INPUT))
