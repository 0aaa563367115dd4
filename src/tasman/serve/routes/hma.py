"""An HMA-compatible lookup API: Meta's Hasher-Matcher-Actioner 2.x matching endpoints over the
workspace's hash sets, so that existing HMA clients can ask Tasman:

- ``GET /m/raw_lookup?signal_type=&signal=[&include_distance=]``: matching content ids;
- ``GET /m/lookup?signal_type=&signal=[&seed=]``: matching bank names (Tasman: hash-set names);
- ``GET /m/lookup?url=[&content_type=photo|video][&types=pdq,...]``: the media at ``url``
  fetched and hashed, ``{signal_type: [bank, ...]}``;
- ``POST /m/lookup`` (multipart/form-data, one file whose field name is its content type,
  ``photo`` or ``video``, as HMA's ``hash_media_from_form_data`` takes it): the uploaded file
  hashed, ``{signal_type: [bank, ...]}``;
- ``GET /m/index/status[?signal_type=]``: ``{signal_type: {"present", "built_to", "size"}}``.

Served twice: at ``/m/...`` (HMA's own paths) and at ``/api/v1/hma/m/...`` (in the API's OpenAPI
schema). Unlike a bare HMA, every call needs an API token with the ``read`` scope (a POST
lookup too: it changes nothing) and is rate-limited per user; every lookup is audited
(``hashset.lookup``, with how the hash came). Response shapes follow HMA's
``OpenMediaMatch/blueprints/matching.py`` and ``hashing.py``. Media handed in is hashed in
memory and never kept or shown. A URL is fetched only from the hosts the operator lists
(``serve.hma_url_hosts`` in tasman.yaml; none by default), without following redirects, within
the upload size limit: the server is not a proxy to anywhere its clients name.
"""

from __future__ import annotations

import hashlib
import time
from typing import Annotated, Any
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from pydantic import BaseModel
from sqlalchemy.orm import Session
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from tasman.core.errors import InputError
from tasman.serve.deps import DB, TOKEN_SCOPE, Viewer, api_user, state
from tasman.serve.routes.common import API, ERRORS
from tasman.serve.schemas import Problem
from tasman.tips.hashing import pdq_of
from tasman.triage.hashsets.lookup import LookupMatch, index_status, lookup_signal

api = APIRouter(prefix=f"{API}/hma/m", tags=["hma"])
router = APIRouter(prefix="/m", include_in_schema=False)

CONTENT_TYPES: dict[str, tuple[str, ...]] = {"photo": ("pdq",), "video": ("video_md5",)}  # HMA's defaults
URL_TIMEOUT = 15.0     # each connect or read
URL_DEADLINE = 60.0    # the whole download

SignalType = Annotated[str, Query(min_length=1, max_length=40, description="python-threatexchange's name: "
                                                                            "pdq or video_md5")]
Signal = Annotated[str, Query(min_length=1, max_length=200, description="The hash (hex)")]
Seed = Annotated[str | None, Query(max_length=200, description="HMA's coin-flip seed (accepted, unused)")]
Types = Annotated[str | None, Query(max_length=200, description="Signal types to compute, comma-separated "
                                                                "(default: all of the content type's)")]
RESPONSES: dict[int | str, dict[str, Any]] = {
    401: ERRORS[401], 403: {"model": Problem, "description": "The token lacks the read scope"},
    400: {"model": Problem, "description": "No such signal or content type, an invalid signal, media that "
                                           "cannot be hashed or is over the size limit, or a URL not allowed"},
    429: {"model": Problem, "description": "Too many lookups; see Retry-After"},
}


class MatchWithDistance(BaseModel):
    content_id: int
    distance: str


class RawLookup(BaseModel):
    matches: list[int] | list[MatchWithDistance]


def _count(request: Request, viewer: Viewer) -> None:
    st = state(request)
    st.limiter.hit("hma-lookup", viewer.name, st.settings.lookups_per_user)


def _lookup(request: Request, s: Session, viewer: Viewer, signal_type: str, signal: str,
            via: str = "signal", counted: bool = False) -> list[LookupMatch]:
    if not counted:
        _count(request, viewer)
    return lookup_signal(s, viewer.name, signal_type, signal, via=via)


def _banks(found: list[LookupMatch]) -> list[str]:
    return list(dict.fromkeys(m.bank for m in found))


