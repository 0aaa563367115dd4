"""Records of a case (orders, chats, tips, transfers): the paged list, the import log, and
importing a records file sent from the browser or the API (``tasman.serve.recordfiles``, over the
function ``tasman records import`` calls). Tips imported from the queue land here too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal, get_args

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from tasman.accounts.roles import Perm
from tasman.core.errors import InputError, PermissionDeniedError, TasmanError
from tasman.core.fields import EXTRA, IDENTIFIERS, KINDS
from tasman.core.models import Case, Record
from tasman.records.importing import ImportReport, list_imports
from tasman.records.models import RecordImport
from tasman.records.views import record_slice
from tasman.serve import recordfiles
from tasman.serve.deps import CaseCtx, Viewer, api_case, api_user, error_status, page_case, state
from tasman.serve.routes.common import API, ERRORS, MAX_ID, MAX_LIMIT, WRITE_ERRORS, Limit, Offset, paging
from tasman.serve.schemas import RecordImportOut, RecordOut, RecordPage, RecordUploadOut
from tasman.serve.web import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix=API, tags=["records"])
RecordKind = Literal["customers", "chats", "tips", "transactions"]
SHOWN_WARNINGS = 50
assert set(get_args(RecordKind)) == set(KINDS)   # the schema's enum is the library's list


def record_out(r: Record) -> RecordOut:
    return RecordOut(id=r.id, kind=r.kind, source=r.source, source_id=r.source_id, fields=r.fields)


def import_out(r: RecordImport) -> RecordImportOut:
    return RecordImportOut(id=r.id, kind=r.kind, source=r.source, sha256=r.sha256, size=r.size, rows=r.total,
                           added=r.added, updated=r.updated, unchanged=r.unchanged, skipped=r.skipped,
                           complete=r.complete, warnings=r.warning_count, by=r.actor, at=r.imported_at.isoformat())


def upload_out(rep: ImportReport) -> RecordUploadOut:
    return RecordUploadOut(
        kind=rep.kind, source=rep.source, sha256=rep.sha256, rows=rep.total, imported=rep.imported, added=rep.added,
        updated=rep.updated, unchanged=rep.unchanged, skipped=rep.skipped, complete=rep.complete,
        warnings=rep.warnings[:1000], warning_count=len(rep.warnings), notes=rep.notes,
        mapping=rep.mapping.columns if rep.mapping else None, mapping_guessed=bool(rep.mapping and rep.mapping.guessed),
        mapping_saved=rep.mapping_saved.rsplit("/", 1)[-1] if rep.mapping_saved else None)


def record_page(s: Session, case: Case, kind: str | None, offset: int, limit: int,
                ids: list[int] | None = None) -> RecordPage:
    offset, limit = paging(offset, limit)
    found = record_slice(s, case.id, kind, offset, limit, ids)
    return RecordPage(total=found.total, offset=offset, limit=limit, items=[record_out(r) for r in found.rows])


CHIP_FIELDS = ("email", "phone", "username", "ip", "payment_ref", "sender_phone", "sender_email", "sender_account",
               "beneficiary_phone", "beneficiary_email", "beneficiary_account")
SHOWN_FIELDS = {"name", "first_name", "last_name", "sender_name", "beneficiary_name", "city", "country",
                "sender_city", "sender_country", "beneficiary_city", "beneficiary_country", "timestamp", "amount",
                "currency", "platform", "files", IDENTIFIERS, EXTRA, *CHIP_FIELDS}
PAGE_ROWS = 50


@dataclass(frozen=True)
class RecordRow:
    """A record as the page shows it: who, identifiers as chips, where, when, how much; the rest folded."""

    id: int
    kind: str
    source: str
    source_id: str
    who: str
    chips: list[tuple[str, str]]
    place: str
    when: str
    amount: str
    more: list[tuple[str, str]]
    extra: str
    files: int


def _join(*parts: Any) -> str:
    return ", ".join(str(p) for p in parts if p not in (None, ""))


def record_row(r: RecordOut) -> RecordRow:
    f = r.fields
    if r.kind == "transactions":
        who = f"{f.get('sender_name') or '?'} → {f.get('beneficiary_name') or '?'}"
        place = " → ".join(_join(f.get(f"{side}_city"), f.get(f"{side}_country")) or "?"
                           for side in ("sender", "beneficiary"))
    else:
        who = str(f.get("name") or _join(f.get("first_name"), f.get("last_name")).replace(", ", " "))
        place = _join(f.get("city"), f.get("country"))
    chips: list[tuple[str, str]] = [(k, str(f[k])) for k in CHIP_FIELDS if f.get(k)]
    seen = {v for _k, v in chips}
    for ident in f.get(IDENTIFIERS) or []:
        value = str(ident.get("value") or ident.get("raw") or "") if isinstance(ident, dict) else ""
        if value and value not in seen:
            seen.add(value)
            chips.append((str(ident.get("type", "")), value))
    if f.get("platform") and f.get("username"):
        chips = [(k, f"{v} ({f['platform']})" if k == "username" else v) for k, v in chips]
    more = [(k, str(v)) for k, v in f.items() if k not in SHOWN_FIELDS and v not in (None, "", [])]
    extra = f.get(EXTRA)
    return RecordRow(id=r.id, kind=r.kind, source=r.source, source_id=r.source_id, who=who, chips=chips, place=place,
                     when=str(f.get("timestamp") or "")[:19].replace("T", " "),
                     amount=_join(f.get("amount"), f.get("currency")).replace(", ", " "), more=more,
                     extra=json.dumps(extra, indent=1, ensure_ascii=False, sort_keys=True) if extra else "",
                     files=len(f.get("files") or []))


def parse_ids(raw: str) -> list[int] | None:
    """``ids`` of the records page (the identifiers page links a value's records): "1,5,9"."""
    if not raw:
        return None
    try:
        ids = [int(x) for x in raw.split(",") if x.strip()]
    except ValueError:
        raise InputError("ids: record numbers separated by commas") from None
    if len(ids) > MAX_LIMIT or any(not 1 <= i <= MAX_ID for i in ids):
        raise InputError(f"ids: at most {MAX_LIMIT} record numbers, each 1 to {MAX_ID}")
    return ids


def _page(request: Request, ctx: CaseCtx, kind: str | None, offset: int = 0, status_code: int = 200,
          ids: list[int] | None = None, **extra: Any) -> Response:
    imports = [import_out(r) for r in list_imports(ctx.session, ctx.viewer.name, ctx.ref)][::-1]
    page = record_page(ctx.session, ctx.case, kind, offset, PAGE_ROWS, ids)
    return render(request, "records.html", ctx.viewer, status_code, case=ctx.case, tab="records",
                  page=page, rows=[record_row(r) for r in page.items], kind=kind, kinds=KINDS, ids=ids,
                  imports=imports, mappings=recordfiles.mapping_names(state(request).ws), **extra)


async def _upload(request: Request, ctx: CaseCtx, file: UploadFile, kind: str, mapping: str | None,
                  strict: bool) -> ImportReport:
    ctx.viewer.need(Perm.IMPORT_RECORDS)
    st = state(request)
    st.limiter.hit("upload-user", ctx.viewer.name, st.settings.uploads_per_user)
    return await recordfiles.upload_records(ctx, st.ws, file, kind, mapping or None, strict,
                                            st.settings.max_records_bytes)


@router.get("/cases/{ref}/records")
def records_page(request: Request, kind: str | None = Query(None, max_length=32), offset: Offset = 0,
                 ids: str = Query("", max_length=8000), ctx: CaseCtx = Depends(page_case)) -> Response:
    """A page of the case's records (``kind``: of one kind; ``ids``: these records only)."""
    return _page(request, ctx, kind, offset, ids=parse_ids(ids))


@router.post("/cases/{ref}/records")
async def upload_page(request: Request, file: UploadFile = File(), kind: RecordKind = Form(),
                      mapping: str = Form("", max_length=200), strict: bool = Form(False),
                      ctx: CaseCtx = Depends(page_case)) -> Response:
    """Import a records file; the page shows what the import did, or why the file was refused."""
    try:
        report = await _upload(request, ctx, file, kind, mapping, strict)
    except PermissionDeniedError:
        raise
    except TasmanError as exc:
        return _page(request, ctx, None, status_code=error_status(exc), error=str(exc))
    return _page(request, ctx, None, result=upload_out(report), shown_warnings=SHOWN_WARNINGS)


@api.get("/cases/{ref}/records", response_model=RecordPage, responses=ERRORS)
def list_records(kind: str | None = Query(None, max_length=32), offset: Offset = 0,
                 limit: Limit = 100, ctx: CaseCtx = Depends(api_case)) -> RecordPage:
    return record_page(ctx.session, ctx.case, kind, offset, limit)


@api.post("/cases/{ref}/records", response_model=RecordUploadOut, status_code=201, responses=WRITE_ERRORS)
async def upload_records(request: Request, file: UploadFile = File(description="The records file"),
                         kind: RecordKind = Form(description="What the file holds"),
                         mapping: str = Form("", max_length=200,
                                             description="customers, transactions: a saved column mapping "
                                                         "(GET /records/mappings); without it one is guessed "
                                                         "and saved"),
                         strict: bool = Form(False, description="Import nothing if any row is bad"),
                         ctx: CaseCtx = Depends(api_case)) -> RecordUploadOut:
    """Import a records file into the case, as ``tasman records import`` does: the file is kept
    read-only with its SHA-256, re-importing it changes nothing, bad rows are skipped with a
    warning each (``complete`` is false), and a file that cannot be imported stores nothing."""
    return upload_out(await _upload(request, ctx, file, kind, mapping, strict))


@api.get("/cases/{ref}/records/imports", response_model=list[RecordImportOut], responses=ERRORS)
def get_imports(ctx: CaseCtx = Depends(api_case)) -> list[RecordImportOut]:
    """The case's import log, oldest first: rows read, added, skipped, and whether each was complete."""
    return [import_out(r) for r in list_imports(ctx.session, ctx.viewer.name, ctx.ref)]


@api.get("/records/mappings", response_model=list[str], responses=ERRORS)
def get_mappings(request: Request, _viewer: Viewer = Depends(api_user)) -> list[str]:
    """The column mappings saved in the workspace, by the name an import takes."""
    return recordfiles.mapping_names(state(request).ws)
