"""``tasman link``, ``tasman subject ...`` and ``tasman export subjects``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from tasman.cli.common import Out, TasmanGroup, emit, emit_result, json_option, plural, progress, state, table
from tasman.core.errors import InputError
from tasman.link import decisions, review
from tasman.link.backends import BACKENDS, open_backend
from tasman.link.backends.spark import DEFAULT_CAPACITY_TIMEOUT, DEFAULT_MASTER
from tasman.link.explain import PLACE_FIELD
from tasman.link.run import link_case
from tasman.link.views import export_subjects, list_subjects, show_subject


@click.group("link", cls=TasmanGroup, invoke_without_command=True)
@click.option("--case", "case_ref", help="The case whose records to resolve.")
@click.option("--threshold", type=float, help="Match probability at which records are joined (default 0.95).")
@click.option("--review-threshold", type=float, metavar="P",
              help="Pairs scored from P up to the threshold, left in two subjects, are kept as probable links "
                   "for review: 'tasman link review' (default 0.05).")
@click.option("--backend", type=click.Choice(sorted(BACKENDS)), default="duckdb", show_default=True,
              help="Where the linkage runs: DuckDB in this process, or Splink on Spark.")
@click.option("--spark-master", metavar="URL",
              help=f"Spark master for --backend spark: {DEFAULT_MASTER} (default: every core here), "
                   "spark://HOST:7077, yarn, k8s://...")
@click.option("--spark-checkpoint-dir", metavar="DIR",
              help="For --backend spark: where intermediate tables are checkpointed (removed when the run ends, "
                   "whether it succeeds or fails); on a cluster, storage every node sees (hdfs://, s3a://, a shared "
                   "mount). Default: the workspace's tmp/spark.")
@click.option("--spark-capacity-timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help=f"For --backend spark on a cluster: end the run (exit 5) when no executor is available for this "
                   f"long, at the start or after losing them all (default {DEFAULT_CAPACITY_TIMEOUT:g}).")
@click.option("--incremental", "mode", flag_value="incremental",
              help="Link only the records added since the last run against the stored subjects, with the stored "
                   "model (the default when an earlier run exists and records were only added since); an error "
                   "naming why when it cannot.")
@click.option("--full", "mode", flag_value="full", help="Re-link the whole case (retrains the model).")
@json_option
@click.pass_context
def link(ctx: click.Context, case_ref: str | None, threshold: float | None, review_threshold: float | None,
         backend: str, spark_master: str | None, spark_checkpoint_dir: str | None,
         spark_capacity_timeout: float | None, mode: str | None) -> None:
    """Resolve the records of CASE into subjects (analysts' decisions are kept): tasman link --case CASE.

    Every record ends in exactly one subject, one of its own when nothing links it; the summary
    counts those and why, and the probable links kept for review ('tasman link review')."""
    if ctx.invoked_subcommand is not None:
        return
    if not case_ref:
        raise click.UsageError("Missing option '--case'.")
    options: dict[str, object] = {}
    if backend != "spark" and (spark_master or spark_checkpoint_dir or spark_capacity_timeout):
        raise InputError("--spark-master, --spark-checkpoint-dir and --spark-capacity-timeout need --backend spark")
    ws = state().ws()
    if backend == "spark":
        options = {"master": spark_master or DEFAULT_MASTER,
                   "checkpoint_dir": spark_checkpoint_dir or str(ws.root / "tmp" / "spark"),
                   "capacity_timeout": spark_capacity_timeout or DEFAULT_CAPACITY_TIMEOUT}
    with open_backend(backend, **options) as be, progress("link") as tick:
        if tick.shown:
            be.report_to(tick)                   # a cluster's stages and tasks, where the engine has them
        result = link_case(ws, case_ref, threshold=threshold, backend=be, review_threshold=review_threshold,
                           stage=tick.stage, mode=mode or "auto")
    emit_result(result)


@link.group("review", cls=TasmanGroup)
@click.option("--case", "case_ref", help="The case (or give --case after the subcommand).")
@click.pass_context
def review_group(ctx: click.Context, case_ref: str | None) -> None:
    """Probable links waiting for an analyst: list them, show one, accept (same person: the two
    subjects are merged) or reject (different people: kept apart by later runs)."""
    ctx.meta["tasman.review.case"] = case_ref


def _case(case_ref: str | None) -> str:
    ref = case_ref or click.get_current_context().meta.get("tasman.review.case")
    if not ref:
        raise click.UsageError("Missing option '--case'.")
    return str(ref)


def _why(explanation: dict[str, Any], agreed_only: bool = True) -> str:
    fields = explanation.get("fields", {})
    return ", ".join(f"{f} ({v['level']}, {v['weight']:+.1f})" for f, v in fields.items()
                     if not agreed_only or v.get("weight", 0) != 0)


@review_group.command("list")
@click.option("--case", "case_ref", help="The case.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="Show at most this many.")
@click.option("--subject", "subject_ref", metavar="SUBJECT", help="Only pairs with a side in SUBJECT.")
@json_option
def review_list(case_ref: str | None, limit: int, subject_ref: str | None) -> None:
    """List the probable links waiting for review, best first: a merge that would change a
    subject's country, then by expected value (probability times the two subjects' sizes)."""
    ref = _case(case_ref)
    ws = state().ws()
    with ws.session() as s:
        rows = [p.as_dict() for p in review.queue(s, ws.actor, ref, limit, subject_ref)]

    def human(con: Out) -> None:
        con.print(table(f"Probable links of {ref} waiting for review",
                        ["pair", "probability", "records", "subjects", "countries", "what agreed"],
                        [[r["pair"], f"{r['probability']:.3f}", f"{r['a']} ↔ {r['b']}",
                          f"{r['subject_a']} ↔ {r['subject_b']}",
                          f"{','.join(r['countries_a']) or '-'} ↔ {','.join(r['countries_b']) or '-'}"
                          + (" *" if r["changes_country"] else ""), _why(r["explanation"])] for r in rows]))
        if any(r["changes_country"] for r in rows):
            con.print("* a merge would change a subject's country", markup=False)

    emit(rows, human)


@review_group.command("show")
@click.argument("pair")
@click.option("--case", "case_ref", help="The case.")
@json_option
def review_show(pair: str, case_ref: str | None) -> None:
    """Show PAIR side by side, with each comparison's level, weight and Bayes factor."""
    ref = _case(case_ref)
    ws = state().ws()
    with ws.session() as s:
        data = review.show(s, ws.actor, ref, pair).as_dict()

    def human(con: Out) -> None:
        con.print(f"Pair {data['pair']}: probability {data['probability']:.3f} (match weight "
                  f"{data['match_weight']:+.2f})", markup=False)
        a, b = data["sides"]
        keys = sorted(set(a["fields"]) | set(b["fields"]))
        con.print(table(None, ["", a["party"], b["party"]],
                        [["subject", f"{a['subject']['ref']} ({a['subject']['records']} records)",
                          f"{b['subject']['ref']} ({b['subject']['records']} records)"],
                         ["kind", a["kind"], b["kind"]],
                         *[[k, str(a["fields"].get(k, "")), str(b["fields"].get(k, ""))] for k in keys]]))
        con.print(table("Comparisons", ["field", "level", "weight", "Bayes factor"],
                        [[f, v["level"], f"{v['weight']:+.2f}", f"{v['bayes_factor']:g}"]
                         for f, v in data["explanation"].get("fields", {}).items()]))

    emit(data, human)


