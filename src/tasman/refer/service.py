"""``tasman refer`` and ``tasman package``: build, verify, open and import packages.

Packages are frozen: a built version is never rewritten. Re-running ``refer`` builds version
N+1 of a country's package only when what it would say changed (subjects, records, evidence,
attribution, money parties, recipient or TLP); otherwise the country is reported as unchanged.
A country gets a package when it has attributed subjects or alerted money-trail parties.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tasman import __version__
from tasman.core import anchor, audit
from tasman.core.errors import AlreadyExistsError, InputError, IntegrityError, NotFoundError, NothingToDo
from tasman.core.models import Case
from tasman.core.timeutil import iso, utcnow
from tasman.evidence import get_case
from tasman.link.models import Subject
from tasman.money.document import Party
from tasman.records.store import store_records
from tasman.refer import agencies
from tasman.refer.build import subject_entries
from tasman.refer.container import Checked, Opened, check, decrypt, write_folder, write_package
from tasman.refer.document import HANDLING, TLPS, AgencyInfo, PackageDocument
from tasman.refer.keys import LocalKeys
from tasman.refer.models import ReceivedPackage, ReferralPackage
from tasman.refer.money import money_by_country, money_entries


@dataclass
class ReferSummary:
    built: list[dict[str, Any]] = field(default_factory=list)      # package_id, country, version, subjects,
    #                                                                money_parties, file
    unchanged: list[dict[str, Any]] = field(default_factory=list)  # country, package_id (latest)
    skipped: list[dict[str, Any]] = field(default_factory=list)    # country, why
    unattributed: list[str] = field(default_factory=list)          # subject refs without a country


def series_of(case_ref: str, country: str) -> str:
    return f"{case_ref}-{country}"


def refer_case(session: Session, actor: str, case_ref: str, out_dir: Path, keys: LocalKeys, tlp: str = "amber",
               countries: list[str] | None = None, min_confidence: float = 0.0,
               progress: Callable[[int, int], None] | None = None) -> ReferSummary:
    """One package per country with attributed subjects or money-trail parties; ``progress(done,
    total)`` after each country. Nothing to refer raises ``NothingToDo`` before anything is written."""
    if tlp not in TLPS:
        raise InputError(f"unknown TLP {tlp!r}: use one of {', '.join(TLPS)}")
    case = get_case(session, case_ref)
    wanted = set(agencies.parse_countries(countries)) if countries else None   # a typo is refused, not ignored
    subjects = list(session.scalars(select(Subject).where(Subject.case_id == case.id).order_by(Subject.ref)))
    summary = ReferSummary(unattributed=[s.ref for s in subjects if not s.country])
    by_country: dict[str, list[Subject]] = {}
    for s in subjects:
        if s.country and (s.confidence is None or s.confidence >= min_confidence):
            by_country.setdefault(s.country, []).append(s)
    money = money_by_country(session, case_ref, actor)
    targets = [cc for cc in sorted({*by_country, *money}) if wanted is None or cc in wanted]
    if not targets:
        raise NothingToDo(_nothing_to_refer(case.ref, subjects))
    out_dir.mkdir(parents=True, exist_ok=True)
    head = anchor.make(session, keys, "refer").head   # the head every package carries, signed and stored
    sender = AgencyInfo(name=keys.name, countries=list(keys.countries), contact=keys.contact,
                        key_fingerprint=keys.fingerprint)
    written: list[Path] = []
    try:
        for done, cc in enumerate(targets, 1):
            _refer_country(session, actor, case, cc, by_country.get(cc, []), money, out_dir, keys, tlp, sender,
                           head, summary, written)
            if progress is not None:
                progress(done, len(targets))
    except BaseException:
        for path in written:  # the transaction rolls back: no row may be missing for a file left behind
            path.unlink(missing_ok=True)
        raise
    return summary


def _nothing_to_refer(case_ref: str, subjects: list[Subject]) -> str:
    """Why no package can be built, naming what is missing and what adds it."""
    attributed = sum(1 for s in subjects if s.country)
    if not subjects:
        why = f"case {case_ref} has no subjects and no money-trail parties; make subjects with `tasman link`"
    elif not attributed:
        why = (f"none of case {case_ref}'s {len(subjects)} subjects has a country; "
               f"run `tasman attribute --case {case_ref}` first")
    else:           # every attributed subject is left out by --country or --min-confidence
        why = f"no subject of case {case_ref} is attributed to the countries and confidence asked for"
    return f"nothing to refer: {why}"


def _refer_country(session: Session, actor: str, case: Case, cc: str, subjects: list[Subject],
                   money: dict[str, list[Party]], out_dir: Path, keys: LocalKeys, tlp: str, sender: AgencyInfo,
                   head: str, summary: ReferSummary, written: list[Path]) -> None:
    case_ref = case.ref
    agency = agencies.for_country(session, cc)
    if agency is None:
        summary.skipped.append({"country": cc, "why": f"no agency for {cc} in the directory ('tasman agency add')"})
        return
    last = session.scalars(select(ReferralPackage).where(ReferralPackage.case_id == case.id,
                                                         ReferralPackage.country == cc)
                           .order_by(ReferralPackage.version.desc()).limit(1)).first()
    version = last.version + 1 if last else 1
    series = series_of(case_ref, cc)
    doc = PackageDocument(
        package_id=f"{series}-v{version}", series=series, version=version,
        supersedes=last.package_id if last else None, created_at=iso(utcnow()), generator=f"tasman {__version__}",
        tlp=tlp,  # type: ignore[arg-type]
        handling=HANDLING[tlp], country=cc, case_ref=case_ref, sender=sender,
        recipient=AgencyInfo(name=agency.name, countries=agency.countries, contact=agency.contact,
                             key_fingerprint=agency.fingerprint or None),
        audit_head=head, subjects=subject_entries(session, case.id, subjects),
        money_parties=money_entries(money, cc, {s.ref for s in subjects}),
    )
    digest = doc.content_digest()
    if last is not None and last.content_digest == digest:
        summary.unchanged.append({"country": cc, "package_id": last.package_id})
        return
    path = out_dir / f"{doc.package_id}.tasman"
    if path.exists():
        raise AlreadyExistsError(f"{path} exists and packages are never overwritten; move it or use another --out")
    file_sha = write_package(path, doc, keys, agency.name, agency.age_recipient)
    written.append(path)
    refs = [s.ref for s in doc.subjects]
    parties = [p.key for p in doc.money_parties]
    session.add(ReferralPackage(case_id=case.id, country=cc, version=version, package_id=doc.package_id,
                                agency=agency.name, tlp=tlp, content_digest=digest, file_name=path.name,
                                file_sha256=file_sha, subjects=refs, document=doc.model_dump(mode="json"),
                                created_by=actor))
    session.flush()
    audit.record(session, actor, "refer.package", case_ref=case_ref, target=doc.package_id, country=cc,
                 agency=agency.name, subjects=refs, money_parties=parties, file_sha256=file_sha, tlp=tlp)
    summary.built.append({"package_id": doc.package_id, "country": cc, "version": version,
                          "agency": agency.name, "subjects": len(refs), "money_parties": len(parties),
                          "file": str(path), "sha256": file_sha})


def list_packages(session: Session, actor: str, case_ref: str) -> list[ReferralPackage]:
    case = get_case(session, case_ref)
    rows = list(session.scalars(select(ReferralPackage).where(ReferralPackage.case_id == case.id)
                                .order_by(ReferralPackage.country, ReferralPackage.version)))
    audit.record(session, actor, "package.list", case_ref=case_ref, count=len(rows))
    return rows


def get_package(session: Session, case: Case, package_id: str) -> ReferralPackage:
    """A package of the case by its id (not audited: the caller audits what it does with it)."""
    found = session.scalar(select(ReferralPackage).where(ReferralPackage.case_id == case.id,
                                                         ReferralPackage.package_id == package_id))
    if found is None:
        raise NotFoundError(f"no package {package_id!r} in case {case.ref!r}")
    return found


def signer_status(session: Session | None, checked: Checked) -> dict[str, Any]:
    """Who signed, and whether the local directory knows that key."""
    out: dict[str, Any] = {"package_id": checked.envelope["package_id"], "signer": checked.signer,
                           "fingerprint": checked.fingerprint, "country": checked.envelope["country"],
                           "tlp": checked.envelope["tlp"], "recipient": checked.envelope["recipient"]["name"],
                           "file_sha256": checked.file_sha256, "known": None}
    if session is None:
        return out
    known = agencies.by_fingerprint(session, checked.fingerprint)
    same_name = next((a for a in agencies.list_agencies(session) if a.name == checked.signer), None)
    if known is None and same_name is not None and same_name.fingerprint:
        raise IntegrityError(f"package claims to be from {checked.signer!r}, but that agency's key in the "
                             f"directory is {same_name.fingerprint}, not {checked.fingerprint}")
    out["known"] = known is not None
    if known is not None:
        out["directory_name"] = known.name
    return out


def verify(session: Session | None, actor: str, path: Path) -> dict[str, Any]:
    checked = check(path)
    status = signer_status(session, checked)
    if session is not None:
        audit.record(session, actor, "package.verify", target=path.name, package_id=status["package_id"],
                     fingerprint=status["fingerprint"], known=status["known"])
    return status


def _refuse_unknown(path: Path, checked: Checked, status: dict[str, Any], allow_unknown_sender: bool) -> None:
    """Anyone can sign a package: only the agency directory says who a sender is."""
    if status["known"] or allow_unknown_sender:
        return
    where = "is not in the agency directory" if status["known"] is False else \
        "cannot be checked without a workspace's agency directory"
    raise IntegrityError(f"{path.name} is signed by {checked.signer!r} with key {checked.fingerprint}, which "
                         f"{where}: add the sender ('tasman agency add/import') or pass --allow-unknown-sender")


def open_to(session: Session | None, actor: str, path: Path, age_identity: str, out_dir: Path,
            allow_unknown_sender: bool = False) -> dict[str, Any]:
    """Verify, decrypt and write a package's members to ``OUT/PACKAGE_ID/``.

    A sender whose key is not in the agency directory (or any sender, without a workspace) is
    refused unless ``allow_unknown_sender``; that is decided before anything is decrypted. Only
    the known member names are written, into a new child folder of ``out_dir``
    (:func:`tasman.refer.container.write_folder`)."""
    checked = check(path)
    status = signer_status(session, checked)
    _refuse_unknown(path, checked, status, allow_unknown_sender)
    opened = decrypt(checked, age_identity)
    target = write_folder(out_dir, opened.document.package_id, opened.files)
    if session is not None:
        audit.record(session, actor, "package.open", target=path.name, package_id=status["package_id"],
                     fingerprint=status["fingerprint"], known=status["known"], out=str(target))
    return {**status, "out": str(target), "files": sorted(opened.files), "subjects": len(opened.document.subjects)}


def import_package(session: Session, actor: str, case_ref: str, path: Path, age_identity: str,
                   allow_unknown_sender: bool = False) -> dict[str, Any]:
    """Load a received package into our case: its records (as new sources named after the
    sender and package series, keeping the sender's source#id) and the whole document.

    A package signed by a key that is not in our agency directory is refused unless
    ``allow_unknown_sender``: anyone can sign, so only the directory says who a sender is; a
    known key's package is stored under the directory's name for it, whatever name it claims."""
    case = get_case(session, case_ref)
    checked = check(path)
    status = signer_status(session, checked)
    _refuse_unknown(path, checked, status, allow_unknown_sender)
    opened: Opened = decrypt(checked, age_identity)
    doc = opened.document
    if session.scalar(select(ReceivedPackage).where(ReceivedPackage.case_id == case.id,
                                                    ReceivedPackage.package_id == doc.package_id)):
        raise AlreadyExistsError(f"package {doc.package_id!r} is already imported into case {case_ref!r}")
    sender = status.get("directory_name") or doc.sender.name   # a known key: the directory's name, not the claimed one
    by_source: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = {}
    owners: dict[tuple[str, str], str] = {}
    for s in doc.subjects:
        for r in s.records:
            src = f"{sender}/{doc.series}/{r.source}"[:300]
            by_source.setdefault((src, r.kind), []).append((r.source_id, dict(r.fields)))
            owners[(src, r.source_id)] = s.ref
    from tasman.core.models import Record

    added = 0
    for (src, kind), rows in sorted(by_source.items()):
        added += store_records(session, actor, case_ref, kind, src, rows).added
    record_map: dict[str, list[int]] = {}
    for src, _kind in by_source:
        for rec in session.scalars(select(Record).where(Record.case_id == case.id, Record.source == src)):
            owner = owners.get((src, rec.source_id))
            if owner:
                record_map.setdefault(owner, []).append(rec.id)
    session.add(ReceivedPackage(case_id=case.id, package_id=doc.package_id, series=doc.series, version=doc.version,
                                sender=sender, sender_fingerprint=opened.checked.fingerprint,
                                file_sha256=opened.checked.file_sha256, record_map=record_map,
                                document=doc.model_dump(mode="json"), received_by=actor))
    session.flush()
    audit.record(session, actor, "package.import", case_ref=case_ref, target=doc.package_id,
                 sender=sender, fingerprint=opened.checked.fingerprint, known=status["known"],
                 subjects=len(doc.subjects), money_parties=len(doc.money_parties), records_added=added)
    return {**status, "case": case_ref, "subjects": len(doc.subjects), "money_parties": len(doc.money_parties),
            "records_added": added}


def received(session: Session, case_ref: str, package_id: str) -> ReceivedPackage:
    case = get_case(session, case_ref)
    row = session.scalar(select(ReceivedPackage).where(ReceivedPackage.case_id == case.id,
                                                       ReceivedPackage.package_id == package_id))
    if row is None:
        n = session.scalar(select(func.count()).select_from(ReceivedPackage).where(ReceivedPackage.case_id == case.id))
        raise NotFoundError(f"no received package {package_id!r} in case {case_ref!r} ({n} imported)")
    return row
