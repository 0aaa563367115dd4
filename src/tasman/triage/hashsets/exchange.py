"""Hash sets fed from hash exchanges through python-threatexchange's exchange clients.

``fetch_exchange`` takes a list from an exchange (NCMEC hash sharing, StopNCII, Meta
ThreatExchange, or a signal file as python-threatexchange reads it) page by page, as its client
(``SignalExchangeAPI.fetch_iter``) returns them. Each page is stored in its own transaction together with the exchange's
checkpoint (its cursor) and an audit entry, so a fetch that fails half-way keeps every complete
page and the cursor after the last one, and the next fetch starts there and takes only what
changed since. An update replaces the entries of its exchange key (kept in ``ref``); a deletion
removes them. Credentials are never stored: python-threatexchange finds them where it always
does (``TX_NCMEC_CREDENTIALS``, ``TX_STOPNCII_KEYS``, ``TX_ACCESS_TOKEN`` or their files).
Guarantee: nothing is dropped in silence: a record the client could not read, a signal that is
not a hash Tasman matches, or one the exchange's members marked a false positive is a warning
naming it; a malformed response stops the fetch with its reason and the element it failed on.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import typing as t
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dacite
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from threatexchange.exchanges import auth
from threatexchange.exchanges import fetch_state as tx_state
from threatexchange.exchanges.clients.ncmec.hash_api import NCMECEnvironment
from threatexchange.exchanges.collab_config import CollaborationConfigBase
from threatexchange.exchanges.impl import stop_ncii_api
from threatexchange.exchanges.impl.fb_threatexchange_api import (
    FBThreatExchangeCollabConfig,
    FBThreatExchangeSignalExchangeAPI,
)
from threatexchange.exchanges.impl.file_api import FileCollaborationConfig, LocalFileSignalExchangeAPI
from threatexchange.exchanges.impl.ncmec_api import NCMECCollabConfig, NCMECSignalExchangeAPI
from threatexchange.exchanges.impl.stop_ncii_api import StopNCIISignalExchangeAPI
from threatexchange.exchanges.signal_exchange_api import AnySignalExchangeAPI
from threatexchange.signal_type.md5 import VideoMD5Signal
from threatexchange.signal_type.pdq.signal import PdqSignal
from threatexchange.signal_type.signal_base import SignalType

from tasman.core import audit
from tasman.core.errors import InputError, NotFoundError
from tasman.core.timeutil import utcnow
from tasman.core.workspace import Workspace
from tasman.triage.hashsets.categories import map_category
from tasman.triage.hashsets.exchangeerrors import reason
from tasman.triage.hashsets.models import ExchangeCursor, HashSet, HashSetEntry
from tasman.triage.hashsets.store import _counts, check_name

log = logging.getLogger(__name__)


class _StopNCII(StopNCIISignalExchangeAPI):
    """StopNCII's fetch as python-threatexchange 1.2.17 does it, with two fixes. Its
    ``_get_delta_mapping`` (threatexchange/exchanges/impl/stop_ncii_api.py) tests
    ``record.hashValue in (StopNCIICaseStatus.Withdrawn, StopNCIICaseStatus.Deleted)`` where it
    means ``record.hashStatus``, so a hash withdrawn at StopNCII (the person took it back) was
    never deleted; and its ``fetch_iter`` drops a record of a type it does not map (VideoTMK) in
    silence. Here a withdrawn or deleted hash is a deletion, and a dropped record is logged
    (a warning of the fetch)."""

    @classmethod
    def get_name(cls) -> str:
        return StopNCIISignalExchangeAPI.get_name()

    def fetch_iter(self, _supported_signal_types: t.Sequence[type[SignalType]],
                   checkpoint: stop_ncii_api.StopNCIICheckpoint | None) -> Iterator[tx_state.FetchDelta[
                       tuple[str, str], stop_ncii_api.StopNCIISignalMetadata, stop_ncii_api.StopNCIICheckpoint]]:
        gone = (stop_ncii_api.api.StopNCIICaseStatus.Withdrawn, stop_ncii_api.api.StopNCIICaseStatus.Deleted)
        start = stop_ncii_api.api.StopNCIIAPI.DEFAULT_START_TIME if checkpoint is None else checkpoint.update_time
        for page in self.api.fetch_hashes_iter(start_timestamp=start):
            updates: dict[tuple[str, str], stop_ncii_api.StopNCIISignalMetadata | None] = {}
            for record in page.hashRecords:
                key, meta = stop_ncii_api._get_delta_mapping(record)
                if not key[0]:
                    log.warning("%s:%s: a StopNCII signal type Tasman does not match; skipped",
                                record.signalType.value, record.hashValue)
                    continue
                updates[key] = None if record.hashStatus in gone else meta
            yield tx_state.FetchDelta(updates, stop_ncii_api.StopNCIICheckpoint.from_stopncii_fetch(page))


# The exchanges Tasman drives, by python-threatexchange's own names (tested against a local fake
# of each API: see tests/triage/hashsets/test_exchange.py).
EXCHANGES: dict[str, type[AnySignalExchangeAPI]] = {
    LocalFileSignalExchangeAPI.get_name(): LocalFileSignalExchangeAPI,     # "local_file"
    StopNCIISignalExchangeAPI.get_name(): _StopNCII,                       # "stop_ncii"
    NCMECSignalExchangeAPI.get_name(): NCMECSignalExchangeAPI,             # "ncmec"
    FBThreatExchangeSignalExchangeAPI.get_name(): FBThreatExchangeSignalExchangeAPI,  # "fb_threatexchange"
}
NCMEC_ENVIRONMENTS = tuple(e.name for e in NCMECEnvironment)
SIGNAL_TYPES: tuple[type[SignalType], ...] = (PdqSignal, VideoMD5Signal)   # what Tasman's matcher uses
MAX_WARNINGS = 1000
REF_MAX = 200


@dataclass
class FetchResult:
    name: str
    api: str
    pages: int = 0                   # complete pages stored by this fetch
    added: int = 0                   # exchange keys new to the list
    updated: int = 0
    removed: int = 0
    skipped: int = 0                 # records or signals not stored (each one a warning)
    entries: int = 0                 # the list's entries after the fetch
    warnings: list[str] = field(default_factory=list)
    complete: bool = False           # the exchange said there is nothing more


class _ClientLog(logging.Handler):
    """python-threatexchange's clients log, rather than raise, a record they cannot read (and
    drop it): each such line becomes a warning of the fetch."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "threatexchange" in record.pathname or record.name == __name__:
            text = " ".join(record.getMessage().split())
            self.lines.append(text if len(text) <= 400 else text[:400] + "...")


