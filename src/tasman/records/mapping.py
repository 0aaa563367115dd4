"""Column mappings: which source column holds which vocabulary field.

A mapping file is YAML::

    kind: customers
    columns:            # source column -> field (or ~ to ignore the column)
      Kunde: name
      E-Mail: email
      Notiz: ~
    country: DE         # optional: the country of records that do not name one
    dayfirst: true      # optional: how to read 03/04/1985 (otherwise decided from the column)
    delimiter: ";"      # optional: otherwise sniffed
    encoding: cp1252    # optional: otherwise detected
    sheet: Orders       # optional: XLSX sheet (otherwise the first)

Without one, :func:`guess_mapping` proposes a mapping from the header names (in several
languages), which the CLI prints and saves so the analyst can correct and re-run with ``--map``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tasman.core.errors import InputError, reason
from tasman.core.fields import fields_for
from tasman.extract.identifiers import clean_country, fold

SYNONYMS: dict[str, tuple[str, ...]] = {
    "record_id": ("id", "record id", "order id", "order no", "order number", "order", "customer id", "client id",
                  "ref", "reference no", "no", "nr", "bestellnummer", "numero de commande", "pedido", "transaction id",
                  "txn id", "tx id", "transfer id"),
    "name": ("name", "full name", "customer", "customer name", "buyer", "buyer name", "client", "client name",
             "nombre", "nom", "kunde", "nome", "contact", "account holder", "holder"),
    "first_name": ("first name", "firstname", "first", "given name", "forename", "prenom", "vorname", "nombre de pila",
                   "primer nombre", "given"),
    "last_name": ("last name", "lastname", "last", "surname", "family name", "nom de famille", "nachname",
                  "apellido", "apellidos", "cognome", "sobrenome"),
    "email": ("email", "e-mail", "mail", "email address", "e mail", "courriel", "correo", "correo electronico",
              "buyer email", "customer email", "emailaddress", "e-mail-adresse"),
    "phone": ("phone", "telephone", "tel", "mobile", "cell", "phone number", "telefono", "telefon", "handy",
              "mobile number", "contact number", "msisdn", "portable"),
    "username": ("username", "user name", "user", "login", "screen name", "screenname", "handle", "nick", "nickname",
                 "account name", "alias"),
    "platform": ("platform", "service", "app", "network", "site"),
    "street": ("street", "address", "address1", "address line 1", "street address", "addr", "strasse", "rue",
               "calle", "direccion", "adresse", "indirizzo", "endereco"),
    "city": ("city", "town", "ville", "stadt", "ciudad", "cidade", "citta", "ort", "locality"),
    "region": ("region", "state", "province", "county", "bundesland", "provincia", "estado"),
    "postcode": ("postcode", "post code", "zip", "zip code", "zipcode", "postal code", "plz", "cp", "cep",
                 "code postal", "codigo postal", "cap"),
    "country": ("country", "land", "pays", "pais", "country code", "nation", "staat"),
    "ip": ("ip", "ip address", "remote addr", "remote ip", "client ip", "ip addr"),
    "dob": ("dob", "date of birth", "birth date", "birthdate", "birthday", "born", "geburtsdatum",
            "fecha de nacimiento", "date de naissance", "data di nascita"),
    "timestamp": ("timestamp", "date", "order date", "created", "created at", "time", "datetime", "date time",
                  "order time", "datum", "fecha", "transaction date", "value date"),
    "payment_method": ("payment method", "payment type", "pay method", "payment", "method", "zahlungsart",
                       "mode de paiement", "metodo de pago"),
    "payment_ref": ("payment ref", "payment reference", "paypal", "iban", "payment account", "card",
                    "card number", "wallet"),
    "amount": ("amount", "total", "price", "sum", "value", "betrag", "montant", "importe", "valor", "importo"),
    "currency": ("currency", "cur", "ccy", "waehrung", "wahrung", "devise", "moneda", "valuta"),
    # transactions
    "reference": ("reference", "memo", "purpose", "message", "narrative", "remittance info", "description"),
    "channel": ("channel", "provider", "service provider", "product"),
    "sender_name": ("sender", "sender name", "from", "from name", "payer", "payer name", "remitter", "originator"),
    "sender_phone": ("sender phone", "from phone", "payer phone", "remitter phone", "sender mobile"),
    "sender_email": ("sender email", "from email", "payer email"),
    "sender_account": ("sender account", "from account", "payer account", "sender iban", "debtor account"),
    "sender_city": ("sender city", "from city", "payer city"),
    "sender_country": ("sender country", "from country", "payer country", "origin country"),
    "beneficiary_name": ("beneficiary", "beneficiary name", "to", "to name", "payee", "payee name", "receiver",
                         "recipient", "recipient name", "receiver name"),
    "beneficiary_phone": ("beneficiary phone", "to phone", "payee phone", "receiver phone", "recipient phone"),
    "beneficiary_email": ("beneficiary email", "to email", "payee email", "receiver email", "recipient email"),
    "beneficiary_account": ("beneficiary account", "to account", "payee account", "beneficiary iban",
                            "creditor account", "receiver account"),
    "beneficiary_city": ("beneficiary city", "to city", "payee city", "receiver city", "recipient city"),
    "sender_dob": ("sender dob", "sender date of birth", "payer dob", "remitter dob"),
    "sender_street": ("sender address", "sender street", "payer address", "remitter address"),
    "sender_postcode": ("sender postcode", "sender zip", "sender postal code"),
    "beneficiary_dob": ("beneficiary dob", "beneficiary date of birth", "receiver dob"),
    "beneficiary_street": ("beneficiary address", "beneficiary street", "receiver address", "payee address"),
    "beneficiary_postcode": ("beneficiary postcode", "beneficiary zip", "receiver postcode"),
    "beneficiary_country": ("beneficiary country", "to country", "payee country", "receiver country",
                            "destination country", "recipient country"),
}


def _key(header: str) -> str:
    return " ".join(fold(header.replace("_", " ").replace(".", " ")).replace("-", " ").split())


@dataclass
class Mapping:
    kind: str
    columns: dict[str, str | None]
    country: str | None = None
    dayfirst: bool | None = None  # None: decided from the column's values
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    guessed: bool = False
    notes: list[str] = field(default_factory=list)

    def to_yaml(self) -> str:
        doc: dict[str, Any] = {"kind": self.kind, "columns": dict(self.columns)}
        for k in ("country", "delimiter", "encoding", "sheet"):
            if getattr(self, k) is not None:
                doc[k] = getattr(self, k)
        if self.dayfirst is not None:
            doc["dayfirst"] = self.dayfirst
        head = "# Tasman column mapping: source column -> field (~ ignores a column). See docs/records.md.\n"
        if self.guessed:
            head += "# Guessed from the header names: check it, correct it, and import again with --map.\n"
        return head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_yaml(), encoding="utf-8")
        return path


def guess_mapping(headers: list[str], kind: str) -> Mapping:
    """Propose a field for each header; a field is given to one column only (the first that fits)."""
    vocab = fields_for(kind)
    lookup: dict[str, str] = {}
    for f in vocab:
        lookup.setdefault(_key(f), f)
        for syn in SYNONYMS.get(f, ()):
            lookup.setdefault(_key(syn), f)
    columns: dict[str, str | None] = {}
    used: set[str] = set()
    notes: list[str] = []
    for h in headers:
        k = _key(h)
        target = lookup.get(k)
        if target is None and k:
            close = difflib.get_close_matches(k, list(lookup), n=1, cutoff=0.86)
            target = lookup[close[0]] if close else None
        if target is not None and target in used:
            notes.append(f"column {h!r} also looks like {target}; it is left unmapped")
            target = None
        if target is not None:
            used.add(target)
        columns[h] = target
    return Mapping(kind=kind, columns=columns, guessed=True, notes=notes)


def mapping_differences(kept: Mapping, guess: Mapping) -> list[str]:
    """One line per column or setting where ``guess`` differs from ``kept`` (empty: the same)."""
    def name(v: object) -> str:
        return "(ignored)" if v is None else str(v)

    lines = [f"column {c!r}: yours {name(kept.columns.get(c))}, guessed {name(guess.columns.get(c))}"
             for c in dict.fromkeys([*kept.columns, *guess.columns]) if kept.columns.get(c) != guess.columns.get(c)]
    for k in ("country", "dayfirst", "delimiter", "encoding", "sheet"):
        if getattr(kept, k) != getattr(guess, k):
            lines.append(f"{k}: yours {name(getattr(kept, k))}, guessed {name(getattr(guess, k))}")
    return lines


def load_mapping(path: Path, kind: str) -> Mapping:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"no mapping file {str(path)!r}") from exc
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read mapping {path.name}: {reason(exc)}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("columns"), dict):
        raise InputError(f"mapping {path.name} needs a 'columns:' section of source column -> field")
    if doc.get("kind", kind) != kind:
        raise InputError(f"mapping {path.name} is for kind {doc.get('kind')!r}, not {kind!r}")
    vocab = set(fields_for(kind))
    columns: dict[str, str | None] = {}
    for src, dst in doc["columns"].items():
        if dst in (None, "", "ignore", "~"):
            columns[str(src)] = None
        elif dst not in vocab:
            raise InputError(f"mapping {path.name}: column {src!r} maps to unknown field {dst!r} "
                             f"(fields: {', '.join(sorted(vocab))})")
        else:
            columns[str(src)] = str(dst)
    taken: dict[str, str] = {}
    for src, dst in columns.items():
        if dst is not None and dst in taken:
            raise InputError(f"mapping {path.name}: columns {taken[dst]!r} and {src!r} both map to {dst!r}")
        if dst is not None:
            taken[dst] = src
    country = doc.get("country")
    if country is not None:
        c = clean_country(str(country))
        if c is None:
            raise InputError(f"mapping {path.name}: unknown country {country!r}")
        country = c.value
    dayfirst = doc.get("dayfirst")
    return Mapping(kind=kind, columns=columns, country=country,
                   dayfirst=None if dayfirst is None else bool(dayfirst),
                   delimiter=doc.get("delimiter"), encoding=doc.get("encoding"), sheet=doc.get("sheet"))
