from __future__ import annotations

from pathlib import Path

import pytest

from tasman.core.errors import InputError
from tasman.money.config import MoneyConfig
from tasman.money.readers import ReadOptions, get_reader
from tasman.money.readers.bank_csv import parse_amount, parse_date
from tasman.money.transfers import to_transfer
from tasman.synth.transfers import generate_transfers, write_goaml

GOAML = """<?xml version="1.0" encoding="UTF-8"?>
<report xmlns="http://www.unodc.org/goaml/schema">
  <rentity_id>1234</rentity_id>
  <submission_code>E</submission_code>
  <report_code>STR</report_code>
  <currency_code_local>PHP</currency_code_local>
  <transaction>
    <transactionnumber>TX-1</transactionnumber>
    <transaction_description>school fees</transaction_description>
    <date_transaction>2024-03-01T23:15:00</date_transaction>
    <transmode_code>R</transmode_code>
    <amount_local>2800</amount_local>
    <t_from_my_client>
      <from_funds_code>K</from_funds_code>
      <from_foreign_currency>
        <foreign_currency_code>USD</foreign_currency_code>
        <foreign_amount>50</foreign_amount>
        <foreign_exchange_rate>56</foreign_exchange_rate>
      </from_foreign_currency>
      <from_account>
        <institution_name>Example Bank</institution_name>
        <account>12-3456-789</account>
        <signatory><t_person><first_name>Alan</first_name><last_name>Smith</last_name>
          <phones><phone><tph_country_prefix>1</tph_country_prefix><tph_number>2015550101</tph_number></phone></phones>
        </t_person></signatory>
      </from_account>
      <from_country>US</from_country>
    </t_from_my_client>
    <t_to>
      <to_funds_code>K</to_funds_code>
      <to_person>
        <first_name>Maria</first_name><last_name>Lintam</last_name>
        <phones><phone><tph_number>0905 123 4501</tph_number></phone></phones>
        <addresses><address><city>Cebu</city><country_code>PH</country_code></address></addresses>
      </to_person>
      <to_country>PH</to_country>
    </t_to>
  </transaction>
  <transaction>
    <transactionnumber>TX-2</transactionnumber>
    <date_transaction>2024-03-02</date_transaction>
    <t_from><from_person><first_name>No</first_name><last_name>Amount</last_name></from_person></t_from>
    <t_to><to_person><first_name>Maria</first_name><last_name>Lintam</last_name></to_person></t_to>
  </transaction>
  <transaction>
    <transactionnumber>TX-3</transactionnumber>
    <amount_local>10</amount_local>
    <involved_parties><party><role>A</role></party></involved_parties>
  </transaction>
  <transaction>
    <transactionnumber>TX-4</transactionnumber>
    <amount_local>10</amount_local>
    <t_from><from_person><first_name>Only</first_name><last_name>Sender</last_name></from_person></t_from>
  </transaction>
  <transaction>
    <transactionnumber>TX-5</transactionnumber>
    <amount_local>ten</amount_local>
    <t_from><from_person><first_name>A</first_name></from_person></t_from>
    <t_to><to_person><first_name>B</first_name></to_person></t_to>
  </transaction>
  <transaction>
    <amount_local>700</amount_local>
    <t_from><from_entity><name>Shop Co</name>
      <incorporation_country_code>PH</incorporation_country_code></from_entity></t_from>
    <t_to_my_client><to_person><first_name>Maria</first_name><last_name>Lintam</last_name></to_person></t_to_my_client>
  </transaction>
</report>
"""


def test_goaml_reads_good_transactions_and_warns_about_the_rest(tmp_path: Path) -> None:
    f = tmp_path / "str.xml"
    f.write_text(GOAML)
    res = get_reader("goaml").read(f, ReadOptions())
    ids = [sid for sid, _ in res.rows]
    assert ids == ["TX-1", "tx6"]
    tx1 = dict(res.rows)["TX-1"]
    assert tx1["amount"] == "50" and tx1["currency"] == "USD"  # the sender's own currency
    assert tx1["sender_name"] == "Alan Smith" and tx1["sender_phone"] == "+12015550101"
    assert tx1["sender_account"] == "12-3456-789" and tx1["sender_country"] == "US"
    assert tx1["beneficiary_city"] == "Cebu" and tx1["reference"] == "school fees"
    assert dict(res.rows)["tx6"]["currency"] == "PHP" and dict(res.rows)["tx6"]["sender_country"] == "PH"
    assert [w.split(":")[0] for w in res.warnings] == ["str.xml#TX-2", "str.xml#TX-3", "str.xml#TX-4", "str.xml#TX-5"]
    assert "multi-party" in res.warnings[1]
    t = to_transfer("str.xml#TX-1", None, tx1, MoneyConfig())
    assert not isinstance(t, str)
    assert t.beneficiary.phone == "+639051234501"  # national number read with the beneficiary's country