@contextmanager
def _client_log() -> Iterator[_ClientLog]:
    handler = _ClientLog()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def collab_for(api: str, name: str, settings: dict[str, Any]) -> CollaborationConfigBase:
    if api == LocalFileSignalExchangeAPI.get_name():
        return FileCollaborationConfig(name=name, api=api, enabled=True, filename=str(settings["filename"]),
                                       signal_type=settings.get("signal_type"))
    if api == NCMECSignalExchangeAPI.get_name():
        return NCMECCollabConfig(name=name, enabled=True, environment=NCMECEnvironment[settings["environment"]],
                                 only_esp_ids=set(settings.get("only_esp_ids") or ()))
    if api == FBThreatExchangeSignalExchangeAPI.get_name():
        return FBThreatExchangeCollabConfig(name=name, enabled=True, privacy_group=int(settings["privacy_group"]))
    return CollaborationConfigBase(name=name, api=api, enabled=True)


def _check_settings(api: str, settings: dict[str, Any]) -> dict[str, Any]:
    """A new list's settings, checked before anything is stored (``InputError`` naming what is
    missing or wrong)."""
    if api == LocalFileSignalExchangeAPI.get_name():
        if not settings.get("filename"):
            raise InputError("the local_file exchange needs --file")
        path = Path(settings["filename"])
        if not path.is_file():
            raise NotFoundError(f"no file {str(path)!r}")
        return {**settings, "filename": str(path.resolve())}
    if api == NCMECSignalExchangeAPI.get_name():
        env = settings.get("environment")
        if env not in NCMEC_ENVIRONMENTS:
            raise InputError(f"the ncmec exchange needs --environment: one of {', '.join(NCMEC_ENVIRONMENTS)}")
        esp = settings.get("only_esp_ids") or []
        if not all(isinstance(e, int) and e > 0 for e in esp):
            raise InputError(f"--esp-id: member (ESP) ids are positive whole numbers, not {esp!r}")
        return {**settings, "only_esp_ids": sorted(set(esp))}
    if api == FBThreatExchangeSignalExchangeAPI.get_name():
        group = str(settings.get("privacy_group") or "")
        if not group.isdigit():
            raise InputError("the fb_threatexchange exchange needs --privacy-group (the ThreatPrivacyGroup id)")
        return {**settings, "privacy_group": int(group)}
    return settings


def client_for(api: str, collab: CollaborationConfigBase) -> AnySignalExchangeAPI:
    cls = EXCHANGES[api]
    try:
        return cls.for_collab(collab)
    except (auth.SignalExchangeAPIMissingAuthException, auth.SignalExchangeAPIInvalidAuthException) as exc:
        helper = getattr(cls, "get_credential_cls", lambda: None)()
        where = (f"set {helper.ENV_VARIABLE} or {helper.FILE_NAME}" if helper is not None
                 else "see python-threatexchange")
        what = "invalid" if isinstance(exc, auth.SignalExchangeAPIInvalidAuthException) else "missing"
        raise InputError(f"no usable credentials for the {api} exchange ({what}): {where}") from None


