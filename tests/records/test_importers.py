"""Every importer on good and bad input, without storage (parsers never touch it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tasman.core.errors import InputError, LimitError, NotFoundError
from tasman.records.dates import detect_dayfirst, parse_date, parse_timestamp
from tasman.records.importers import Options, importer_for
from tasman.records.importers.base import parse_amount
from tasman.records.mapping import guess_mapping, load_mapping

GERMAN = "Bestellnummer;Kunde;E-Mail;Telefon;Stadt;Land;Geburtsdatum;Betrag;Notiz\n"


def _parse(kind: str, path: Path, mapping: Path | None = None):  # type: ignore[no-untyped-def]
    m = load_mapping(mapping, kind) if mapping else None
    return importer_for(kind).parse(path, Options(mapping=m))


def test_customers_guess_mapping_sniff_delimiter_dates_amounts(tmp_path: Path) -> None:
    f = tmp_path / "kunden.csv"  # semicolons in a .csv file: the delimiter is sniffed
    f.write_text(GERMAN + "1001;Jürgen Müller;j.mueller@example.org;030 1234567;Berlin;Deutschland;23.04.1985;"
                 "12,50 €;eilig\n1002;Anna Schmidt;anna@example.org;+49 151 23456789;München;DE;01.12.1990;99;\n",
                 encoding="utf-8")
    p = _parse("customers", f)
    assert p.total == 2 and p.skipped == 0 and [sid for sid, _ in p.rows] == ["1001", "1002"]
    first = p.rows[0][1]
    assert first["name"] == "Jürgen Müller" and first["dob"] == "1985-04-23"
    assert first["amount"] == "12.50" and first["currency"] == "EUR"
    assert p.mapping is not None and p.mapping.guessed and p.mapping.columns["Notiz"] is None
    assert p.mapping.columns["Geburtsdatum"] == "dob" and p.mapping.delimiter == ";"
    assert any("Notiz" in n for n in p.notes)


def test_row_numbers_are_source_ids_without_a_record_id(tmp_path: Path) -> None:
    f = tmp_path / "list.tsv"
    f.write_text("name\temail\nAnn Lee\tann@example.org\n\nBo Chen\tbo@example.org\n", encoding="utf-8")
    p = _parse("customers", f)
    assert [sid for sid, _ in p.rows] == ["2", "4"]  # spreadsheet rows: the header is row 1


def test_ten_percent_garbage_rows_are_warned_and_skipped(tmp_path: Path) -> None:
    lines = ["id,name,email,phone"]
    for i in range(1, 101):
        if i % 10 == 0:
            lines.append(f"{i},@@##!!,???,--")
        else:
            lines.append(f"{i},Person {chr(65 + i % 26)}name,p{i}@example.org,+44 7700 9{i:05d}")
    f = tmp_path / "orders.csv"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    p = _parse("customers", f)
    assert (p.total, len(p.rows), p.skipped) == (100, 90, 10)
    assert "orders.csv#row 11: nothing that identifies anyone" in p.warnings[0]


def test_ragged_rows_and_bad_dates_are_warnings_not_failures(tmp_path: Path) -> None:
    f = tmp_path / "o.csv"
    f.write_text("id,name,dob,total\n1,Ann Lee,not a date,abc\n2,Bo Chen,1980-02-30\n3,Cy Diaz,1981-03-04,5,extra\n",
                 encoding="utf-8")
    p = _parse("customers", f)
    assert len(p.rows) == 3
    text = "\n".join(p.warnings)
    assert "o.csv#row 2: dob 'not a date' is not a date" in text
    assert "row 2: amount 'abc' is not a number" in text
    assert "row 3: dob '1980-02-30' is not a date" in text
    assert "row 4: 5 values for 4 columns" in text


def test_mixed_encodings_are_read_and_reported(tmp_path: Path) -> None:
    f = tmp_path / "mixed.csv"
    f.write_bytes("name,city\nJürgen Müller,Köln\n".encode() + "Zoë Brûlé,Liège\n".encode("cp1252"))
    p = _parse("customers", f)
    assert [r[1]["name"] for r in p.rows] == ["Jürgen Müller", "Zoë Brûlé"]
    assert p.rows[1][1]["city"] == "Liège"
    assert any("line 3: not UTF-8" in w for w in p.warnings)


def test_whole_file_in_a_legacy_encoding(tmp_path: Path) -> None:
    f = tmp_path / "latin.csv"
    f.write_bytes("name;city\nFrançois Lefèvre;Besançon\nHélène Dubois;Orléans\n".encode("cp1252"))
    p = _parse("customers", f)
    assert p.rows[0][1]["name"] == "François Lefèvre"
    assert p.warnings == ["latin.csv#file: not UTF-8, read as cp1252"]


def test_xlsx(tmp_path: Path) -> None:
    from datetime import date

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["prénom", "nom de famille", "courriel", "date de naissance"])
    ws.append(["Chloé", "Dupont", "chloe@example.org", date(1990, 5, 17)])
    ws.append(["Luc", "Martin", "luc@example.org", "17/05/1991"])
    f = tmp_path / "clients.xlsx"
    wb.save(f)
    p = _parse("customers", f)
    assert [r[1]["dob"] for r in p.rows] == ["1990-05-17", "1991-05-17"]
    assert p.rows[0][1]["first_name"] == "Chloé" and p.rows[0][0] == "2"


def test_a_file_named_xlsx_that_is_no_workbook_is_one_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "book.xlsx"
    f.write_bytes(b"plain text, not a zip archive\n" * 10)
    with pytest.raises(InputError, match=r"book\.xlsx is not a readable XLSX workbook"):
        _parse("customers", f)


def test_empty_and_header_only_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match=r"empty\.csv is empty"):
        _parse("customers", empty)
    with pytest.raises(NotFoundError, match="no such file"):
        _parse("customers", tmp_path / "missing.csv")
    nothing = tmp_path / "cols.csv"
    nothing.write_text("colour,size\nred,3\n", encoding="utf-8")
    with pytest.raises(InputError, match="no column maps to a field"):
        _parse("customers", nothing)


def test_mapping_file_and_its_errors(tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text("Kd,Mail,Ort,Junk\nAnn Lee,ann@example.org,Oslo,zz\n", encoding="utf-8")
    good = tmp_path / "m.yaml"
    good.write_text("kind: customers\ncolumns:\n  Kd: name\n  Mail: email\n  Ort: city\n  Junk: ~\n"
                    "  Gone: phone\ncountry: Norway\n", encoding="utf-8")
    p = _parse("customers", f, good)
    assert p.rows[0][1] == {"name": "Ann Lee", "email": "ann@example.org", "city": "Oslo", "country": "NO"}
    assert any("'Gone' is not in the file" in n for n in p.notes)
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns:\n  Kd: fullname\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown field 'fullname'"):
        load_mapping(bad, "customers")
    twice = tmp_path / "twice.yaml"
    twice.write_text("columns:\n  Kd: name\n  Mail: name\n", encoding="utf-8")
    with pytest.raises(InputError, match="both map to 'name'"):
        load_mapping(twice, "customers")
    wrong_kind = tmp_path / "tx.yaml"
    wrong_kind.write_text("kind: transactions\ncolumns: {}\n", encoding="utf-8")
    with pytest.raises(InputError, match="not 'customers'"):
        load_mapping(wrong_kind, "customers")


def test_guess_mapping_languages_and_one_field_per_column() -> None:
    m = guess_mapping(["Order ID", "Nombre", "Correo electrónico", "Tel.", "Código Postal", "E-mail", "Whatever"],
                      "customers")
    assert m.columns["Order ID"] == "record_id" and m.columns["Nombre"] == "name"
    assert m.columns["Código Postal"] == "postcode" and m.columns["Tel."] == "phone"
    assert m.columns["E-mail"] is None and m.columns["Whatever"] is None  # email already taken
    t = guess_mapping(["Sender", "Sender Phone", "Beneficiary", "Beneficiary Country", "Amount"], "transactions")
    assert t.columns == {"Sender": "sender_name", "Sender Phone": "sender_phone", "Beneficiary": "beneficiary_name",
                         "Beneficiary Country": "beneficiary_country", "Amount": "amount"}


def test_duplicate_record_ids_are_skipped(tmp_path: Path) -> None:
    f = tmp_path / "d.csv"
    f.write_text("id,name\n7,Ann Lee\n7,Bo Chen\n", encoding="utf-8")
    p = _parse("customers", f)
    assert len(p.rows) == 1 and p.skipped == 1 and "already used by row 2" in p.warnings[0]


@pytest.mark.parametrize(("raw", "dayfirst", "expected"), [
    ("03.04.1985", True, "1985-04-03"), ("1985-04-03", True, "1985-04-03"), ("April 3, 1985", True, "1985-04-03"),
    ("3 Apr 1985", True, "1985-04-03"), ("04/03/1985", False, "1985-04-03"), ("1985/04/03", False, "1985-04-03"),
    ("13/04/1985", False, "1985-04-13"), ("1899-01-01", True, None), ("2999-01-01", True, None), ("soon", True, None),
])
def test_dates_in_any_format(raw: str, dayfirst: bool, expected: str | None) -> None:
    assert parse_date(raw, dayfirst) == expected


def test_timestamps_and_column_order_detection() -> None:
    assert parse_timestamp("2024-03-05T10:00:00+02:00") == "2024-03-05T08:00:00Z"
    assert parse_timestamp("1709632800") == "2024-03-05T10:00:00Z"
    assert parse_timestamp("05.03.2024 10:00") == "2024-03-05T10:00:00"
    assert detect_dayfirst(["01/02/2000", "25/12/1999"]) is True
    assert detect_dayfirst(["12/25/1999"]) is False
    assert detect_dayfirst(["01/02/2000"]) is None


def test_amounts() -> None:
    assert parse_amount("1.234,56 €") == ("1234.56", "EUR")
    assert parse_amount("$1,234.56") == ("1234.56", "USD")
    assert parse_amount("PHP 500") == ("500.00", "PHP")
    assert parse_amount("twelve") is None


TIP = {
    "report_id": "T-1", "received_at": "2024-05-01T10:00:00Z",
    "incident": {"type": "Online Enticement", "date_time": "2024-04-30T22:15:00Z", "platform": "kik"},
    "person_or_user_reported": {
        "first_name": "Ann", "last_name": "Lee", "emails": ["ann.lee@example.org", "al2@example.net"],
        "phones": ["+63 917 123 4567"], "screen_name": "annlee99", "esp_service": "kik",
        "ip_capture_events": [{"ip_address": "203.0.113.7", "event_name": "Login",
                               "date_time": "2024-04-30T21:00:00Z"}],
        "estimated_location": {"city": "Cebu City", "country_code": "PH"}},
    "files": [{"file_name": "a.jpg", "sha256": "ab" * 32}],
}


def test_tips_json_document_list_and_jsonl(tmp_path: Path) -> None:
    doc = tmp_path / "tips.json"
    doc.write_text(json.dumps({"tips": [TIP, {**TIP, "report_id": "T-2"}]}), encoding="utf-8")
    p = _parse("tips", doc)
    assert [sid for sid, _ in p.rows] == ["T-1", "T-2"]
    f = p.rows[0][1]
    assert f["email"] == "ann.lee@example.org" and f["username"] == "annlee99" and f["platform"] == "kik"
    assert f["city"] == "Cebu City" and f["country"] == "PH" and f["timestamp"] == "2024-04-30T22:15:00Z"
    assert {i["type"] for i in f["identifiers"]} == {"email", "phone", "handle", "ip"}
    assert f["extra"]["files"][0]["sha256"] == "ab" * 32 and f["extra"]["estimated_location"]["country"] == "PH"
    lines = tmp_path / "tips.jsonl"
    lines.write_text(json.dumps(TIP) + "\nnot json\n" + json.dumps({"person_or_user_reported": {"emails": 5}}) + "\n"
                     + json.dumps({"report_id": "T-9"}) + "\n", encoding="utf-8")
    p = _parse("tips", lines)
    assert (p.total, len(p.rows), p.skipped) == (4, 1, 3)
    assert any("line 2: not JSON" in w for w in p.warnings)
    assert any("line 3: person_or_user_reported.emails" in w for w in p.warnings)
    assert any("line 4: no reported person or user" in w for w in p.warnings)


CYBERTIP_XML = """<?xml version="1.0" encoding="UTF-8"?>
<reports>
  <report id="CT-100">
    <incidentSummary><incidentType>Online Enticement of Children</incidentType>
      <incidentDateTime>2024-04-30T22:15:00Z</incidentDateTime></incidentSummary>
    <reporter><reportingPerson><firstName>Trust</firstName><lastName>Safety</lastName></reportingPerson></reporter>
    <personOrUserReported>
      <personOrUserReportedPerson><firstName>Ann</firstName><lastName>Lee</lastName>
        <phone countryCallingCode="63">917 123 4567</phone><email>ann.lee@example.org</email>
        <address><city>Cebu City</city><country>PH</country></address></personOrUserReportedPerson>
      <espService>Kik</espService><screenName>annlee99</screenName>
      <ipCaptureEvent><ipAddress>203.0.113.7</ipAddress><eventName>Login</eventName>
        <dateTime>2024-04-30T21:00:00Z</dateTime></ipCaptureEvent>
      <estimatedLocation><city>Cebu</city><countryCode>PH</countryCode></estimatedLocation>
    </personOrUserReported>
    <fileDetails><fileName>a.jpg</fileName>
      <originalFileHash hashType="MD5">0123456789abcdef0123456789abcdef</originalFileHash></fileDetails>
  </report>
  <report><incidentSummary><incidentType>x</incidentType></incidentSummary></report>