@pytest.mark.parametrize(("text", "message"), [
    ("not xml at all", "not readable goAML XML"),
    ("<other/>", "not a goAML report"),
    ('<!DOCTYPE r [<!ENTITY a "x">]><report>&a;</report>', "not readable goAML XML"),
])
def test_goaml_rejects_files_that_are_not_reports(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "x.xml"
    f.write_text(text)
    with pytest.raises(InputError, match=message):
        get_reader("goaml").read(f, ReadOptions())


def test_goaml_round_trip_of_generated_transfers(tmp_path: Path) -> None:
    corpus = generate_transfers(20, seed=2)
    res = get_reader("goaml").read(write_goaml(corpus.transfers, tmp_path / "r.xml"), ReadOptions())
    assert not res.warnings and len(res.rows) == len(corpus.transfers)
    first = res.rows[0][1]
    for k in ("amount", "currency", "timestamp", "sender_name", "beneficiary_country"):
        assert str(first[k]) == str(corpus.transfers[0][k])


MAP = """
columns:
  Date: date
  Time: time
  Amount: amount
  Details: counterparty
  Ref: reference
  Country: counterparty_country
  Phone: counterparty_phone
account_holder: {account: "12-3456-789", country: NZ}
currency: NZD
dayfirst: true
"""

CSV = """Date,Time,Amount,Details,Ref,Country,Phone
03/04/2024,23:10,-80.00,Maria Lintam,school,PH,0905 123 4501
04/04/2024,,"1,250.50",Employer Ltd,salary,NZ,
31/02/2024,10:00,-5,Somebody,x,PH,
05/04/2024,09:00,abc,Somebody,x,PH,
06/04/2024,09:00,-5,,x,,
"""


def test_bank_csv_maps_debits_and_credits_and_warns_per_row(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(MAP)
    (tmp_path / "s.csv").write_text(CSV)
    res = get_reader("bank-csv").read(tmp_path / "s.csv", ReadOptions(tmp_path / "m.yaml", "Jo Holder"))
    rows = dict(res.rows)
    out, inc = rows["row2"], rows["row3"]
    assert out["sender_name"] == "Jo Holder" and out["beneficiary_name"] == "Maria Lintam"
    assert out["amount"] == "80.00" and out["timestamp"] == "2024-04-03T23:10:00" and out["currency"] == "NZD"
    assert inc["beneficiary_account"] == "12-3456-789" and inc["sender_name"] == "Employer Ltd"
    assert inc["amount"] == "1250.50" and inc["timestamp"] == "2024-04-04"
    assert [w.split(":")[0] for w in res.warnings] == ["s.csv#row4", "s.csv#row5", "s.csv#row6"]
    assert "not a date" in res.warnings[0] and "not a number" in res.warnings[1]
    assert "no counterparty" in res.warnings[2]


def test_bank_csv_debit_credit_columns_and_semicolons(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text("columns: {Datum: date, Soll: debit, Haben: credit, Empfaenger: counterparty}\n"
                                     "decimal: ','\naccount_holder: {name: Jo Holder}\ncurrency: EUR\n")
    (tmp_path / "s.csv").write_text("Datum;Soll;Haben;Empfaenger\n01.02.2024;1.234,50;;Firma A\n"
                                    "02.02.2024;;20,00;B C\n")
    res = get_reader("bank-csv").read(tmp_path / "s.csv", ReadOptions(tmp_path / "m.yaml"))
    assert [r["amount"] for _, r in res.rows] == ["1234.50", "20.00"]
    assert res.rows[0][1]["sender_name"] == "Jo Holder" and res.rows[1][1]["beneficiary_name"] == "Jo Holder"


@pytest.mark.parametrize(("mapping", "csv_text", "holder", "message"), [
    (None, "a\n1\n", "X", "needs --map"),
    ("columns: {A: colour}\n", "A\n1\n", "X", "unknown field 'colour'"),
    ("rows: 1\n", "A\n1\n", "X", "needs a 'columns' mapping"),
    ("columns: {A: amount}\n", "A\n1\n", None, "whose statement"),
    ("columns: {A: amount}\n", "", "X", "is empty"),
    ("columns: {A: amount}\n", "B,C\n1,2\n", "X", "none of the mapped columns"),
])
def test_bank_csv_whole_file_errors(tmp_path: Path, mapping: str | None, csv_text: str, holder: str | None,
                                    message: str) -> None:
    m = None
    if mapping is not None:
        m = tmp_path / "m.yaml"
        m.write_text(mapping)
    (tmp_path / "s.csv").write_text(csv_text)
    with pytest.raises(InputError, match=message):
        get_reader("bank-csv").read(tmp_path / "s.csv", ReadOptions(m, holder))


def test_amount_and_date_parsing() -> None:
    assert parse_amount("(12.50)", ".") == -12.5
    assert parse_amount("USD 1,000", ".") == 1000
    assert parse_amount("1.000,5", ",") == 1000.5
    assert parse_amount("12-", ".") == -12
    assert parse_amount("n/a", ".") is None
    assert parse_date("04/03/2024", "", dayfirst=False) == "2024-04-03"
    assert parse_date("2024-03-04 18:30", "", dayfirst=True) == "2024-03-04T18:30:00"
    assert parse_date("4 Mar 2024", "7:05", dayfirst=True) == "2024-03-04T07:05:00"
    assert parse_date("soon", "", dayfirst=True) is None


def test_unknown_format() -> None:
    with pytest.raises(InputError, match="unknown transaction format 'swift'"):
        get_reader("swift")