def raw_lookup(request: Request, signal_type: SignalType, signal: Signal, include_distance: bool = False,
               s: Session = DB, viewer: Viewer = Depends(api_user)) -> RawLookup:
    """The matching hash-set entries' ids (HMA's content ids), closest first; with
    ``include_distance``, each with its distance (PDQ Hamming distance, 0 for an MD5)."""
    found = _lookup(request, s, viewer, signal_type, signal)
    if include_distance:
        return RawLookup(matches=[MatchWithDistance(content_id=m.content_id, distance=str(m.distance)) for m in found])
    return RawLookup(matches=[m.content_id for m in found])


def _signal_types(content_type: str, types: str | None) -> tuple[str, ...]:
    if content_type not in CONTENT_TYPES:
        raise InputError(f"no such content_type: {content_type[:40]!r} (use photo or video)")
    allowed = CONTENT_TYPES[content_type]
    if types is None:
        return allowed
    chosen = tuple(dict.fromkeys(t.strip() for t in types.split(",") if t.strip()))
    for name in chosen:
        if name not in allowed:
            raise InputError(f"signal type {name[:40]!r} doesn't exist or is disabled for {content_type}")
    if not chosen:
        raise InputError("empty signal type selection")
    return chosen


def _hash_media(data: bytes, content_type: str, signal_types: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in signal_types:
        if name == "video_md5":
            out[name] = hashlib.md5(data).hexdigest()
        elif name == "pdq":
            pdq = pdq_of(data)
            if pdq is None:
                raise InputError(f"the {content_type} could not be decoded as a picture to hash")
            out[name] = pdq[0][0]
    return out


def _lookup_media(request: Request, s: Session, viewer: Viewer, data: bytes, content_type: str,
                  types: str | None, via: str) -> dict[str, list[str]]:
    """(The caller has counted the lookup against the rate limit before fetching or reading the media.)"""
    hashes = _hash_media(data, content_type, _signal_types(content_type, types))
    return {name: _banks(_lookup(request, s, viewer, name, value, via, counted=True)) for name, value in hashes.items()}


def _fetch(request: Request, url: str, content_type: str | None) -> tuple[bytes, str]:
    """The media at ``url`` from an allowed host, within the size limit; its content type."""
    settings = state(request).settings
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise InputError("url: an http or https URL is needed")
    try:
        port = parts.port
    except ValueError:
        raise InputError("url: its port is not a number from 0 to 65535") from None
    listed = f"[{host}]" if ":" in host else host
    if host not in settings.hma_url_hosts and not any(h.startswith(f"{listed}:") for h in settings.hma_url_hosts):
        raise InputError(f"url: host {host[:100]!r} is not one this server fetches from "
                         "(serve.hma_url_hosts in tasman.yaml)")
    # a host is listed at its scheme's own port; any other port only as host:port
    default_port = {"http": 80, "https": 443}[parts.scheme]
    if port not in (None, default_port) and f"{listed}:{port}" not in settings.hma_url_hosts:
        raise InputError(f"url: port {port} of {host[:100]!r} is not one this server fetches from "
                         f"(list it as {listed[:100]}:{port} in serve.hma_url_hosts)")
    # requests parses with urllib3, which ends the host at a backslash where urlsplit does not
    # (http://evil\\@allowed/ is 'allowed' to urlsplit, 'evil' to urllib3): both must agree,
    # and a URL carrying credentials or a backslash before its path is refused outright
    try:
        fetched = (parse_url(url).host or "").strip("[]").lower()
    except LocationParseError:
        fetched = ""
    try:
        ascii_host = host.encode("idna").decode("ascii")   # an IDN as urllib3 writes it (xn--...)
    except UnicodeError:
        ascii_host = host
    if "@" in parts.netloc or "\\" in url.split("?", 1)[0] or fetched not in (host, ascii_host):
        raise InputError("url: user names, passwords and backslashes are not allowed in a lookup URL")
    limit = settings.max_lookup_bytes
    try:
        with requests.get(url, timeout=URL_TIMEOUT, allow_redirects=False, stream=True) as resp:
            if resp.status_code != 200:
                raise InputError(f"url: the host answered HTTP {resp.status_code}")
            # requests' timeout bounds each read, not the download: a host sending a byte at a
            # time would hold the lookup for ever, so the whole download has a deadline, checked
            # after each socket read (read1: what one read gives, not a full 64 KiB)
            deadline = time.monotonic() + URL_DEADLINE
            buf = bytearray()
            while chunk := resp.raw.read1(1 << 16, decode_content=True):
                buf += chunk
                if len(buf) > limit:
                    raise InputError(f"url: the media is larger than {limit} bytes")
                if time.monotonic() > deadline:
                    raise InputError(f"url: the download took longer than {URL_DEADLINE:g} s")
            data = bytes(buf)
            header = resp.headers.get("content-type", "").lower()
    except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
        raise InputError(f"url: could not fetch it ({type(exc).__name__})") from None
    if content_type is None:
        content_type = next((c for c, prefix in (("photo", "image"), ("video", "video")) if header.startswith(prefix)),
                            None)
        if content_type is None:
            raise InputError(f"unsupported url ContentType {header[:60]!r}: give content_type (photo or video)")
    return data, content_type


def lookup(request: Request, signal_type: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
           signal: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
           url: Annotated[str | None, Query(min_length=1, max_length=2000, description="Media to fetch and hash "
                                                                                        "(allowed hosts only)")] = None,
           content_type: Annotated[str | None, Query(max_length=40, description="photo or video (default: from "
                                                                                "the URL's Content-Type)")] = None,
           types: Types = None, seed: Seed = None, s: Session = DB,
           viewer: Viewer = Depends(api_user)) -> list[str] | dict[str, list[str]]:
    """The names of the hash sets (HMA's banks) holding a match for ``signal``; or, given ``url``,
    for each signal type of the fetched media, the banks holding a match."""
    if url:
        _count(request, viewer)   # before the download: a fetch that fails or cannot be hashed counts too
        data, kind = _fetch(request, url, content_type)
        return _lookup_media(request, s, viewer, data, kind, types, via=f"url:{urlsplit(url).hostname}")
    if not signal_type or not signal:
        raise InputError("signal_type and signal are required (or url)")
    return _banks(_lookup(request, s, viewer, signal_type, signal))


async def lookup_post(request: Request, photo: UploadFile | None = File(None, description="A picture"),
                      video: UploadFile | None = File(None, description="A video"), types: Types = None,
                      seed: Seed = None, s: Session = DB,
                      viewer: Viewer = Depends(api_user)) -> dict[str, list[str]]:
    """The uploaded file hashed (the form field's name is its content type, as HMA takes it), and
    for each signal type the banks holding a match. The file is not kept."""
    _count(request, viewer)   # before reading and hashing: an upload that cannot be hashed counts too
    form = await request.form()
    fields = [k for k, v in form.multi_items() if not isinstance(v, str)]
    unknown = sorted(set(fields) - set(CONTENT_TYPES))
    if unknown:
        raise InputError(f"no such content_type: {unknown[0][:40]!r} (use photo or video)")
    if len(fields) != 1:
        raise InputError("Only one file allowed per request" if fields else "Missing multipart/form-data file upload")
    kind, upload = ("photo", photo) if photo is not None else ("video", video)
    assert upload is not None
    limit = state(request).settings.max_lookup_bytes
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise InputError(f"the {kind} is larger than {limit} bytes")
    return _lookup_media(request, s, viewer, data, kind, types, via=f"upload:{kind}")


class IndexStatus(BaseModel):
    present: bool
    built_to: int
    size: int


def status(request: Request, signal_type: Annotated[str | None, Query(max_length=40)] = None, s: Session = DB,
           viewer: Viewer = Depends(api_user)) -> dict[str, IndexStatus]:
    """HMA's index status: per signal type, whether the banks hold such hashes, how many, and when
    the newest bank changed (epoch seconds; -1 when none). Tasman's index is rebuilt on the first
    lookup after a change, so it is always as new as the banks."""
    st = state(request)
    st.limiter.hit("hma-lookup", viewer.name, st.settings.lookups_per_user)
    return {k: IndexStatus.model_validate(v) for k, v in index_status(s, signal_type).items()}


for _r in (api, router):
    _r.add_api_route("/index/status", status, methods=["GET"], response_model=dict[str, IndexStatus],
                     responses=RESPONSES, summary="HMA index status: hashes per signal type")
    _r.add_api_route("/raw_lookup", raw_lookup, methods=["GET"], response_model=RawLookup, responses=RESPONSES,
                     summary="HMA raw_lookup: matching content ids")
    _r.add_api_route("/lookup", lookup, methods=["GET"], response_model=list[str] | dict[str, list[str]],
                     responses=RESPONSES, summary="HMA lookup: matching banks (hash sets), of a hash or a URL")
    _r.add_api_route("/lookup", lookup_post, methods=["POST"], response_model=dict[str, list[str]],
                     responses=RESPONSES, openapi_extra={TOKEN_SCOPE: "read"},
                     summary="HMA lookup of an uploaded file: matching banks per signal type")
