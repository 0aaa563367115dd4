"""A multi-source record corpus on disk with its ground truth: what a case might hold after a
storefront seizure, an online operation, tips and a financial intelligence disclosure.

Files (each importable with ``tasman records import``):

- ``storefront_orders.csv``  customers, English headers, comma, one full-name column
- ``kundenliste.csv``        customers, German headers, semicolon, first/last name columns,
                             dates as DD.MM.YYYY, UTF-8 with BOM, an unmapped ``Notiz`` column
- ``pedidos.tsv``            customers, Spanish headers, tab
- ``clientes.xlsx``          customers, French headers (small)
- ``operation_chats.jsonl``  chats, the generic JSONL chat format
- ``tips.json``              tips, the Tasman tip JSON
- ``transfers.csv``          transactions
- ``truth.csv``              source,source_id,role,person,country (not a record file): who each
                             record's party is, and the country that person lives in

``habits=True`` adds the field habits of an independent corpus (issue 14, see
:mod:`tasman.synth.people`): chats on site-specific platforms by screen names built from names,
tips with screen names without a service, order emails at national providers. ``bench/link.py``
uses it; the default keeps the corpus the tests and the demo were written against.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tasman.synth.people import (
    Person,
    Truth,
    chat_sessions,
    customer_rows,
    make_people,
    reset_registry,
    tip_reports,
    transaction_rows,
)

KINDS = ("customers", "chats", "tips", "transactions")
SHARES = (0.5, 0.15, 0.15, 0.2)
RECORDS_PER_PERSON = ((1, 25), (2, 20), (3, 17), (4, 12), (5, 9), (6, 6), (8, 5), (10, 3), (14, 2), (20, 1))
BENEFICIARY_COUNTRIES = ["PH", "IN", "NG", "MX", "VN", "TH", "ID", "KE", "CO", "EG"]


@dataclass(frozen=True)
class TableSource:
    file: str
    headers: dict[str, str]  # field -> column header
    delimiter: str = ","
    split_names: bool = False
    dob_format: str = "iso"   # iso | dmy_dots | dmy_slash
    extra_column: tuple[str, str] | None = None
    encoding: str = "utf-8"
    share: float = 0.0


CUSTOMER_SOURCES = (
    TableSource("storefront_orders.csv", {
        "record_id": "order_id", "name": "customer", "email": "email", "phone": "phone", "street": "address",
        "city": "city", "postcode": "zip", "country": "country", "dob": "date_of_birth", "payment_method": "payment",
        "payment_ref": "payment_ref", "amount": "total", "currency": "currency", "timestamp": "order_date",
        "ip": "ip_address"}, share=0.5),
    TableSource("kundenliste.csv", {
        "record_id": "Bestellnummer", "first_name": "Vorname", "last_name": "Nachname", "email": "E-Mail",
        "phone": "Telefon", "street": "Straße", "city": "Stadt", "postcode": "PLZ", "country": "Land",
        "dob": "Geburtsdatum", "payment_method": "Zahlungsart", "payment_ref": "IBAN", "amount": "Betrag",
        "currency": "Währung", "timestamp": "Datum"}, delimiter=";", split_names=True, dob_format="dmy_dots",
        extra_column=("Notiz", "bitte schnell liefern"), encoding="utf-8-sig", share=0.25),
    TableSource("pedidos.tsv", {
        "record_id": "pedido", "name": "nombre", "email": "correo", "phone": "telefono", "street": "direccion",
        "city": "ciudad", "postcode": "codigo postal", "country": "pais", "dob": "fecha de nacimiento",
        "amount": "importe", "currency": "moneda", "timestamp": "fecha"}, delimiter="\t", dob_format="dmy_slash",
        share=0.2),
    TableSource("clientes.xlsx", {
        "record_id": "id", "first_name": "prénom", "last_name": "nom de famille", "email": "courriel",
        "phone": "téléphone", "city": "ville", "country": "pays", "dob": "date de naissance"}, split_names=True,
        share=0.05),
)


@dataclass
class Corpus:
    folder: Path
    files: dict[str, tuple[str, Path]] = field(default_factory=dict)  # source -> (kind, path)
    truth: list[Truth] = field(default_factory=list)
    people: int = 0
    records: int = 0
    countries: dict[str, str] = field(default_factory=dict)  # person -> country code

    @property
    def truth_path(self) -> Path:
        return self.folder / "truth.csv"


def plan(rng: random.Random, records: int) -> tuple[int, list[int]]:
    """How many persons, and how many records each, to reach ``records`` records."""
    sizes, weights = zip(*RECORDS_PER_PERSON, strict=True)
    counts: list[int] = []
    total = 0
    while total < records:
        k = min(rng.choices(sizes, weights)[0], records - total)
        counts.append(k)
        total += k
    return len(counts), counts


def _dob(value: str, fmt: str) -> str:
    y, m, d = value.split("-")
    return {"iso": value, "dmy_dots": f"{d}.{m}.{y}", "dmy_slash": f"{int(d)}/{int(m)}/{y}"}[fmt]


def _write_table(path: Path, src: TableSource, rows: Iterable[dict[str, str]]) -> None:
    headers = list(src.headers.values()) + ([src.extra_column[0]] if src.extra_column else [])
    if path.suffix == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("clients")
        ws.append(headers)
        for r in rows:
            ws.append([_cell(r, f, src) for f in src.headers])
        wb.save(path)
        return
    with path.open("w", encoding=src.encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=src.delimiter)
        w.writerow(headers)
        for r in rows:
            w.writerow([_cell(r, f, src) for f in src.headers] + ([src.extra_column[1]] if src.extra_column else []))


def _cell(row: dict[str, str], f: str, src: TableSource) -> str:
    v = row.get(f, "")
    if f == "dob" and v:
        return _dob(v, src.dob_format)
    if f == "name" and src.split_names:
        return ""
    return v


def make_corpus(folder: Path, records: int = 2000, seed: int = 7, people: list[Person] | None = None,
                countries: list[str] | None = None, habits: bool = False) -> Corpus:
    """Write a corpus of about ``records`` records under ``folder``; the truth goes to ``truth.csv``.
    ``countries`` limits where persons (and beneficiaries) live (default: all 40); ``habits``:
    with issue 14's field habits (module docstring)."""
    rng = random.Random(seed)
    reset_registry()
    folder.mkdir(parents=True, exist_ok=True)
    n_people, counts = plan(rng, records)
    persons = people or make_people(rng, n_people, countries, habits=habits)
    by_kind: dict[str, list[Person]] = {k: [] for k in KINDS}
    for p, k in zip(persons, counts, strict=False):
        for _ in range(k):
            by_kind[rng.choices(KINDS, SHARES)[0]].append(p)
    for lst in by_kind.values():
        rng.shuffle(lst)
    corpus = Corpus(folder=folder, people=len(persons), countries={p.pid: p.country for p in persons})
    # customers, split across the table sources
    custs = by_kind["customers"]
    start = 0
    for i, src in enumerate(CUSTOMER_SOURCES):
        end = len(custs) if i == len(CUSTOMER_SOURCES) - 1 else start + int(len(custs) * src.share)
        chunk = custs[start:end]
        start = end
        if not chunk:
            continue
        rows, truth = customer_rows(rng, chunk, src.file, split_names=src.split_names, id_prefix=f"{'ABCD'[i]}-")
        _write_table(folder / src.file, src, rows)
        corpus.files[src.file] = ("customers", folder / src.file)
        corpus.truth.extend(truth)
    if by_kind["chats"]:
        sessions, truth = chat_sessions(rng, by_kind["chats"], "operation_chats.jsonl")
        with (folder / "operation_chats.jsonl").open("w", encoding="utf-8") as fh:
            for s in sessions:
                fh.write(json.dumps(s, ensure_ascii=False) + "\n")
        corpus.files["operation_chats.jsonl"] = ("chats", folder / "operation_chats.jsonl")
        corpus.truth.extend(truth)
    if by_kind["tips"]:
        tips, truth = tip_reports(rng, by_kind["tips"], "tips.json")
        (folder / "tips.json").write_text(json.dumps({"tips": tips}, ensure_ascii=False), encoding="utf-8")
        corpus.files["tips.json"] = ("tips", folder / "tips.json")
        corpus.truth.extend(truth)
    if by_kind["transactions"]:
        senders = by_kind["transactions"]
        pool = make_people(rng, max(1, len(senders) // 4), countries or BENEFICIARY_COUNTRIES, start=1, prefix="B")
        transfers = [(s, rng.choice(pool)) for s in senders]
        rows, truth = transaction_rows(rng, transfers, "transfers.csv")
        fields = ["record_id", "timestamp", "amount", "currency", "reference", "channel",
                  "sender_name", "sender_dob", "sender_phone", "sender_email", "sender_account", "sender_street",
                  "sender_postcode", "sender_city", "sender_country",
                  "beneficiary_name", "beneficiary_phone", "beneficiary_email", "beneficiary_account",
                  "beneficiary_city", "beneficiary_country"]
        with (folder / "transfers.csv").open("w", encoding="utf-8", newline="") as fh:
            dw = csv.DictWriter(fh, fieldnames=fields)
            dw.writeheader()
            dw.writerows(rows)
        corpus.files["transfers.csv"] = ("transactions", folder / "transfers.csv")
        corpus.truth.extend(truth)
        corpus.people += len(pool)
        corpus.countries.update((b.pid, b.country) for b in pool)
    corpus.records = sum(len(v) for v in by_kind.values())
    with corpus.truth_path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["source", "source_id", "role", "person", "country"])
        w.writerows((t.source, t.source_id, t.role, t.person, corpus.countries[t.person]) for t in corpus.truth)
    return corpus


def read_truth(path: Path) -> dict[tuple[str, str, str], str]:
    """``truth.csv`` as (source, source_id, role) -> person."""
    with path.open(encoding="utf-8", newline="") as fh:
        return {(r["source"], r["source_id"], r["role"]): r["person"] for r in csv.DictReader(fh)}


def read_countries(path: Path) -> dict[str, str]:
    """``truth.csv`` as person -> the country they live in."""
    with path.open(encoding="utf-8", newline="") as fh:
        return {r["person"]: r["country"] for r in csv.DictReader(fh)}
