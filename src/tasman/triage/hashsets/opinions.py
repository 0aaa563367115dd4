"""An examiner's verdict on a listed hash (true or false positive) sent back to the exchange the
list was fetched from, through python-threatexchange's own clients.

python-threatexchange 1.2.17 wires ``SignalExchangeAPI.report_opinion`` for ``local_file`` only,
and that one fails (below). Its exchange clients can send feedback all the same, and Tasman calls
them directly, one sender per exchange (``SENDERS``):

- ``ncmec``: ``NCMECHashAPI.submit_feedback`` (an upvote, or a downvote with NCMEC's reason:
  given with ``reason``, or the only one ``NCMECHashAPI.feedback_reasons`` reads) on every NCMEC
  entry the list holds the hash from;
- ``fb_threatexchange``: a ``HELPFUL`` or ``DISAGREE_WITH_TAGS`` reaction
  (``ThreatExchangeAPI.react_to_threat_descriptor``) on the descriptors behind the hash, the two
  reactions its fetch reads back as a positive and a negative opinion;
- ``stop_ncii``: ``StopNCIIAPI.submit_feedback`` (``Blocked`` / ``NotBlocked``). The feedback
  endpoint has a function key of its own which 1.2.17's ``StopNCIICredentials`` do not carry
  (``StopNCIISignalExchangeAPI.for_collab`` builds ``StopNCIIAPI(subscription_key,
  fetch_function_key, base_url_override=...)`` without ``additional_function_keys``): Tasman
  reads it from ``TX_STOPNCII_FEEDBACK_KEY`` and refuses, naming it, without it;
- ``local_file``: ``LocalFileSignalExchangeAPI.report_opinion`` appends a true positive to the
  file but opens it with mode ``"wta"`` (threatexchange/exchanges/impl/file_api.py:
  ``with path.open("wta") as wf:``), which Python refuses (``ValueError: invalid mode``):
  ``_LocalFile`` is the same method with mode ``"a"``. It takes no false positive.

Guarantee: the hash is validated first; an exchange that takes no such opinion, or refuses it, is
one ``InputError`` naming why; what was sent is written to the audit log (``hashset.opinion``).
"""

from __future__ import annotations

import os
import typing as t
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import or_, select
from threatexchange.exchanges import fetch_state as tx_state
from threatexchange.exchanges.clients.ncmec.hash_api import FeedbackType, FingerprintType
from threatexchange.exchanges.clients.stopncii import api as stopncii
from threatexchange.exchanges.impl.fb_threatexchange_api import FBThreatExchangeSignalExchangeAPI
from threatexchange.exchanges.impl.file_api import LocalFileSignalExchangeAPI
from threatexchange.exchanges.impl.ncmec_api import NCMECSignalExchangeAPI
from threatexchange.exchanges.impl.stop_ncii_api import StopNCIICredentials, StopNCIISignalExchangeAPI
from threatexchange.signal_type.pdq.signal import PdqSignal
from threatexchange.signal_type.signal_base import SignalType

from tasman.core import audit
from tasman.core.errors import InputError, NotFoundError
from tasman.core.workspace import Workspace
from tasman.triage.hashsets.exchange import exchange_cursor
from tasman.triage.hashsets.exchangeapis import SIGNAL_TYPES, client_for, collab_for
from tasman.triage.hashsets.exchangeerrors import reason as failure
from tasman.triage.hashsets.models import HashSetEntry

FEEDBACK_KEY = "TX_STOPNCII_FEEDBACK_KEY"


@dataclass
class Opinion:
    name: str
    api: str
    signal_type: str
    signal: str
    positive: bool
    reason: str | None = None
    refs: list[str] = field(default_factory=list)                 # the list's entries of the hash
    extras: list[dict[str, t.Any]] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)                 # what went to the exchange

    @property
    def category(self) -> str:
        return (tx_state.SignalOpinionCategory.POSITIVE_CLASS if self.positive
                else tx_state.SignalOpinionCategory.NEGATIVE_CLASS).name


