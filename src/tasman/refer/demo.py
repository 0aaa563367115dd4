"""The demo's attribution and referral step: attribute the case's subjects, give each country
(of a subject or of an alerted money-trail party) a made-up partner agency with its own keys,
build the packages, play one partner opening its package and reporting outcomes back, and write
the operation summary. Skips (with a line saying why) when the case has neither subjects nor
money-trail parties."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from tasman.attribute import attribute_case
from tasman.core.models import Case
from tasman.core.workspace import Workspace
from tasman.evidence import create_case
from tasman.link.models import Subject
from tasman.refer import agencies, keys
from tasman.refer.models import ReceivedPackage
from tasman.refer.money import money_by_country
from tasman.refer.outcomes import import_outcome, report_outcome
from tasman.refer.service import import_package, refer_case
from tasman.refer.summary import build_summary, to_csv, to_html


def referral_demo(ws: Workspace, case_ref: str, partners_dir: Path) -> list[str]:
    with ws.session() as s:
        n = s.scalar(select(func.count()).select_from(Subject).join(Case, Case.id == Subject.case_id)
                     .where(Case.ref == case_ref))
        found = money_by_country(s, case_ref, ws.actor)
    money = {cc: sum(p.role == "beneficiary" for p in ps) for cc, ps in found.items()}  # country -> beneficiaries
    if not n and not money:
        return ["attribution and referral skipped: the case has no subjects (linking has not run) "
                "and no alerted money-trail parties"]
    steps = []
    countries = set(money)
    if n:
        with ws.session() as s:
            run = attribute_case(s, ws.actor, case_ref)
        steps.append(f"attributed {run.attributed} of {run.subjects} subjects: "
                     + ", ".join(f"{cc} {k}" for cc, k in sorted(run.by_country.items())))
        countries |= set(run.by_country)
    if not countries:
        return [*steps, "referral skipped: no subject could be attributed"]
    local = keys.load(ws.root) if (ws.root / keys.KEYS_DIR / keys.SIGNING_FILE).exists() else \
        keys.generate(ws.root, "Demo Hotline Unit", ["GB"], "demo-unit@example.invalid")
    partner_keys: dict[str, tuple[Path, keys.LocalKeys]] = {}
    with ws.session() as s:
        for cc in sorted(countries):
            root = partners_dir / cc
            root.mkdir(parents=True, exist_ok=True)
            theirs = keys.generate(root, f"Demo agency {cc}", [cc], f"{cc.lower()}@example.invalid")
            if agencies.for_country(s, cc) is None:
                agencies.add_agency(s, ws.actor, theirs.name, [cc], theirs.age_recipient, theirs.public_key,
                                    theirs.contact)
            partner_keys[cc] = (root, theirs)
    with ws.session() as s:
        built = refer_case(s, ws.actor, case_ref, ws.out_dir("packages"), local, "amber")
    n_money = sum(b["money_parties"] for b in built.built)
    steps.append(f"built {len(built.built)} signed, encrypted packages in {ws.out_dir('packages')}"
                 + (f", {n_money} alerted money-trail parties each in its own country's package" if n_money else ""))
    if not built.built:
        return steps
    # a partner opens a package: one with subjects (it reports outcomes on them), else a facilitator's country's
    first = sorted(built.built, key=lambda b: (b["subjects"] == 0, -money.get(b["country"], 0), b["country"]))[0]
    cc = first["country"]
    root, theirs = partner_keys[cc]
    partner = Workspace.init(root / "workspace", actor=f"demo-{cc.lower()}")
    try:
        with partner.session() as s:
            create_case(s, partner.actor, f"{cc}-REFERRAL")
            agencies.add_agency(s, partner.actor, local.name, list(local.countries), local.age_recipient,
                                local.public_key, local.contact)
            got = import_package(s, partner.actor, f"{cc}-REFERRAL", Path(first["file"]), theirs.age_identity)
            refs = list(s.scalars(select(ReceivedPackage)).one().record_map)
            signed = report_outcome(s, partner.actor, f"{cc}-REFERRAL", first["package_id"], [
                {"subject_ref": refs[0], "status": "acknowledged", "date": date.today()},
                {"subject_ref": refs[0], "status": "arrested", "date": date.today(),
                 "note": "demo: not a real outcome"},
            ], theirs) if refs else None
    finally:
        partner.close()
    steps.append(f"demo agency {cc} verified, opened and imported {first['package_id']} "
                 f"({got['subjects']} subjects, {got['money_parties']} money-trail parties)")
    if signed is None:
        steps.append("outcome round trip skipped: outcomes are reported per subject and that package has none")
    else:
        report = root / "outcome-1.json"
        report.write_text(json.dumps(signed.model_dump(mode="json"), indent=2), encoding="utf-8")
        with ws.session() as s:
            import_outcome(s, ws.actor, case_ref, report)
    with ws.session() as s:
        summary = build_summary(s, ws.actor, case_ref)
    ws.out_dir().joinpath("summary.html").write_text(to_html(summary), encoding="utf-8")
    ws.out_dir().joinpath("summary.csv").write_text(to_csv(summary), encoding="utf-8")
    steps.append(f"summary: {summary.total.packages} packages, {summary.total.acknowledged} acknowledged, "
                 f"{summary.total.arrested} arrested (out/summary.html)")
    return steps
