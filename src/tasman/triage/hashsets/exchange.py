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
from typing import Any

import dacite
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from threatexchange.exchanges import fetch_state as tx_state
from threatexchange.exchanges.collab_config import CollaborationConfigBase
from threatexchange.signal_type.md5 import VideoMD5Signal
from threatexchange.signal_type.pdq.signal import PdqSignal

from tasman.core import audit
from tasman.core.errors import InputError, NotFoundError
from tasman.core.timeutil import utcnow
from tasman.core.workspace import Workspace
from tasman.triage.hashsets.categories import map_category
from tasman.triage.hashsets.exchangeapis import (
    CLASSIFIED,
    EXCHANGES,
    SIGNAL_TYPES,
    check_settings,
    classified,
    client_for,
    collab_for,
    descriptors,
)
from tasman.triage.hashsets.exchangeerrors import printable, reason
from tasman.triage.hashsets.models import ExchangeCursor, HashSet, HashSetEntry
from tasman.triage.hashsets.store import _counts, check_name

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
        if "threatexchange" in record.pathname or record.name.startswith("tasman.triage.hashsets.exchange"):
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
    settings = check_settings(api, settings)
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
                    try:   # ThreatExchange's conversion (unlike NCMEC's) leaves the indicator unchecked
                        signal = s_type.validate_signal_str(signal)
                    except Exception as exc:
                        skipped += 1
                        _warn(result, f"{ref}: not a valid {s_type.get_name()} hash "
                                      f"({' '.join(str(exc).split())[:100] or type(exc).__name__}); skipped")
                        continue
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
                    own, label = classified(api, opinion.tags)
                    rows.append(HashSetEntry(
                        hashset_id=hs.id, kind="file", ref=ref, category=category if own is None else own,
                        md5=signal if s_type is VideoMD5Signal else None,
                        pdq=signal if s_type is PdqSignal else None,
                        extra={"exchange": api, "opinion": opinion.category.name,
                               **({"tags": sorted(opinion.tags)[:20]} if opinion.tags else {}),
                               **({"source_scheme": CLASSIFIED[api], "source_category": label} if label else {}),
                               **descriptors(meta)}))
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


def _warn(result: FetchResult, line: str) -> None:
    if len(result.warnings) < MAX_WARNINGS:
        result.warnings.append(printable(line))   # it quotes the exchange's own text


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
