"""An HMA-compatible lookup API: Meta's Hasher-Matcher-Actioner 2.x matching endpoints
(``GET /m/raw_lookup``, ``GET /m/lookup``) over the workspace's hash sets, so that existing HMA
clients can ask Tasman.

Served twice: at ``/m/...`` (HMA's own paths) and at ``/api/v1/hma/m/...`` (in the API's OpenAPI
schema; a client whose base URL is ``https://HOST/api/v1/hma`` reaches the same code). Unlike a
bare HMA, every call needs an API token with the ``read`` scope and is rate-limited per user;
every lookup is audited (``hashset.lookup``). Response shapes follow HMA's
``OpenMediaMatch/blueprints/matching.py``: ``{"matches": [content_id, ...]}`` (with
``include_distance``: ``{"matches": [{"content_id": ..., "distance": "..."}]}``), and for
``/m/lookup`` the list of matching bank names (Tasman: hash-set names).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from tasman.serve.deps import DB, Viewer, api_user, state
from tasman.serve.routes.common import API, ERRORS
from tasman.serve.schemas import Problem
from tasman.triage.hashsets.lookup import LookupMatch, lookup_signal

api = APIRouter(prefix=f"{API}/hma/m", tags=["hma"])
router = APIRouter(prefix="/m", include_in_schema=False)

SignalType = Annotated[str, Query(min_length=1, max_length=40, description="python-threatexchange's name: "
                                                                            "pdq or video_md5")]
Signal = Annotated[str, Query(min_length=1, max_length=200, description="The hash (hex)")]
Seed = Annotated[str | None, Query(max_length=200, description="HMA's coin-flip seed (accepted, unused)")]
RESPONSES: dict[int | str, dict[str, Any]] = {
    401: ERRORS[401], 403: {"model": Problem, "description": "The token lacks the read scope"},
    400: {"model": Problem, "description": "No such signal type, or an invalid signal"},
    429: {"model": Problem, "description": "Too many lookups; see Retry-After"},
}


class MatchWithDistance(BaseModel):
    content_id: int
    distance: str


class RawLookup(BaseModel):
    matches: list[int] | list[MatchWithDistance]


def _lookup(request: Request, s: Session, viewer: Viewer, signal_type: str, signal: str) -> list[LookupMatch]:
    st = state(request)
    st.limiter.hit("hma-lookup", viewer.name, st.settings.lookups_per_user)
    return lookup_signal(s, viewer.name, signal_type, signal)


def raw_lookup(request: Request, signal_type: SignalType, signal: Signal, include_distance: bool = False,
               s: Session = DB, viewer: Viewer = Depends(api_user)) -> RawLookup:
    """The matching hash-set entries' ids (HMA's content ids), closest first; with
    ``include_distance``, each with its distance (PDQ Hamming distance, 0 for an MD5)."""
    found = _lookup(request, s, viewer, signal_type, signal)
    if include_distance:
        return RawLookup(matches=[MatchWithDistance(content_id=m.content_id, distance=str(m.distance)) for m in found])
    return RawLookup(matches=[m.content_id for m in found])


def lookup(request: Request, signal_type: SignalType, signal: Signal, seed: Seed = None,
           s: Session = DB, viewer: Viewer = Depends(api_user)) -> list[str]:
    """The names of the hash sets (HMA's banks) holding a match."""
    found = _lookup(request, s, viewer, signal_type, signal)
    return list(dict.fromkeys(m.bank for m in found))


for _r in (api, router):
    _r.add_api_route("/raw_lookup", raw_lookup, methods=["GET"], response_model=RawLookup, responses=RESPONSES,
                     summary="HMA raw_lookup: matching content ids")
    _r.add_api_route("/lookup", lookup, methods=["GET"], response_model=list[str], responses=RESPONSES,
                     summary="HMA lookup: matching banks (hash sets)")