</reports>
"""


def test_cybertipline_style_xml(tmp_path: Path) -> None:
    f = tmp_path / "ct.xml"
    f.write_text(CYBERTIP_XML, encoding="utf-8")
    p = _parse("tips", f)
    assert len(p.rows) == 1 and p.skipped == 1 and "report 2: no reported person" in p.warnings[0]
    sid, fields = p.rows[0]
    assert sid == "CT-100" and fields["phone"] == "+63 917 123 4567" and fields["platform"] == "kik"
    assert fields["city"] == "Cebu City" and fields["extra"]["files"][0]["md5"] == "0123456789abcdef" * 2
    evil = tmp_path / "evil.xml"
    evil.write_text('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "x">]><report>&a;</report>', encoding="utf-8")
    with pytest.raises(InputError, match="DTD or entity"):
        _parse("tips", evil)
    broken = tmp_path / "broken.xml"
    broken.write_text("<report><a></report>", encoding="utf-8")
    with pytest.raises(InputError, match="not well-formed"):
        _parse("tips", broken)


def test_transactions_table(tmp_path: Path) -> None:
    f = tmp_path / "tx.csv"
    f.write_text("txn id,date,amount,currency,sender,sender phone,sender country,beneficiary,beneficiary phone,"
                 "beneficiary country,purpose\n"
                 "X1,02/03/2024,\"1,250.00\",USD,Bob Ray,+1 202 555 0143,US,Maria Santos,0917 123 4567,PH,school\n"
                 "X2,2024-03-04,25,USD,,,,,,,\n", encoding="utf-8")
    p = _parse("transactions", f)
    assert len(p.rows) == 1 and p.skipped == 1
    sid, tx = p.rows[0]
    assert sid == "X1" and tx["amount"] == "1250.00" and tx["beneficiary_country"] == "PH"
    assert tx["timestamp"] == "2024-02-03T00:00:00" and tx["reference"] == "school"


def test_tips_json_nested_too_deep_is_refused_whole_and_a_deep_jsonl_line_skipped(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"tips": [' + "[" * 5000 + "]" * 5000 + "]}")
    with pytest.raises(LimitError, match=r"deep.json: JSON nested 5002 levels deep, over the limit of 64"):
        _parse("tips", deep)
    lines = tmp_path / "tips.jsonl"
    good = {"report_id": "T-1", "person_or_user_reported": {"screen_name": "kestrel_9", "esp_service": "kik"}}
    lines.write_text('{"report_id": "T-0", "x": ' + "[" * 100 + "]" * 100 + "}\n" + json.dumps(good) + "\n")
    p = _parse("tips", lines)
    assert [sid for sid, _ in p.rows] == ["T-1"]
    assert p.skipped == 1 and "line 1: JSON nested 101 levels deep, over the limit of 64" in p.warnings[0]
