"""The demo's attribution and referral step: attribute the case's subjects, give each country a
made-up partner agency with its own keys, build the packages, play one partner opening its
package and reporting outcomes back, and write the operation summary. Skips (with a line
saying why) when the case has no subjects yet."""

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
from tasman.refer.outcomes import import_outcome, report_outcome
from tasman.refer.service import import_package, refer_case
from tasman.refer.summary import build_summary, to_csv, to_html


def referral_demo(ws: Workspace, case_ref: str, partners_dir: Path) -> list[str]:
    with ws.session() as s:
        n = s.scalar(select(func.count()).select_from(Subject).join(Case, Case.id == Subject.case_id)
                     .where(Case.ref == case_ref))
    if not n:
        return ["attribution and referral skipped: the case has no subjects yet (linking has not run)"]
    steps = []
    with ws.session() as s:
        run = attribute_case(s, ws.actor, case_ref)
    steps.append(f"attributed {run.attributed} of {run.subjects} subjects: "
                 + ", ".join(f"{cc} {k}" for cc, k in sorted(run.by_country.items())))
    if not run.by_country:
        return [*steps, "referral skipped: no subject could be attributed"]
    local = keys.load(ws.root) if (ws.root / keys.KEYS_DIR / keys.SIGNING_FILE).exists() else \
        keys.generate(ws.root, "Demo Hotline Unit", ["GB"], "demo-unit@example.invalid")
    partner_keys: dict[str, tuple[Path, keys.LocalKeys]] = {}
    with ws.session() as s:
        for cc in sorted(run.by_country):
            root = partners_dir / cc
            root.mkdir(parents=True, exist_ok=True)
            theirs = keys.generate(root, f"Demo agency {cc}", [cc], f"{cc.lower()}@example.invalid")
            if agencies.for_country(s, cc) is None:
                agencies.add_agency(s, ws.actor, theirs.name, [cc], theirs.age_recipient, theirs.public_key,
                                    theirs.contact)
            partner_keys[cc] = (root, theirs)
    with ws.session() as s:
        built = refer_case(s, ws.actor, case_ref, ws.out_dir("packages"), local, "amber")
    steps.append(f"built {len(built.built)} signed, encrypted packages in {ws.out_dir('packages')}")
    first = built.built[0]
    cc = first["country"]
    root, theirs = partner_keys[cc]
    partner = Workspace.init(root / "workspace", actor=f"demo-{cc.lower()}")
    try:
        with partner.session() as s:
            create_case(s, partner.actor, f"{cc}-REFERRAL")
            import_package(s, partner.actor, f"{cc}-REFERRAL", Path(first["file"]), theirs.age_identity)
            ref = next(iter(s.scalars(select(ReceivedPackage)).one().record_map))
            signed = report_outcome(s, partner.actor, f"{cc}-REFERRAL", first["package_id"], [
                {"subject_ref": ref, "status": "acknowledged", "date": date.today()},
                {"subject_ref": ref, "status": "arrested", "date": date.today(), "note": "demo: not a real outcome"},
            ], theirs)
        report = root / "outcome-1.json"
        report.write_text(json.dumps(signed.model_dump(mode="json"), indent=2), encoding="utf-8")
    finally:
        partner.close()
    with ws.session() as s:
        import_outcome(s, ws.actor, case_ref, report)
        summary = build_summary(s, ws.actor, case_ref)
    ws.out_dir().joinpath("summary.html").write_text(to_html(summary), encoding="utf-8")
    ws.out_dir().joinpath("summary.csv").write_text(to_csv(summary), encoding="utf-8")
    steps.append(f"demo agency {cc} opened {first['package_id']} and reported back; summary: "
                 f"{summary.total.packages} packages, {summary.total.acknowledged} acknowledged, "
                 f"{summary.total.arrested} arrested (out/summary.html)")
    return steps

