"""The demo: the main job end to end on generated benign data with embedded SQLite.

Each stage adds its step here as it lands; ``tasman demo`` and ``make demo`` run it.
"""

from __future__ import annotations

import csv
import io
import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tasman.accounts import store as accounts
from tasman.core.errors import InputError
from tasman.core.workspace import CONFIG_NAME, Workspace
from tasman.evidence import add_evidence, create_case
from tasman.extract.runner import extract_case
from tasman.link.run import run_link
from tasman.money.importer import import_transactions
from tasman.money.run import analyse_case
from tasman.records.importing import import_file
from tasman.records.store import store_records
from tasman.refer.demo import referral_demo
from tasman.report import write_case_report
from tasman.synth.corpus import Corpus, make_corpus
from tasman.synth.images import draw_picture
from tasman.synth.transfers import generate_transfers, write_goaml
from tasman.synth.triage_set import TriageSet, make_triage_set
from tasman.tips import intake as tips
from tasman.tips.vault import TipVault, serve_dir
from tasman.triage.hashsets.store import import_hashset
from tasman.triage.run import TriageOptions, run_triage

MARKER = ".tasman-demo"
CASE_REF = "DEMO-1"
DEMO_USER = "demo-admin"


@dataclass
class DemoResult:
    root: Path
    workspace: Path
    report: Path
    steps: list[str] = field(default_factory=list)
    triage_report: Path | None = None
    money: Path | None = None


def _prepare(root: Path) -> None:
    if root.exists():
        if (root / MARKER).exists():
            shutil.rmtree(root)
        elif any(root.iterdir()):
            raise InputError(f"{root} exists and is not an earlier demo folder; choose another folder")
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text("made by tasman demo; safe to delete\n", encoding="utf-8")


def _triage_step(ws: Workspace, seized: TriageSet, result: DemoResult) -> None:
    """Seized media (folder, nested archive, FAT card image with a deleted picture) against a generated list."""
    with ws.session() as s:
        listed = import_hashset(s, ws.actor, seized.hashlist, "demo-known")
    result.steps.append(f"imported hash list {seized.hashlist.name} as 'demo-known' ({listed.entries} entries)")
    evidence = [seized.items[k] for k in ("folder", "archive", "disk")]
    run = run_triage(ws, CASE_REF, evidence, TriageOptions(hashsets=("demo-known",), workers=0))
    c = run.counts
    result.triage_report = run.outputs["report_html"]
    result.steps.append(f"triaged {c['files']} files ({c['pictures']} pictures, {c['videos']} video(s), "
                        f"{c['deleted']} deleted): {c['matched_files']} matched, {c['errors']} unreadable")
    result.steps.append(f"triage report: {result.triage_report}")


def _money_step(ws: Workspace, data: Path, result: DemoResult) -> None:
    """Generated transfers (goAML) and chat sessions in, money trails out."""
    corpus = generate_transfers(200, seed=5, facilitator_share=0.02)
    report = write_goaml(corpus.transfers, data / "transfers-goaml.xml")
    with ws.session() as s:
        imported = import_transactions(s, ws.actor, CASE_REF, report, "goaml")
        store_records(s, ws.actor, CASE_REF, "chats", "chat-sessions.jsonl",
                      [(c["record_id"], c) for c in corpus.chats])
    result.steps.append(f"imported {imported.added} generated transfers from {report.name}")
    with ws.session() as s:
        money = analyse_case(s, ws.actor, CASE_REF, out_dir=ws.out_dir(CASE_REF, "money"))
    result.money = money.out_dir / "money.html"
    result.steps.append(f"money trails: {money.stats['alerted_beneficiaries']} of {money.stats['beneficiaries']} "
                        f"beneficiaries alerted; outputs in {money.out_dir}")


def _extract_step(ws: Workspace, result: DemoResult) -> None:
    """Identifiers from every inventoried file and every imported record."""
    run = extract_case(ws, CASE_REF, workers=1)
    kinds = ", ".join(sorted(run.by_type))
    result.steps.append(f"extracted {run.added} identifiers from {run.files} files and {run.records} records "
                        f"({kinds})")


def _owner_of_pictures(corpus: Corpus) -> tuple[str, float] | None:
    """A sender (with an e-mail address) of the beneficiary most senders pay, and a time two hours
    after one of that sender's transfers: the demo writes them into a listed picture's EXIF and
    file time, so the money timeline shows a triage hit beside that sender's transfers."""
    with corpus.files["transfers.csv"][1].open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    def beneficiary(r: dict[str, str]) -> str:  # the name's words in any order: "Schter Mia" is "Mia Schter"
        return " ".join(sorted(r["beneficiary_name"].lower().split()))

    payers: dict[str, set[str]] = {}
    for r in rows:
        payers.setdefault(beneficiary(r), set()).add(r["sender_name"])
    ranked = sorted(rows, key=lambda r: -len(payers[beneficiary(r)]))
    for r in ranked:
        if r["sender_email"]:
            when = datetime.fromisoformat(r["timestamp"]).replace(tzinfo=UTC) + timedelta(hours=2)
            return r["sender_email"], when.timestamp()
    return None