def _verdict(action: str, pair: str, case_ref: str | None, note: str) -> None:
    ref = _case(case_ref)
    ws = state().ws()
    with ws.session() as s:
        v = review.decide(s, ws.actor, ref, pair, action, note)
    data = {"pair": v.pair, "verdict": v.verdict, "subjects": v.subjects, "decision": v.decision}
    say = (f"Pair {pair}: the same person; merged {v.subjects[1]} into {v.subjects[0]}" if action == "accept"
           else f"Pair {pair}: different people; {v.subjects[0]} and {v.subjects[1]} stay apart in later runs")
    emit(data, lambda con: con.print(say, markup=False))


@review_group.command("accept")
@click.argument("pair")
@click.option("--case", "case_ref", help="The case.")
@click.option("--note", default="", help="Why (kept in the decision and the audit log).")
@json_option
def review_accept(pair: str, case_ref: str | None, note: str) -> None:
    """PAIR is one person: merge the two subjects (later runs keep them together)."""
    _verdict("accept", pair, case_ref, note)


@review_group.command("reject")
@click.argument("pair")
@click.option("--case", "case_ref", help="The case.")
@click.option("--note", default="", help="Why (kept in the decision and the audit log).")
@json_option
def review_reject(pair: str, case_ref: str | None, note: str) -> None:
    """PAIR is two people: later runs keep the two records in different subjects."""
    _verdict("reject", pair, case_ref, note)


@click.group(cls=TasmanGroup)
def subject() -> None:
    """List and show subjects; confirm, split and merge them."""


@subject.command("list")
@click.option("--case", "case_ref", required=True)
@click.option("--min-records", type=click.IntRange(min=1), default=1, show_default=True,
              help="Only subjects with this many records.")
@click.option("--limit", type=click.IntRange(min=1), help="Show at most this many (largest first).")
@click.option("--all", "include_retired", is_flag=True, help="Include retired subjects.")
@json_option
def list_(case_ref: str, min_records: int, limit: int | None, include_retired: bool) -> None:
    """List the subjects of CASE, largest first."""
    ws = state().ws()
    with ws.session() as s:
        rows = [x.as_dict() for x in list_subjects(s, ws.actor, case_ref, include_retired, min_records, limit)]

    def human(con: Out) -> None:
        con.print(table(f"Subjects of {case_ref}", ["subject", "name", "records", "status", "emails", "phones"],
                        [[r["ref"], r["name"], r["records"], r["status"],
                          ", ".join(r["identifiers"].get("emails", [])[:2]),
                          ", ".join(r["identifiers"].get("phones", [])[:2])] for r in rows]))

    emit(rows, human)


