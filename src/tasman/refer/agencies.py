"""The agency directory: which agency serves which country, and its public keys.

YAML, as a file of several entries (``agencies: [...]``) or one entry (what ``tasman keys
generate`` writes to ``keys/identity.yaml``)::

    agencies:
      - name: Philippine National Police WCPC
        countries: [PH]
        contact: wcpc@example.invalid
        age_recipient: age1...
        signing_key: <base64 Ed25519 public key>
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyrage
import yaml
from pyrage import x25519
from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.core import audit, safeyaml
from tasman.core.errors import AlreadyExistsError, InputError, reason
from tasman.extract.identifiers import clean_country
from tasman.refer.keys import fingerprint, load_public
from tasman.refer.models import Agency


def parse_countries(raw: list[str] | str) -> list[str]:
    items = [raw] if isinstance(raw, str) else list(raw)
    out = []
    for c in items:
        for part in str(c).split(","):
            if not part.strip():
                continue
            found = clean_country(part)
            if found is None:
                raise InputError(f"unknown country {part.strip()!r}")
            out.append(found.value)
    if not out:
        raise InputError("no country given: use ISO codes such as PH, or country names")
    return sorted(set(out))


def add_agency(session: Session, actor: str, name: str, countries: list[str] | str, age_recipient: str,
               signing_key: str = "", contact: str = "", replace: bool = False) -> Agency:
    name = name.strip()
    if not name:
        raise InputError("the agency name must not be empty")
    ccs = parse_countries(countries)
    try:
        x25519.Recipient.from_str(age_recipient.strip())
    except pyrage.RecipientError as exc:
        raise InputError(f"{age_recipient!r} is not an age X25519 recipient (age1...)") from exc
    fp = ""
    if signing_key:
        load_public(signing_key)
        fp = fingerprint(signing_key)
    existing = session.scalar(select(Agency).where(Agency.name == name))
    if existing is not None and not replace:
        raise AlreadyExistsError(f"agency {name!r} is already in the directory (use --replace to change it)")
    for other in session.scalars(select(Agency).where(Agency.name != name)):
        clash = sorted(set(other.countries) & set(ccs))
        if clash:
            raise InputError(f"{clash[0]} is already served by {other.name!r}")
    row = existing or Agency(name=name, added_by=actor)
    row.countries, row.contact, row.age_recipient = ccs, contact, age_recipient.strip()
    row.signing_key, row.fingerprint = signing_key, fp
    if existing is None:
        session.add(row)
    session.flush()
    audit.record(session, actor, "agency.replace" if existing else "agency.add", target=name,
                 countries=ccs, fingerprint=fp)
    return row


def import_directory(session: Session, actor: str, path: Path, replace: bool = False) -> list[Agency]:
    """Add the entries of a directory file or one ``identity.yaml``, a file from outside: read
    with a size limit (``safeyaml.MAX_BYTES``) and no YAML aliases."""
    if path.exists() and not path.is_file():   # a FIFO would block the open
        raise InputError(f"{str(path)!r} is not a regular file")
    try:
        with path.open("rb") as fh:
            raw = fh.read(safeyaml.MAX_BYTES + 1)
        data = safeyaml.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, safeyaml.TooLargeError) as exc:
        raise InputError(f"cannot read {str(path)!r}: {reason(exc)}") from exc
    except yaml.YAMLError as exc:
        raise InputError(f"{str(path)!r} is not valid YAML: {reason(exc)}") from exc
    entries: Any = data.get("agencies") if isinstance(data, dict) and "agencies" in data else [data]
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise InputError(f"{str(path)!r} must hold 'agencies:' with a list of entries, or one entry")
    out = []
    for i, e in enumerate(entries, 1):
        missing = [k for k in ("name", "countries", "age_recipient") if not e.get(k)]
        if missing:
            raise InputError(f"{path.name} entry {i}: missing {missing[0]!r}")
        out.append(add_agency(session, actor, str(e["name"]), e["countries"], str(e["age_recipient"]),
                              str(e.get("signing_key") or ""), str(e.get("contact") or ""), replace))
    return out


def list_agencies(session: Session) -> list[Agency]:
    return list(session.scalars(select(Agency).order_by(Agency.name)))


def for_country(session: Session, country: str) -> Agency | None:
    return next((a for a in list_agencies(session) if country in a.countries), None)


def by_fingerprint(session: Session, fp: str) -> Agency | None:
    return session.scalar(select(Agency).where(Agency.fingerprint == fp)) if fp else None


def as_entry(a: Agency) -> dict[str, Any]:
    return {"name": a.name, "countries": a.countries, "contact": a.contact, "age_recipient": a.age_recipient,
            "signing_key": a.signing_key, "fingerprint": a.fingerprint}