def _link_step(ws: Workspace, corpus: Corpus, result: DemoResult) -> None:
    """Generated order lists, tips and transfers in (every record kind the checkout can read),
    identifiers extracted from them and the evidence, subjects out."""
    import importlib.util

    imported = 0
    for source, (kind, path) in corpus.files.items():
        if kind == "chats" and importlib.util.find_spec("tasman.extract.scan") is None:
            continue
        with ws.session() as s:
            rep = import_file(s, ws.actor, CASE_REF, path, kind)
        imported += rep.imported
        result.steps.append(f"imported {rep.imported} {kind} records from {source}")
    _extract_step(ws, result)
    with ws.session() as s:
        run = run_link(s, ws.actor, CASE_REF)
    st = run.stats
    result.steps.append(f"linked {st['parties']} parties (with the transfers above) into "
                        f"{st['subjects']} subjects ({st['links']} explained links)")


def _tip_screenshot() -> bytes:
    """The public tip's attachment: a drawn picture (PNG) whose hashes match nothing."""
    out = io.BytesIO()
    draw_picture(4242, (480, 360)).save(out, "PNG")
    return out.getvalue()


def run_demo(root: Path, say: Callable[[str], None] = lambda _m: None) -> DemoResult:
    root = root.resolve()
    _prepare(root)
    data = root / "data"
    corpus = make_corpus(data / "records", records=120, seed=3, countries=["GB", "PH", "DE"])
    owner = _owner_of_pictures(corpus)
    seized = make_triage_set(data / "seized", owner=owner[0] if owner else None,
                             owner_time=owner[1] if owner else None)
    say(f"generated benign evidence in {seized.root}")
    ws = Workspace.init(root / "workspace", db_url=f"sqlite:///{root / 'workspace' / 'tasman.db'}", actor="demo")
    assert (ws.root / CONFIG_NAME).exists()
    result = DemoResult(root=root, workspace=ws.root, report=ws.root / "out" / "report.html")
    with ws.session() as s:
        create_case(s, ws.actor, CASE_REF, "Demo: synthetic seized uploads")
    result.steps.append(f"created case {CASE_REF}")
    for key in ("folder", "archive", "disk"):
        with ws.session() as s:
            ev = add_evidence(s, ws.actor, CASE_REF, seized.items[key], custodian="Demo unit",
                              note="generated").evidence
            result.steps.append(f"recorded evidence {ev.name} sha256 {ev.sha256[:16]}...")
    _triage_step(ws, seized, result)
    _link_step(ws, corpus, result)
    _money_step(ws, data, result)
    result.steps += referral_demo(ws, CASE_REF, root / "partners")
    result.steps += _web_step(ws, CASE_REF, _tip_screenshot())
    with ws.session() as s:
        doc = write_case_report(s, ws.actor, CASE_REF, result.report)
    money = f" (money trails: {len(doc.money.chart)} beneficiaries charted)" if doc.money else ""
    result.steps.append(f"wrote the case report{money}: {result.report}")
    for step in result.steps:
        say(step)
    ws.close()
    return result


def _web_step(ws: Workspace, case_ref: str, screenshot_png: bytes) -> list[str]:
    """The web app's part: an account to sign in with, and one public tip received and imported.

    The password is random and written next to the workspace's other secrets (mode 0600), never
    printed; the tip carries the screenshot handed in (a procedurally drawn picture, so its hashes
    exist but match nothing). Through the library the web app calls (``accounts``, ``tips``)."""
    password = secrets.token_urlsafe(18)
    with ws.session() as s:
        accounts.create_user(s, ws.actor, DEMO_USER, "admin", password)
        accounts.add_member(s, ws.actor, case_ref, DEMO_USER)
    login = serve_dir(ws.root) / "demo-login.txt"
    fd = os.open(login, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"user: {DEMO_USER}\npassword: {password}\n")
    report = tips.TipInput(what="A made-up report for the demo: an account offered to trade pictures in a group.",
                           url="https://forum.example.invalid/t/1", platform="ExampleChat", username="demo_user_77",
                           seen_when="yesterday evening")
    with ws.session() as s:
        receipt = tips.submit_tip(s, TipVault(ws.root), report, [tips.Upload("screenshot.png", screenshot_png)])
    with ws.session() as s:
        tips.import_tip(s, ws.actor, receipt.ref, case_ref)
    return [f"public tip {receipt.ref} received (files hashed, stored encrypted, matching {receipt.match_status}) "
            f"and imported into {case_ref}",
            f"web app: tasman -w {ws.root} serve; sign in as {DEMO_USER}, password in {login}"]