def _reason(exc: BaseException) -> str:
    return reason(exc)


def _ref(key: object) -> str:
    """The exchange's key of a record as an entry's ``ref`` (hashed when too long to keep)."""
    text = ":".join(map(str, key)) if isinstance(key, tuple) else str(key)
    return text if len(text) <= REF_MAX else "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _checkpoint_json(cp: tx_state.FetchCheckpointBase) -> dict[str, Any]:
    return dataclasses.asdict(cp) if dataclasses.is_dataclass(cp) else {}


def _checkpoint(api: str, data: dict[str, Any] | None) -> tx_state.FetchCheckpointBase | None:
    if data is None:
        return None
    return t.cast(tx_state.FetchCheckpointBase, dacite.from_dict(EXCHANGES[api].get_checkpoint_cls(), data))


def _open_list(session: Session, actor: str, name: str, api: str | None, settings: dict[str, Any],
               category: str | int | None, known_good: bool) -> tuple[HashSet, ExchangeCursor]:
    hs = session.scalar(select(HashSet).where(HashSet.name == name))
    if hs is not None:
        cursor = session.scalar(select(ExchangeCursor).where(ExchangeCursor.hashset_id == hs.id))
        if cursor is None:
            raise InputError(f"hash set {name!r} was imported from a file, not fed from an exchange")
        if api is not None and api != cursor.api:
            raise InputError(f"hash set {name!r} is fed from the {cursor.api} exchange, not {api}")
        return hs, cursor
    if api is None:
        raise NotFoundError(f"no hash set {name!r}: give --exchange to start fetching it")
    if api not in EXCHANGES:
        raise InputError(f"unknown exchange {api!r}: use one of {', '.join(EXCHANGES)}")
    settings = _check_settings(api, settings)
    try:
        default = map_category(category, "vic") if category is not None else None
    except ValueError as exc:
        raise InputError(str(exc)) from None
    settings = {**settings, "category": None if default is None else int(default)}
    hs = HashSet(name=name, format=f"exchange:{api}", source=str(settings.get("filename") or api),
                 known_good=known_good, category_scheme="vic", imported_by=actor, counts={})
    session.add(hs)
    session.flush()
    cursor = ExchangeCursor(hashset_id=hs.id, api=api, settings=settings, checkpoint=None, pages=0, last_error="")
    session.add(cursor)
    session.flush()
    audit.record(session, actor, "hashset.exchange_add", target=name, api=api,
                 settings={k: v for k, v in settings.items() if k != "filename"} | {"source": hs.source})
    return hs, cursor


def _store_page(session: Session, hs: HashSet, api: str, collab: CollaborationConfigBase,
                updates: dict[Any, Any], category: int | None, result: FetchResult) -> tuple[int, int, int, int]:
    cls = EXCHANGES[api]
    added = updated = removed = skipped = 0
    for key, value in updates.items():
        ref = _ref(key)
        gone = session.execute(delete(HashSetEntry).where(HashSetEntry.hashset_id == hs.id,
                                                          HashSetEntry.ref == ref)).rowcount or 0  # type: ignore[attr-defined]
        merged = None if value is None else cls.fetch_value_merge(None, value)
        rows: list[HashSetEntry] = []
        if merged is not None:
            converted = cls.naive_convert_to_signal_type(list(SIGNAL_TYPES), collab, {key: merged})
            for s_type, by_signal in converted.items():
                for signal, meta in by_signal.items():
                    opinion = meta.get_as_aggregate_opinion()
                    mine = [o.category for o in meta.get_as_opinions() if o.is_mine]
                    if mine and all(c == tx_state.SignalOpinionCategory.NEGATIVE_CLASS for c in mine):
                        skipped += 1
                        _warn(result, f"{ref}: marked a false positive by this lab's own opinion; not listed")
                        continue
                    if opinion.category == tx_state.AggregateSignalOpinionCategory.NEGATIVE_CLASS:
                        skipped += 1
                        _warn(result, f"{ref}: marked a false positive on the exchange; not listed")
                        continue
                    rows.append(HashSetEntry(
                        hashset_id=hs.id, kind="file", ref=ref, category=category,
                        md5=signal if s_type is VideoMD5Signal else None,
                        pdq=signal if s_type is PdqSignal else None,
                        extra={"exchange": api, "opinion": opinion.category.name,
                               **({"tags": sorted(opinion.tags)[:20]} if opinion.tags else {}),
                               **_descriptors(meta)}))
            if not rows and not converted:
                skipped += 1
                _warn(result, f"{ref}: not a hash Tasman matches ({', '.join(s.get_name() for s in SIGNAL_TYPES)}); "
                              "skipped")
        session.add_all(rows)
        if rows:
            if gone:
                updated += 1
            else:
                added += 1
        elif gone:
            removed += 1
    session.flush()
    return added, updated, removed, skipped


