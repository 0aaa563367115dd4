"""What customers and transactions share: a table (CSV, TSV, XLSX) read through a column mapping."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar

from tasman.core.errors import InputError
from tasman.core.fields import DATE_FIELDS, NUMBER_FIELDS, TIMESTAMP_FIELDS
from tasman.records.dates import dayfirst_for, detect_dayfirst, parse_date, parse_timestamp
from tasman.records.importers.base import (
    Importer,
    Options,
    Parsed,
    checked_platform,
    clean_text,
    country_code,
    parse_amount,
    plausible,
)
from tasman.records.mapping import Mapping, guess_mapping
from tasman.records.tabular import read_table


class TableImporter(Importer):
    identifying: ClassVar[tuple[str, ...]]
    country_field: ClassVar[str]  # whose country decides day-first dates

    def parse(self, path: Path, options: Options) -> Parsed:
        mapping = options.mapping
        table = read_table(path, mapping.delimiter if mapping else None, mapping.encoding if mapping else None,
                           mapping.sheet if mapping else None)
        source = options.source or path.name
        out = Parsed(kind=self.kind, source=source)
        out.warnings.extend(f"{source}{w}" for w in table.warnings)
        if mapping is None:
            mapping = guess_mapping(table.headers, self.kind)
            mapping.delimiter = table.delimiter if table.delimiter not in (None, ",") else None
        out.mapping = mapping
        out.notes.extend(mapping.notes)
        index = self._index(table.headers, mapping, out)
        raw_rows: list[tuple[int, dict[str, Any]]] = []
        for n, values in table.rows:
            out.total += 1
            if len(values) != len(table.headers):
                out.warn(f"row {n}", f"{len(values)} values for {len(table.headers)} columns "
                         "(wrong delimiter or a stray separator?)")
            raw_rows.append((n, self._raw_fields(values, index, mapping, out, n)))
        dayfirst = {f: mapping.dayfirst if mapping.dayfirst is not None else detect_dayfirst(
            [str(r[f]) for _, r in raw_rows if isinstance(r.get(f), str)]) for f in (*DATE_FIELDS, *TIMESTAMP_FIELDS)}
        ids_seen: dict[str, int] = {}
        for n, fields in raw_rows:
            self._convert(fields, dayfirst, out, n)
            if not any(f in fields and plausible(f, str(fields[f])) for f in self.identifying):
                out.skip(f"row {n}", "nothing that identifies anyone ("
                         + ", ".join(self.identifying) + ")")
                continue
            source_id = str(fields.pop("record_id", "") or n)
            if source_id in ids_seen:
                out.skip(f"row {n}", f"record id {source_id!r} already used by row {ids_seen[source_id]}")
                continue
            ids_seen[source_id] = n
            out.rows.append((source_id, fields))
        return out

    def _index(self, headers: list[str], mapping: Mapping, out: Parsed) -> list[tuple[int, str]]:
        index: list[tuple[int, str]] = []
        present = set(headers)
        for i, h in enumerate(headers):
            if h not in mapping.columns:
                out.notes.append(f"column {h!r} is not in the mapping: ignored")
                mapping.columns.setdefault(h, None)
            elif mapping.columns[h] is not None:
                index.append((i, str(mapping.columns[h])))
            elif mapping.guessed:
                out.notes.append(f"column {h!r} matches no field: ignored")
        for h in mapping.columns:
            if h not in present:
                out.notes.append(f"mapped column {h!r} is not in the file")
        if not index:
            raise InputError(f"{out.source}: no column maps to a field (headers: {', '.join(headers)[:200]}); "
                             "write a mapping and pass --map")
        return index

    def _raw_fields(self, values: list[Any], index: list[tuple[int, str]], mapping: Mapping, out: Parsed,
                    n: int) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for i, name in index:
            if i >= len(values):
                continue
            raw = values[i]
            if raw is None or raw == "":
                continue
            if isinstance(raw, (date, datetime)):
                fields[name] = raw
                continue
            text = checked_platform(raw, out, f"row {n}") if name == "platform" else clean_text(raw)
            if text:
                fields[name] = text
        if mapping.country and self.country_field not in fields:
            fields[self.country_field] = mapping.country
        return fields

    def _convert(self, fields: dict[str, Any], dayfirst: dict[str, bool | None], out: Parsed, n: int) -> None:
        country: str | None = None
        for name in [f for f in fields if f in DATE_FIELDS or f in TIMESTAMP_FIELDS]:
            first = dayfirst.get(name)
            if first is None:
                if country is None:
                    country = country_code(fields.get(self.country_field)) or ""
                first = dayfirst_for(country or None)
            raw = fields[name]
            parsed = parse_date(raw, first) if name in DATE_FIELDS else parse_timestamp(raw, first)
            if parsed is None:
                out.warn(f"row {n}", f"{name} {str(raw)!r} is not a date: left out")
                del fields[name]
            else:
                fields[name] = parsed
        for name in [f for f in fields if f in NUMBER_FIELDS]:
            amount = parse_amount(str(fields[name]))
            if amount is None:
                out.warn(f"row {n}", f"{name} {fields[name]!r} is not a number: left out")
                del fields[name]
                continue
            fields[name] = amount[0]
            if amount[1] and "currency" not in fields:
                fields["currency"] = amount[1]
