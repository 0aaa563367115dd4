"""goAML checked against an FIU's XSD (``money import --xsd``): each element that does not
conform is named with its path and reason, nothing is imported, and neither the report nor the
schema may reach beyond the schema's folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tasman.core.errors import ExitCode, InputError, NotFoundError
from tasman.core.models import Record
from tasman.core.workspace import Workspace
from tasman.evidence import create_case
from tasman.money.importer import import_transactions
from tasman.money.readers.goaml_schema import NonConformingError, validate_goaml
from tasman.synth.transfers import write_goaml

from .helpers import facilitator_rows

# A small XSD of our own in goAML's shape (the FIU's real one is not shipped): the report's
# header typed, transactions with a decimal amount and a timestamp, the parties left open.
XSD = """<?xml version="1.0" encoding="utf-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
  <xs:include schemaLocation="types.xsd"/>
  <xs:element name="report">
    <xs:complexType><xs:sequence>
      <xs:element name="rentity_id" type="xs:int"/>
      <xs:element name="submission_code" type="submission"/>
      <xs:element name="report_code" type="xs:string"/>
      <xs:element name="submission_date" type="xs:dateTime"/>
      <xs:element name="currency_code_local" type="currency"/>
      <xs:element name="reason" type="xs:string" minOccurs="0"/>
      <xs:element name="transaction" maxOccurs="unbounded">
        <xs:complexType><xs:sequence>
          <xs:element name="transactionnumber" type="xs:string"/>
          <xs:element name="transaction_description" type="xs:string" minOccurs="0"/>
          <xs:element name="date_transaction" type="xs:dateTime"/>
          <xs:element name="transmode_code" type="xs:string" minOccurs="0"/>
          <xs:element name="amount_local" type="xs:decimal"/>
          <xs:any processContents="skip" minOccurs="0" maxOccurs="unbounded"/>
        </xs:sequence></xs:complexType>
      </xs:element>
    </xs:sequence></xs:complexType>
  </xs:element>
</xs:schema>
"""
TYPES = """<?xml version="1.0" encoding="utf-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:simpleType name="submission"><xs:restriction base="xs:string">
    <xs:enumeration value="E"/><xs:enumeration value="M"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="currency"><xs:restriction base="xs:string">
    <xs:pattern value="[A-Z]{3}"/></xs:restriction></xs:simpleType>
</xs:schema>
"""


@pytest.fixture
def xsd(tmp_path: Path) -> Path:
    d = tmp_path / "fiu"
    d.mkdir()
    (d / "types.xsd").write_text(TYPES)
    (d / "goAML_Schema.xsd").write_text(XSD)
    return d / "goAML_Schema.xsd"


def _bad_report(tmp_path: Path) -> Path:
    report = write_goaml(facilitator_rows(), tmp_path / "str.xml")
    text = report.read_text()
    text = text.replace("<submission_code>E</submission_code>", "<submission_code>X</submission_code>")
    first = text.index("<amount_local>")
    second = text.index("<amount_local>", first + 1)
    text = text[:second] + text[second:].replace("<amount_local>50", "<amount_local>fifty", 1)
    report.write_text(text)
    return report


def test_a_conforming_report_has_no_problems(xsd: Path, tmp_path: Path) -> None:
    report = write_goaml(facilitator_rows(), tmp_path / "str.xml")
    assert validate_goaml(report, xsd) == []


def test_each_nonconforming_element_is_named_with_its_reason(xsd: Path, tmp_path: Path) -> None:
    problems = validate_goaml(_bad_report(tmp_path), xsd)
    assert [p.path for p in problems] == ["/report/submission_code", "/report/transaction[2]/amount_local"]
    assert "'X'" in problems[0].reason and "fifty" in problems[1].reason
    assert all("\n" not in p.reason for p in problems)


def test_a_nonconforming_report_imports_nothing(ws: Workspace, xsd: Path, tmp_path: Path) -> None:
    with ws.session() as s:
        create_case(s, "t", "C1")
    report = _bad_report(tmp_path)
    with pytest.raises(NonConformingError, match=r"2 element\(s\), nothing imported") as caught, ws.session() as s:
        import_transactions(s, "t", "C1", report, "goaml", xsd=xsd)
    assert len(caught.value.problems) == 2
    with ws.session() as s:
        assert s.scalar(select(func.count()).select_from(Record)) == 0
        ok = write_goaml(facilitator_rows(), tmp_path / "ok.xml")
        assert import_transactions(s, "t", "C1", ok, "goaml", xsd=xsd).added == 12


def test_neither_report_nor_schema_reaches_outside(xsd: Path, tmp_path: Path) -> None:
    entity = tmp_path / "entity.xml"
    entity.write_text('<?xml version="1.0"?>\n<!DOCTYPE report [<!ENTITY x SYSTEM "file:///etc/hostname">]>\n'
                      "<report><rentity_id>&x;</rentity_id></report>")
    with pytest.raises(InputError, match="not readable XML"):
        validate_goaml(entity, xsd)
    remote = tmp_path / "fiu" / "remote.xsd"
    remote.write_text(XSD.replace('schemaLocation="types.xsd"', 'schemaLocation="http://192.0.2.1/types.xsd"'))
    with pytest.raises(InputError, match="not a usable XML schema"):
        validate_goaml(write_goaml(facilitator_rows(), tmp_path / "str.xml"), remote)
    outside = tmp_path / "fiu" / "outside.xsd"
    outside.write_text(XSD.replace('schemaLocation="types.xsd"', 'schemaLocation="../elsewhere.xsd"'))
    (tmp_path / "elsewhere.xsd").write_text(TYPES)
    with pytest.raises(InputError, match="not a usable XML schema"):
        validate_goaml(write_goaml(facilitator_rows(), tmp_path / "str.xml"), outside)
    with pytest.raises(NotFoundError):
        validate_goaml(entity, tmp_path / "missing.xsd")


def test_cli_lists_the_elements_and_exits_5(run_cli, xsd: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w = str(tmp_path / "ws")
    assert run_cli("init", w).exit_code == 0
    assert run_cli("-w", w, "case", "create", "C1").exit_code == 0
    bad = _bad_report(tmp_path)
    r = run_cli("-w", w, "money", "import", bad, "--case", "C1", "--format", "goaml", "--xsd", xsd)
    assert r.exit_code == ExitCode.BAD_INPUT
    assert "/report/transaction[2]/amount_local" in r.stdout and "/report/submission_code" in r.stdout
    assert len(r.stderr.strip().splitlines()) == 1 and "does not conform" in r.stderr and "Traceback" not in r.output
    r = run_cli("-w", w, "--json", "money", "import", bad, "--case", "C1", "--format", "goaml", "--xsd", xsd)
    assert r.exit_code == ExitCode.BAD_INPUT
    assert [p["element"] for p in json.loads(r.stdout)["nonconforming"]] == [
        "/report/submission_code", "/report/transaction[2]/amount_local"]
    ok = write_goaml(facilitator_rows(), tmp_path / "ok.xml")
    r = run_cli("-w", w, "--json", "money", "import", ok, "--case", "C1", "--format", "goaml", "--xsd", xsd)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["conforms"] is True and json.loads(r.stdout)["added"] == 12
    csv_file = tmp_path / "s.csv"
    csv_file.write_text("a,b\n1,2\n")
    r = run_cli("-w", w, "money", "import", csv_file, "--case", "C1", "--format", "bank-csv", "--xsd", xsd)
    assert r.exit_code == ExitCode.BAD_INPUT and "goAML reports only" in r.stderr
