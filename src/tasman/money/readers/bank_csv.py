"""A bank statement as CSV, with a YAML mapping from its columns to statement fields.

Mapping (docs/money.md)::

    columns: {Date: date, Time: time, Amount: amount, Description: counterparty, Reference: reference}
    account_holder: {name: "A. Holder", account: "NZ12...", country: NZ, phone: "+64..."}
    currency: NZD          # when there is no currency column
    dayfirst: true         # 03/04/2024 is 3 April
    decimal: "."           # or "," for 1.234,56
    delimiter: ","         # sniffed when left out
    debit_values: [DR, D, debit]   # for a direction column

A debit is money out: the holder sends to the counterparty; a credit is money in.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from tasman.core.errors import InputError, reason
from tasman.core.fields import side_field
from tasman.money.readers.base import ReadOptions, ReadResult, TransactionReader, compact

STATEMENT_FIELDS = ("record_id", "date", "time", "amount", "debit", "credit", "direction", "currency", "counterparty",
                    "counterparty_account", "counterparty_phone", "counterparty_email", "counterparty_city",
                    "counterparty_country", "reference", "channel")
HOLDER_FIELDS = ("name", "account", "phone", "email", "city", "country")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%d %b %Y", "%d-%b-%Y", "%b %d %Y", "%Y%m%d")


def load_mapping(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read mapping {str(path)!r}: {reason(exc)}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("columns"), dict) or not data["columns"]:
        raise InputError(f"mapping {str(path)!r} needs a 'columns' mapping of CSV column -> field")
    bad = sorted(str(v) for v in data["columns"].values() if v not in STATEMENT_FIELDS)
    if bad:
        raise InputError(f"mapping {str(path)!r}: unknown field {bad[0]!r}; use one of {', '.join(STATEMENT_FIELDS)}")
    holder = data.get("account_holder") or {}
    if not isinstance(holder, dict) or any(k not in HOLDER_FIELDS for k in holder):
        raise InputError(f"mapping {str(path)!r}: account_holder takes {', '.join(HOLDER_FIELDS)}")
    return data


def parse_amount(raw: str, decimal: str) -> float | None:
    text = raw.strip().replace("\u00a0", "").replace(" ", "")
    negative = (text.startswith("(") and text.endswith(")")) or text.endswith("-")
    text = text.strip("()").rstrip("-")
    text = re.sub(r"^[^\d\-+.,]+|[^\d.,]+$", "", text)  # currency symbols or codes around the number
    if decimal == ",":
        text = text.replace(".", "").replace(",", ".")
    else:
        text = text.replace(",", "")
    try:
        value = float(text)
    except ValueError:
        return None
    return -abs(value) if negative else value


def parse_date(raw: str, time: str, dayfirst: bool) -> str | None:
    """ISO 8601 (naive: the statement's own local time), or None."""
    text = raw.strip()
    if not text:
        return None
    slashed = ("%d/%m/%Y", "%d/%m/%y", "%m/%d/%Y") if dayfirst else ("%m/%d/%Y", "%m/%d/%y", "%d/%m/%Y")
    formats = (*DATE_FORMATS, *slashed)
    parsed = None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        for fmt in formats:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    if time.strip():
        try:
            t = datetime.strptime(time.strip()[:8], "%H:%M:%S" if time.count(":") == 2 else "%H:%M")
        except ValueError:
            return None
        parsed = parsed.replace(hour=t.hour, minute=t.minute, second=t.second)
        return parsed.isoformat()
    timed = ("T" in text or " " in text) and (parsed.hour or parsed.minute)
    return parsed.isoformat() if timed else parsed.date().isoformat()


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    for enc in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


class BankCsvReader(TransactionReader):
    name = "bank-csv"
    description = "bank statement CSV with a YAML column mapping"

    def read(self, path: Path, options: ReadOptions) -> ReadResult:
        if options.mapping is None:
            raise InputError("--format bank-csv needs --map MAPPING.yaml (see docs/money.md)")
        m = load_mapping(options.mapping)
        holder = {k: str(v) for k, v in (m.get("account_holder") or {}).items()}
        if options.account_holder:
            holder["name"] = options.account_holder
        if not any(holder.get(k) for k in ("name", "account", "phone", "email")):
            raise InputError("whose statement is it? give --account-holder NAME or account_holder in the mapping")
        try:
            text = _read_text(path)
        except OSError as exc:
            raise InputError(f"cannot read {str(path)!r}: {exc}") from exc
        if not text.strip():
            raise InputError(f"{path.name!r} is empty")
        delimiter = m.get("delimiter")
        if not delimiter:
            try:
                delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|").delimiter
            except csv.Error:
                delimiter = ","
        reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
        columns = {str(k): str(v) for k, v in m["columns"].items()}
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if len(missing) == len(columns):
            raise InputError(f"{path.name!r}: none of the mapped columns are in the file (header: "
                             f"{', '.join(reader.fieldnames or [])!s}); check the delimiter and the mapping")
        out = ReadResult()
        if missing:
            out.warnings.append(f"{path.name}: mapped columns not in the file: {', '.join(missing)}")
        debit_values = {str(v).strip().lower() for v in m.get("debit_values", ("dr", "d", "debit", "out", "-"))}
        for n, raw in enumerate(reader, 2):  # row 1 is the header
            row = {f: (raw.get(c) or "").strip() for c, f in columns.items()}
            sid = row.get("record_id") or f"row{n}"
            where = f"{path.name}#{sid}"
            result = self._row(row, holder, m, debit_values)
            if isinstance(result, str):
                out.warnings.append(f"{where}: {result}")
            else:
                result["record_id"] = sid
                out.rows.append((sid, compact(result)))
        return out

    @staticmethod
    def _row(row: dict[str, str], holder: dict[str, str], m: dict[str, Any], debit_values: set[str]
             ) -> dict[str, Any] | str:
        decimal = str(m.get("decimal", "."))
        if row.get("debit") or row.get("credit"):
            d = parse_amount(row["debit"], decimal) if row.get("debit") else None
            c = parse_amount(row["credit"], decimal) if row.get("credit") else None
            if d is None and c is None:
                return f"debit/credit {row.get('debit') or row.get('credit')!r} is not a number"
            amount = -abs(d) if d else abs(c or 0.0)
        elif row.get("amount"):
            a = parse_amount(row["amount"], decimal)
            if a is None:
                return f"amount {row['amount']!r} is not a number"
            amount = a
            if row.get("direction"):
                amount = -abs(a) if row["direction"].strip().lower() in debit_values else abs(a)
        else:
            return "no amount"
        if amount == 0:
            return "amount is zero"
        ts = parse_date(row.get("date", ""), row.get("time", ""), bool(m.get("dayfirst", True)))
        if ts is None:
            return f"date {row.get('date')!r} (time {row.get('time')!r}) is not a date"
        other = {"name": row.get("counterparty", ""), "account": row.get("counterparty_account", ""),
                 "phone": row.get("counterparty_phone", ""), "email": row.get("counterparty_email", ""),
                 "city": row.get("counterparty_city", ""), "country": row.get("counterparty_country", "")}
        if not any(other.values()):
            return "no counterparty"
        sender, beneficiary = (holder, other) if amount < 0 else (other, holder)
        return {"timestamp": ts, "amount": f"{abs(amount):.2f}",
                "currency": (row.get("currency") or str(m.get("currency") or "")).upper(),
                "reference": row.get("reference", ""), "channel": row.get("channel", "") or "bank",
                **{side_field("sender", k): v for k, v in sender.items()},
                **{side_field("beneficiary", k): v for k, v in beneficiary.items()}}
