"""goAML XML (the UNODC report schema FIUs use): ``report/transaction`` with ``t_from_my_client``
or ``t_from`` and ``t_to_my_client`` or ``t_to``, each holding a person, an account or an entity.

Written from the schema's public descriptions and tolerant of missing optional elements: a
transaction without an amount or parties is a warning; multi-party transactions
(``involved_parties``) are reported as not supported. Parsed with defusedxml (no entities, no
external references): reports come from outside.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import parse as safe_parse

from tasman.core.errors import InputError
from tasman.core.fields import side_field
from tasman.money.readers.base import ReadOptions, ReadResult, TransactionReader, compact


def _strip_ns(root: ET.Element) -> None:
    for el in root.iter():
        if isinstance(el.tag, str) and "}" in el.tag:
            el.tag = el.tag.split("}", 1)[1]


def _text(el: ET.Element | None, path: str) -> str:
    if el is None:
        return ""
    found = el.find(path)
    return (found.text or "").strip() if found is not None and found.text else ""


def _phone(el: ET.Element) -> str:
    """The first phone: ``+prefix number`` when the country prefix is given, else as written."""
    ph = el.find("phones/phone")
    if ph is None:
        return ""
    prefix, number = _text(ph, "tph_country_prefix").lstrip("+0"), _text(ph, "tph_number")
    return f"+{prefix}{number}" if prefix and number else number


def _person(p: ET.Element) -> dict[str, str]:
    name = " ".join(x for x in (_text(p, "first_name"), _text(p, "middle_name"), _text(p, "last_name")) if x)
    addr = p.find("addresses/address")
    return {"name": name, "phone": _phone(p), "email": _text(p, "email"),
            "city": _text(addr, "city"), "country": _text(addr, "country_code") or _text(p, "residence")}


def _entity(e: ET.Element) -> dict[str, str]:
    addr = e.find("addresses/address")
    country = _text(addr, "country_code") or _text(e, "incorporation_country_code")
    return {"name": _text(e, "name"), "phone": _phone(e), "email": _text(e, "email"),
            "city": _text(addr, "city"), "country": country}


def _side(block: ET.Element, which: str) -> dict[str, str]:
    """One side of a bi-party transaction: ``from_person`` / ``from_account`` / ``from_entity``."""
    out: dict[str, str] = {}
    person = block.find(f"{which}_person")
    account = block.find(f"{which}_account")
    entity = block.find(f"{which}_entity")
    if person is not None:
        out = _person(person)
    elif account is not None:
        holder = account.find("signatory/t_person")
        owner = account.find("t_entity")
        out = _person(holder) if holder is not None else (_entity(owner) if owner is not None else {})
        out["account"] = _text(account, "iban") or _text(account, "account")
        out["name"] = out.get("name") or _text(account, "account_name")
        out["country"] = out.get("country") or ""
    elif entity is not None:
        out = _entity(entity)
    out["country"] = out.get("country") or _text(block, f"{which}_country")
    return out


class GoAmlReader(TransactionReader):
    name = "goaml"
    description = "goAML XML report (report/transaction, bi-party)"

    def read(self, path: Path, options: ReadOptions) -> ReadResult:
        try:
            root = safe_parse(str(path)).getroot()
        except (ET.ParseError, DefusedXmlException, OSError) as exc:
            raise InputError(f"{path.name!r} is not readable goAML XML: {exc}") from exc
        _strip_ns(root)
        if root.tag != "report":
            raise InputError(f"{path.name!r} is not a goAML report (root element <{root.tag}>, expected <report>)")
        local_currency = _text(root, "currency_code_local")
        out = ReadResult()
        for n, tx in enumerate(root.findall("transaction"), 1):
            sid = _text(tx, "transactionnumber") or _text(tx, "internal_ref_number") or f"tx{n}"
            where = f"{path.name}#{sid}"
            if tx.find("involved_parties") is not None:
                out.warnings.append(f"{where}: multi-party transaction (involved_parties) not supported; skipped")
                continue
            src = tx.find("t_from_my_client")
            if src is None:
                src = tx.find("t_from")
            dst = tx.find("t_to_my_client")
            if dst is None:
                dst = tx.find("t_to")
            if src is None or dst is None:
                out.warnings.append(f"{where}: no t_from/t_to (sender or beneficiary missing); skipped")
                continue
            amount, currency = _text(tx, "amount_local"), local_currency
            fx = src.find("from_foreign_currency")
            if fx is not None and _text(fx, "foreign_amount"):
                amount, currency = _text(fx, "foreign_amount"), _text(fx, "foreign_currency_code") or currency
            if not amount:
                out.warnings.append(f"{where}: no amount; skipped")
                continue
            try:
                float(amount)
            except ValueError:
                out.warnings.append(f"{where}: amount {amount!r} is not a number; skipped")
                continue
            sender, beneficiary = _side(src, "from"), _side(dst, "to")
            if not any(sender.values()) or not any(beneficiary.values()):
                out.warnings.append(f"{where}: sender or beneficiary has no details; skipped")
                continue
            fields: dict[str, Any] = {
                "record_id": sid, "timestamp": _text(tx, "date_transaction"), "amount": amount,
                "currency": currency, "reference": _text(tx, "transaction_description"),
                "channel": _text(tx, "transmode_code"),
                **{side_field("sender", k): v for k, v in sender.items()},
                **{side_field("beneficiary", k): v for k, v in beneficiary.items()},
            }
            out.rows.append((sid, compact(fields)))
        if not out.rows and not out.warnings:
            out.warnings.append(f"{path.name}: the report holds no transaction")
        return out