@subject.command("show")
@click.argument("ref", metavar="SUBJECT")
@click.option("--case", "case_ref", required=True)
@json_option
def show(ref: str, case_ref: str) -> None:
    """Show SUBJECT: its records, the links (with the fields that agreed) that join them, and
    what the person said about themselves in chats and quoted tips (with the pattern that read it)."""
    ws = state().ws()
    with ws.session() as s:
        data = show_subject(s, ws.actor, case_ref, ref).as_dict()

    def human(con: Out) -> None:
        con.print(f"{data['ref']} {data['name']} [{data['status']}] {plural(data['records'], 'record')}", markup=False)
        for k, v in data["identifiers"].items():
            con.print(f"  {k}: {', '.join(v)}", markup=False)
        con.print(table("Records", ["record", "kind", "fields"],
                        [[m["party"], m["kind"], "; ".join(f"{k}={v}" for k, v in m["fields"].items()
                                                           if k != "identifiers")]
                         for m in data["members"]]))
        rows = []
        for lk in data["links"]:
            ex = lk["explanation"]
            why = ", ".join(f"{s['field']}={s['value']}" for s in ex.get("shared", [])) or ", ".join(
                f"{f} ({v['level']}, {v['weight']:+.1f})" for f, v in ex.get("fields", {}).items()
                if f in ex.get("agreed", []) or f == PLACE_FIELD)  # and what the place lost, if anything
            rows.append([lk["a"], lk["b"], lk["rule"], f"{lk['match_weight']:.1f}", why or ex.get("decision", "")])
        con.print(table("Why they are linked", ["record", "record", "rule", "weight", "agreed"], rows))
        if data["stated"]:
            con.print(table("What they said about themselves", ["record", "kind", "value", "as written", "where",
                                                                "pattern"],
                            [[st["party"], st["kind"], st["value"], st["raw"], _where(st), st["pattern"]]
                             for st in data["stated"]]))

    emit(data, human)


def _where(stated: dict[str, Any]) -> str:
    """Where a stated fact was read: a chat's message (its index in the session, from 0) or a tip's field."""
    if stated.get("message") is not None:
        return f"message {stated['message']}"
    return str(stated.get("where") or "")


@subject.command("confirm")
@click.argument("ref", metavar="SUBJECT")
@click.option("--case", "case_ref", required=True)
@click.option("--note", default="", help="Why (kept in the decision and the audit log).")
@json_option
def confirm(ref: str, case_ref: str, note: str) -> None:
    """Confirm SUBJECT: later runs keep its records together."""
    ws = state().ws()
    with ws.session() as s:
        subj = decisions.confirm(s, ws.actor, case_ref, ref, note)
        data = {"ref": subj.ref, "status": subj.status}
    emit(data, lambda con: con.print(f"Confirmed {ref}"))


@subject.command("split")
@click.argument("ref", metavar="SUBJECT")
@click.argument("records", nargs=-1, required=True)
@click.option("--case", "case_ref", required=True)
@click.option("--note", default="")
@json_option
def split(ref: str, records: tuple[str, ...], case_ref: str, note: str) -> None:
    """Split RECORDS (SOURCE#ID as 'subject show' lists them) off SUBJECT into a new subject;
    later runs keep the two apart."""
    ws = state().ws()
    with ws.session() as s:
        kept, new = decisions.split(s, ws.actor, case_ref, ref, list(records), note)
        data = {"kept": kept.ref, "new": new.ref}
    emit(data, lambda con: con.print(f"Split {plural(len(records), 'record')} off {ref} into {data['new']}"))


@subject.command("merge")
@click.argument("refs", metavar="SUBJECT...", nargs=-1, required=True)
@click.option("--case", "case_ref", required=True)
@click.option("--note", default="")
@json_option
def merge(refs: tuple[str, ...], case_ref: str, note: str) -> None:
    """Merge SUBJECTs into the first; later runs keep them together."""
    ws = state().ws()
    with ws.session() as s:
        target = decisions.merge(s, ws.actor, case_ref, list(refs), note)
        data = {"ref": target.ref, "merged": list(refs[1:])}
    emit(data, lambda con: con.print(f"Merged {', '.join(refs[1:])} into {data['ref']}"))


@click.command("subjects")
@click.option("--case", "case_ref", required=True)
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="CSV file to write.")
@json_option
def export_subjects_cmd(case_ref: str, out: Path) -> None:
    """Write one row per record: subject_id,source,source_id, the subject's name and identifiers,
    and country,confidence (filled by attribution)."""
    ws = state().ws()
    with ws.session() as s:
        n = export_subjects(s, ws.actor, case_ref, out)
    emit({"rows": n, "out": str(out)}, lambda con: con.print(f"Wrote {plural(n, 'row')} to {out}"))
