"""VICS 2.0 export (Project VIC's OData JSON) of a triage run or of a hash set, so categorised
hashes go back to Griffeye, XAMN and any tool that reads VICS, and ``tasman hashset import``
reads them back unchanged.

The document has the published examples' shape: ``@odata.context``, one case object under
``value`` with ``CaseID``, ``SourceApplicationName`` and ``Media``; per ``Media``: ``MediaID``,
``Category`` (Project VIC, 0-4), ``MD5`` and ``SHA1`` (upper-case hex), ``MediaSize``,
``MimeType``, ``IsPrecategorized``, ``Tags``, ``Comments``, ``MediaFiles`` (``FileName``,
``FilePath``, ``Deleted``) and ``AlternativeHashes`` (``SHA256``, ``PDQ``).

Categories are kept per scheme: ``Category`` is Project VIC's number; a list graded in another
scheme (UK CAID A/B/C, industry, baseline) keeps its own label as a ``Tags`` entry
``<scheme>:<label>`` (``caid:B``), which the VICS reader puts back in ``source_category``.

Guarantees: only what triage found and a person may rely on leaves: exact matches, and
perceptual, crop and video matches an examiner confirmed (unreviewed ones are counted, declined
ones left out); known-good matches are left out. Files with the same content are one ``Media``
with several ``MediaFiles``, whose ``FilePath`` keeps the ``!/`` chain of containers. The file
is written to a temporary name and moved into place, so a failed export leaves no half file;
the export is audited. No media, ever: hashes, names and paths only."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.core import audit
from tasman.core.errors import InputError, NotFoundError
from tasman.core.models import Artifact
from tasman.evidence import get_case
from tasman.triage.hashsets.models import HashSet, HashSetEntry
from tasman.triage.hashsets.store import get_hashset
from tasman.triage.models import TriageMatch, TriageRun
from tasman.triage.results import latest_reviews

CONTEXT = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata#Media"
APPLICATION = "Tasman"
FLAGS = ("VictimIdentified", "OffenderIdentified", "IsDistributed", "SelfGenerated")
PRECEDENCE = (1, 2, 3, 4, 0)        # the category a Media gets when its files' matches disagree


@dataclass(frozen=True)
class VicsExport:
    file: str
    media: int
    files: int
    awaiting_review: int = 0        # perceptual matches no examiner has confirmed: not exported
    without_md5: int = 0            # Media written without the MD5 VICS expects (PDQ- or SHA-256-only entries)
    by_category: dict[str, int] = field(default_factory=dict)


def scheme_tag(scheme: str, label: str) -> str:
    return f"{scheme.lower()}:{label}"


def media_record(media_id: int, *, md5: str | None, sha1: str | None, sha256: str | None = None,
                 pdq: str | None = None, category: int | None = None, size: int | None = None,
                 mime: str | None = None, tags: Iterable[str] = (), files: Iterable[dict[str, Any]] = (),
                 extra: dict[str, Any] | None = None) -> dict[str, Any]:
    rec: dict[str, Any] = {"MediaID": media_id}
    if category is not None:
        rec["Category"] = category
    if md5:
        rec["MD5"] = md5.upper()
    if sha1:
        rec["SHA1"] = sha1.upper()
    if size is not None:
        rec["MediaSize"] = size
    if mime:
        rec["MimeType"] = mime
    rec["IsPrecategorized"] = category is not None
    for flag in FLAGS:
        if extra and isinstance(extra.get(flag), bool):
            rec[flag] = extra[flag]
    if extra and extra.get("Series"):
        rec["Series"] = str(extra["Series"])
    rec["Tags"] = sorted(set(tags))
    rec["Comments"] = ""
    rec["MediaFiles"] = list(files)
    alt = [{"HashName": "SHA256", "HashValue": sha256}] if sha256 else []
    alt += [{"HashName": "PDQ", "HashValue": pdq}] if pdq else []
    if alt:
        rec["AlternativeHashes"] = alt
    if extra and extra.get("PhotoDNA"):
        rec["PhotoDNA"] = extra["PhotoDNA"]
    return rec


def write_document(out: Path, case_id: str, media: Iterable[dict[str, Any]]) -> tuple[int, int, dict[str, int]]:
    """Stream the document to ``out`` (through a temporary file): (media, files, per category)."""
    tmp = out.with_name(out.name + ".part")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            counted = _write(fh, case_id, media)
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"cannot write {str(out)!r}: {exc.strerror or exc}") from None
    return counted


def _write(fh: TextIO, case_id: str, media: Iterable[dict[str, Any]]) -> tuple[int, int, dict[str, int]]:
    head = {"@odata.context": CONTEXT}
    fh.write(json.dumps(head, indent=1)[:-2] + ',\n "value": [\n  {\n')
    fh.write(f'   "CaseID": {json.dumps(case_id)},\n   "SourceApplicationName": "{APPLICATION}",\n   "Media": [')
    n = files = 0
    per: dict[str, int] = {}
    for rec in media:
        fh.write(",\n    " if n else "\n    ")
        fh.write(json.dumps(rec, ensure_ascii=False))
        n += 1
        files += len(rec.get("MediaFiles", []))
        key = str(rec.get("Category", "none"))
        per[key] = per.get(key, 0) + 1
    fh.write("\n   ]\n  }\n ]\n}\n")
    return n, files, per


def _file_entry(path: str, deleted: bool) -> dict[str, Any]:
    folder, _, name = path.rpartition("/")
    return {"FileName": name, "FilePath": folder, "Deleted": deleted}


def _pick(categories: set[int]) -> int | None:
    return next((c for c in PRECEDENCE if c in categories), None)


def run_media(session: Session, run: TriageRun, with_artifacts: bool = False) -> tuple[list[dict[str, Any]], int]:
    """A run's Media records (one per distinct content) and the count of matches awaiting review
    (``with_artifacts``: each MediaFiles entry also holds its ``Artifact`` under ``_artifact``)."""
    reviews = latest_reviews(session, run.case_id)
    rows = session.execute(select(TriageMatch, Artifact).join(Artifact, Artifact.id == TriageMatch.artifact_id)
                           .where(TriageMatch.run_id == run.id, TriageMatch.known_good.is_(False))
                           .order_by(Artifact.evidence_id, Artifact.path, TriageMatch.id))
    by_content: dict[str, dict[str, Any]] = {}
    waiting: set[int] = set()
    for m, art in rows:
        if m.match_type != "exact":
            decision = reviews.get(art.id)
            if decision is None or decision.decision != "confirmed":
                if decision is None:
                    waiting.add(art.id)
                continue
        key = art.md5 or art.sha256 or art.sha1 or f"artifact:{art.id}"
        item = by_content.setdefault(key, {"art": art, "categories": set(), "files": {}})
        if m.category is not None:
            item["categories"].add(m.category)
        entry = item["files"].setdefault(art.id, _file_entry(art.path, bool(art.deleted)))
        if with_artifacts:
            entry["_artifact"] = art
    media = []
    for number, item in enumerate(by_content.values(), 1):
        art = item["art"]
        pdq = (art.meta or {}).get("pdq")
        media.append(media_record(number, md5=art.md5, sha1=art.sha1, sha256=art.sha256,
                                  pdq=pdq if isinstance(pdq, str) else None, category=_pick(item["categories"]),
                                  size=art.size, mime=art.mime, files=item["files"].values()))
    exported = {a for item in by_content.values() for a in item["files"]}
    return media, len(waiting - exported)


def hashset_media(session: Session, h: HashSet) -> Iterator[dict[str, Any]]:
    """A hash set's file and video entries as Media records (frames and regions are not VICS's)."""
    q = (select(HashSetEntry).where(HashSetEntry.hashset_id == h.id, HashSetEntry.kind.in_(("file", "video")))
         .order_by(HashSetEntry.id).execution_options(yield_per=5000))
    lossy = h.category_scheme.lower() != "vic"
    for number, e in enumerate(session.scalars(q), 1):
        extra = e.extra or {}
        tags = []
        label = extra.get("source_category")
        if lossy and label not in (None, ""):
            tags.append(scheme_tag(h.category_scheme, str(label)))
        elif extra.get("source_scheme") and label not in (None, ""):
            tags.append(scheme_tag(str(extra["source_scheme"]), str(label)))
        size = extra.get("MediaSize", extra.get("size"))
        yield media_record(number, md5=e.md5, sha1=e.sha1, sha256=e.sha256, pdq=e.pdq, category=e.category,
                           size=size if isinstance(size, int) else None,
                           mime=str(extra["MimeType"]) if extra.get("MimeType") else None, tags=tags, extra=extra)


def run_to_export(session: Session, case_ref: str, run_id: int | None = None) -> TriageRun:
    """Triage run ``run_id`` of the case, or its latest finished one: what an export writes out."""
    case = get_case(session, case_ref)
    q = select(TriageRun).where(TriageRun.case_id == case.id)
    q = q.where(TriageRun.id == run_id) if run_id is not None else \
        q.where(TriageRun.status == "finished").order_by(TriageRun.id.desc()).limit(1)
    run = session.scalar(q)
    if run is None:
        raise NotFoundError(f"no triage run {run_id} in case {case_ref!r}" if run_id is not None else
                            f"case {case_ref!r} has no finished triage run to export")
    return run


def export_run(session: Session, actor: str, case_ref: str, out: Path, run_id: int | None = None) -> VicsExport:
    """The case's latest finished triage run (or run ``run_id``) as a VICS 2.0 file at ``out``."""
    run = run_to_export(session, case_ref, run_id)
    media, waiting = run_media(session, run)
    n, files, per = write_document(out, case_ref, media)
    audit.record(session, actor, "export.vics", case_ref=case_ref, target=f"run {run.id}", media=n, files=files,
                 awaiting_review=waiting, file=str(out))
    return VicsExport(str(out), n, files, awaiting_review=waiting,
                      without_md5=sum(1 for r in media if "MD5" not in r), by_category=per)


def export_hashset(session: Session, actor: str, name: str, out: Path) -> VicsExport:
    """Hash set ``name`` as a VICS 2.0 file at ``out`` (its name as the ``CaseID``)."""
    h = get_hashset(session, name)
    without = [0]

    def counted() -> Iterator[dict[str, Any]]:
        for rec in hashset_media(session, h):
            without[0] += "MD5" not in rec
            yield rec

    n, files, per = write_document(out, name, counted())
    audit.record(session, actor, "export.vics", target=f"hashset {name}", media=n, file=str(out))
    return VicsExport(str(out), n, files, without_md5=without[0], by_category=per)
