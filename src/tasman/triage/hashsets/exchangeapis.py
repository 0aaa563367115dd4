"""The hash exchanges Tasman drives, one entry each: python-threatexchange's exchange class,
how a list's settings become its collaboration config, how its records are graded, and the
narrow fixes Tasman needs on top of python-threatexchange 1.2.17 (``_StopNCII``).

Adding an exchange python-threatexchange supports means one line in ``EXCHANGES``, its settings in
``collab_for`` and ``check_settings``, and a fake of its API in the tests. Guarantee: settings are
checked before anything is stored (``InputError`` naming what is missing); credentials are never
read here, only by python-threatexchange's own ``for_collab``.
"""

from __future__ import annotations

import logging
import typing as t
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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

from tasman.core.errors import InputError, NotFoundError
from tasman.triage.hashsets.categories import map_category

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
# of each API: see tests/triage/hashsets/test_exchange*.py).
EXCHANGES: dict[str, type[AnySignalExchangeAPI]] = {
    LocalFileSignalExchangeAPI.get_name(): LocalFileSignalExchangeAPI,     # "local_file"
    StopNCIISignalExchangeAPI.get_name(): _StopNCII,                       # "stop_ncii"
    NCMECSignalExchangeAPI.get_name(): NCMECSignalExchangeAPI,             # "ncmec"
    FBThreatExchangeSignalExchangeAPI.get_name(): FBThreatExchangeSignalExchangeAPI,  # "fb_threatexchange"
}
NCMEC_ENVIRONMENTS = tuple(e.name for e in NCMECEnvironment)
SIGNAL_TYPES: tuple[type[SignalType], ...] = (PdqSignal, VideoMD5Signal)   # what Tasman's matcher uses
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


def check_settings(api: str, settings: dict[str, Any]) -> dict[str, Any]:
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


# Exchanges whose members grade what they share, and the category scheme of those grades (an
# NCMEC entry's classification, A1/A2/B1/B2, is the industry scheme): an entry's own grade wins
# over the list's --category, which is for entries that give none.
CLASSIFIED = {NCMECSignalExchangeAPI.get_name(): "industry"}


def classified(api: str, tags: t.Iterable[str]) -> tuple[int | None, str | None]:
    scheme = CLASSIFIED.get(api)
    found: list[tuple[int, str]] = []
    if scheme is None:
        return None, None
    for tag in sorted(tags):
        try:
            mapped = map_category(tag, scheme)
        except ValueError:
            continue
        if mapped is not None:
            found.append((int(mapped), tag))
    if not found:
        return None, None
    cats = {c for c, _ in found}
    return (found[0][0] if len(cats) == 1 else None), ",".join(label for _, label in found)


def descriptors(meta: tx_state.FetchedSignalMetadata) -> dict[str, list[int]]:
    """ThreatExchange's descriptor ids behind a signal (where its opinions say which), kept so an
    examiner's opinion can be sent back to them."""
    ids = sorted({int(d) for o in meta.get_as_opinions()
                  if isinstance(d := getattr(o, "descriptor_id", None), int) and d > 0})
    return {"descriptors": ids[:50]} if ids else {}