def _descriptors(meta: tx_state.FetchedSignalMetadata) -> dict[str, list[int]]:
    """ThreatExchange's descriptor ids behind a signal (where its opinions say which), kept so an
    examiner's opinion can be sent back to them."""
    ids = sorted({int(d) for o in meta.get_as_opinions()
                  if isinstance(d := getattr(o, "descriptor_id", None), int) and d > 0})
    return {"descriptors": ids[:50]} if ids else {}


def _warn(result: FetchResult, line: str) -> None:
    if len(result.warnings) < MAX_WARNINGS:
        result.warnings.append(line)


def fetch_exchange(ws: Workspace, name: str, *, api: str | None = None, settings: dict[str, Any] | None = None,
                   category: str | int | None = None, known_good: bool = False) -> FetchResult:
    """Fetch what changed on the exchange since the list's cursor (everything, the first time:
    ``api`` and its ``settings`` then create the list). Each complete page is committed with its
    cursor; a failure stops the fetch with ``InputError`` after recording it, keeping every
    complete page."""
    check_name(name)
    with ws.session() as s:
        hs, cursor = _open_list(s, ws.actor, name, api, dict(settings or {}), category, known_good)
        hs_id, cursor_id, api_name = hs.id, cursor.id, cursor.api
        stored_settings, checkpoint_data = dict(cursor.settings), cursor.checkpoint
    collab = collab_for(api_name, name, stored_settings)
    client = client_for(api_name, collab)
    default = stored_settings.get("category")
    result = FetchResult(name=name, api=api_name)
    failure: str | None = None
    with _client_log() as log:
        try:
            pages = iter(client.fetch_iter(list(SIGNAL_TYPES), _checkpoint(api_name, checkpoint_data)))
        except Exception as exc:   # a third-party client: any failure is reported, never a traceback
            failure, pages = _reason(exc), iter(())
        while failure is None:
            seen = len(log.lines)
            try:
                delta = next(pages)
            except StopIteration:
                result.complete = True
                break
            except Exception as exc:   # a malformed response, a network error, a bad cursor
                failure = _reason(exc)
                break
            for line in log.lines[seen:]:       # records the client dropped while reading the page
                result.skipped += 1
                _warn(result, f"page {result.pages + 1}: {line}")
            seen = len(log.lines)
            with ws.session() as s:
                hs = s.get_one(HashSet, hs_id)
                a, u, r, k = _store_page(s, hs, api_name, collab, dict(delta.updates), default, result)
                for line in log.lines[seen:]:   # why a record was skipped (counted by _store_page)
                    _warn(result, f"page {result.pages + 1}: {line}")
                cur = s.get_one(ExchangeCursor, cursor_id)
                cp = _checkpoint_json(delta.checkpoint)
                cur.checkpoint, cur.pages, cur.fetched_at, cur.last_error = cp, cur.pages + 1, utcnow(), ""
                hs.entry_count = int(s.scalar(select(func.count()).select_from(HashSetEntry)
                                              .where(HashSetEntry.hashset_id == hs_id)) or 0)
                hs.counts = {**_counts(s, hs_id), "warnings": len(result.warnings)}
                hs.source_sha256 = hashlib.sha256(json.dumps(cp, sort_keys=True).encode()).hexdigest()
                hs.imported_at = utcnow()
                if delta.updates:   # an empty page (NCMEC probes empty time ranges) only moves the cursor
                    audit.record(s, ws.actor, "hashset.fetch_page", target=name, api=api_name, page=cur.pages,
                                 added=a, updated=u, removed=r, skipped=k, entries=hs.entry_count, cursor=cp)
                result.pages += 1
                result.added, result.updated, result.removed = result.added + a, result.updated + u, result.removed + r
                result.skipped += k
                result.entries = hs.entry_count
    if failure is not None:
        with ws.session() as s:
            cur = s.get_one(ExchangeCursor, cursor_id)
            cur.last_error = failure
            audit.record(s, ws.actor, "hashset.fetch_failed", target=name, api=api_name, pages=result.pages,
                         reason=failure)
        raise InputError(f"fetch of {name!r} from {api_name} stopped after {result.pages} complete page(s), "
                         f"which are kept with the cursor after them (fetch again to go on): {failure}")
    return result


def exchange_cursor(session: Session, name: str) -> ExchangeCursor | None:
    hs = session.scalar(select(HashSet).where(HashSet.name == name))
    if hs is None:
        return None
    return session.scalar(select(ExchangeCursor).where(ExchangeCursor.hashset_id == hs.id))