class _LocalFile(LocalFileSignalExchangeAPI):
    def report_opinion(self, s_type: type[SignalType], signal: str, opinion: tx_state.SignalOpinion) -> None:
        if opinion.category != tx_state.SignalOpinionCategory.POSITIVE_CLASS or opinion.tags:
            raise NotImplementedError
        path = Path(self.collab.filename)
        ends_in_newline = path.stat().st_size == 0 or path.read_bytes()[-1:] == b"\n"
        with path.open("a") as wf:
            wf.write(f"{'' if ends_in_newline else chr(10)}{s_type.get_name()} {signal}\n")


def _local_file(op: Opinion, settings: dict[str, t.Any], s_type: type[SignalType]) -> None:
    client = _LocalFile(t.cast(t.Any, collab_for(op.api, op.name, settings)))
    category = tx_state.SignalOpinionCategory[op.category]
    try:
        client.report_opinion(s_type, op.signal, tx_state.SignalOpinion(True, category, set()))
    except NotImplementedError:
        raise InputError("the local_file exchange takes no false-positive opinion (python-threatexchange "
                         "appends true positives only)") from None
    op.sent.append(f"appended {s_type.get_name()} {op.signal}")


def _need_refs(op: Opinion) -> None:
    if not op.refs:
        raise InputError(f"{op.signal_type} {op.signal} is not on list {op.name!r}: the {op.api} exchange takes "
                         "opinions on its own entries only")


def _ncmec(op: Opinion, settings: dict[str, t.Any], s_type: type[SignalType]) -> None:
    _need_refs(op)
    exchange = t.cast(NCMECSignalExchangeAPI, client_for(op.api, collab_for(op.api, op.name, settings)))
    api = exchange.get_client(exchange.collab.environment)
    fingerprint = FingerprintType.pdq if s_type is PdqSignal else FingerprintType.md5
    vote = FeedbackType.upvote if op.positive else FeedbackType.downvote
    reason = op.reason or None
    if vote is FeedbackType.downvote and reason is None:
        try:
            offered = api.feedback_reasons(fingerprint)
        except Exception as exc:  # 1.2.17 reads <availableFeedbackReasons> only as a child of the root
            raise InputError(f"NCMEC's negative-feedback reasons could not be read ({failure(exc)}): give "
                             "--reason GUID") from None
        if len(offered) != 1:
            listed = "; ".join(f"{g} ({n})" for g, n in sorted(offered.items())[:20]) or "none offered"
            raise InputError(f"NCMEC needs a negative-feedback reason: give --reason, one of {listed}")
        reason = next(iter(offered))
        op.reason = reason
    for ref in op.refs:
        esp, _, entry = ref.partition("-")
        if not esp.isdigit() or not entry:
            raise InputError(f"entry {ref!r} of list {op.name!r} is not an NCMEC entry key (ESP-ENTRY)")
        api.submit_feedback(int(esp), entry, fingerprint, vote, reason)
        op.sent.append(f"{vote.value} on entry {entry} of ESP {esp} ({fingerprint.value})")


def _fb_threatexchange(op: Opinion, settings: dict[str, t.Any], _s_type: type[SignalType]) -> None:
    _need_refs(op)
    exchange = t.cast(FBThreatExchangeSignalExchangeAPI, client_for(op.api, collab_for(op.api, op.name, settings)))
    descriptors = sorted({int(d) for extra in op.extras for d in extra.get("descriptors", [])})
    if not descriptors:
        raise InputError(f"{op.signal} on list {op.name!r} has no ThreatExchange descriptor to react to "
                         "(fetched before Tasman kept them: fetch the list again)")
    reaction = "HELPFUL" if op.positive else "DISAGREE_WITH_TAGS"
    for descriptor in descriptors:
        _none, error, body = exchange.client.react_to_threat_descriptor(descriptor, reaction)
        if error is not None or not isinstance(body, dict) or "error" in body:
            detail = body.get("error") if isinstance(body, dict) else body
            raise InputError(f"ThreatExchange refused the {reaction} reaction on descriptor {descriptor}: "
                             f"{str(detail)[:200]}")
        op.sent.append(f"{reaction} on descriptor {descriptor}")


def _stop_ncii(op: Opinion, _settings: dict[str, t.Any], s_type: type[SignalType]) -> None:
    _need_refs(op)
    key = os.environ.get(FEEDBACK_KEY, "").strip()
    if not key:
        raise InputError(f"StopNCII's SubmitFeedback endpoint needs its own function key, which "
                         f"python-threatexchange's StopNCII credentials do not carry: set {FEEDBACK_KEY}")
    creds = StopNCIICredentials.get(StopNCIISignalExchangeAPI)
    api = stopncii.StopNCIIAPI(creds.subscription_key, creds.fetch_function_key,
                               additional_function_keys={stopncii.StopNCIIEndpoint.SubmitFeedback: key},
                               base_url_override=creds.base_url_override)
    kind = stopncii.StopNCIISignalType.ImagePDQ if s_type is PdqSignal else stopncii.StopNCIISignalType.VideoMD5
    value = (stopncii.StopNCIICSPFeedbackValue.Blocked if op.positive
             else stopncii.StopNCIICSPFeedbackValue.NotBlocked)
    api.submit_feedback(kind, op.signal, value)
    op.sent.append(f"{value.value} on {kind.value} {op.signal}")


SENDERS: dict[str, Callable[[Opinion, dict[str, t.Any], type[SignalType]], None]] = {
    LocalFileSignalExchangeAPI.get_name(): _local_file,
    NCMECSignalExchangeAPI.get_name(): _ncmec,
    FBThreatExchangeSignalExchangeAPI.get_name(): _fb_threatexchange,
    StopNCIISignalExchangeAPI.get_name(): _stop_ncii,
}


def report_opinion(ws: Workspace, name: str, signal_type: str, signal: str, *, positive: bool,
                   reason: str | None = None) -> Opinion:
    """Send the examiner's opinion on ``signal`` back to the exchange list ``name`` comes from.
    ``reason``: NCMEC's negative-feedback reason id, where NCMEC offers more than one."""
    types = {st.get_name(): st for st in SIGNAL_TYPES}
    if signal_type not in types:
        raise InputError(f"signal type {signal_type!r}: use one of {', '.join(types)}")
    s_type = types[signal_type]
    try:
        value = s_type.validate_signal_str(signal.strip().lower())
    except ValueError as exc:
        raise InputError(f"{signal_type} {signal[:80]!r}: {exc}") from None
    with ws.session() as s:
        cursor = exchange_cursor(s, name)
        if cursor is None:
            raise NotFoundError(f"no hash set {name!r} fed from an exchange")
        column = HashSetEntry.pdq if s_type is PdqSignal else HashSetEntry.md5
        rows = s.execute(select(HashSetEntry.ref, HashSetEntry.extra).where(
            HashSetEntry.hashset_id == cursor.hashset_id, or_(column == value, column == value.upper()))).all()
        op = Opinion(name, cursor.api, signal_type, value, positive, reason,
                     sorted({str(r) for r, _e in rows if r}), [dict(e or {}) for _r, e in rows])
        settings = dict(cursor.settings)
    sender = SENDERS.get(op.api)
    if sender is None:
        raise InputError(f"Tasman sends no opinions to the {op.api} exchange")
    try:
        sender(op, settings, s_type)
    except (InputError, NotFoundError):
        raise
    except Exception as exc:  # a third-party client: reported on one line
        raise InputError(f"the {op.api} exchange refused the opinion: {failure(exc)}") from None
    finally:
        if op.sent:
            with ws.session() as s:
                audit.record(s, ws.actor, "hashset.opinion", target=name, api=op.api, signal_type=signal_type,
                             signal=value, opinion=op.category, sent=op.sent[:50],
                             **({"reason": op.reason} if op.reason else {}))
    return op

