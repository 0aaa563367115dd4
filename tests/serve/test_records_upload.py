"""Records files sent through the page and the API: imported by the records stage's own import,
kept read-only with their SHA-256, and refused whole (nothing stored, nothing kept) when bad."""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tasman.core.models import Record
from tasman.core.workspace import Workspace
from tasman.records.models import RecordImport
from tasman.serve.app import create_app
from tasman.serve.settings import Limit, ServeSettings
from tasman.synth.corpus import Corpus
from tests.serve.conftest import CASE, Client, audit_actions, token_clients
from tests.serve.records_data import file_of, small_corpus, upload

ORDERS = "storefront_orders.csv"


@pytest.fixture
def corpus(tmp_path: Path) -> Corpus:
    return small_corpus(tmp_path / "records")


def _stored(ws: Workspace) -> tuple[int, int]:
    with ws.session() as s:
        return (int(s.scalar(select(func.count()).select_from(Record)) or 0),
                int(s.scalar(select(func.count()).select_from(RecordImport)) or 0))


def _kept(ws: Workspace) -> list[Path]:
    return sorted(p for p in (ws.root / "uploads" / "records").rglob("*") if p.is_file())


def test_an_uploaded_order_list_is_imported_and_kept_read_only(
        api: Callable[[str], TestClient], ws: Workspace, corpus: Corpus) -> None:
    kind, data = file_of(corpus, ORDERS)
    r = upload(api("ana"), ORDERS, data, kind)
    assert r.status_code == 201, r.text
    out = r.json()
    rows = data.decode().count("\n") - 1
    assert out["source"] == ORDERS and out["rows"] == out["added"] == rows and out["skipped"] == 0
    assert out["complete"] is True and out["mapping_guessed"] is True
    assert out["mapping"]["customer"] == "name" and out["mapping_saved"] == "storefront_orders.customers.mapping.yaml"
    digest = hashlib.sha256(data).hexdigest()
    assert out["sha256"] == digest
    [kept] = _kept(ws)
    assert kept == ws.root / "uploads" / "records" / digest[:2] / digest / ORDERS
    assert kept.read_bytes() == data and not kept.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert _stored(ws) == (rows, 1)
    log = api("aud").get(f"/api/v1/cases/{CASE}/records/imports").json()
    assert [(i["source"], i["sha256"], i["rows"], i["complete"], i["by"]) for i in log] == [
        (ORDERS, digest, rows, True, "ana")]
    with ws.session() as s:
        assert s.scalar(select(RecordImport.path)) == str(kept)   # the import log names the kept copy
    assert {"records.upload", "records.import.file", "records.import"} <= {a[1] for a in audit_actions(ws, "ana")}

    again = upload(api("ana"), ORDERS, data, kind).json()   # the same file again changes nothing
    assert (again["added"], again["unchanged"]) == (0, rows)
    assert _kept(ws) == [kept] and _stored(ws) == (rows, 2)


def test_a_saved_mapping_is_chosen_by_name(api: Callable[[str], TestClient], ws: Workspace, corpus: Corpus) -> None:
    kind, data = file_of(corpus, ORDERS)
    saved = upload(api("ana"), ORDERS, data, kind).json()["mapping_saved"]
    assert api("ana").get("/api/v1/records/mappings").json() == [saved]
    chosen = upload(api("ana"), "orders-copy.csv", data, kind, mapping=saved.removesuffix(".mapping.yaml"))
    assert chosen.status_code == 201 and chosen.json()["mapping_guessed"] is False
    assert chosen.json()["added"] == chosen.json()["rows"] > 0    # another source name: new records
    missing = upload(api("ana"), "other.csv", data, kind, mapping="nope")
    assert missing.status_code == 404 and "no saved column mapping 'nope'" in missing.json()["detail"]
    wrong_kind = upload(api("ana"), "other.csv", data, "chats", mapping=saved)
    assert wrong_kind.status_code == 400 and "customers and transactions" in wrong_kind.json()["detail"]


def test_upload_from_the_page_shows_what_the_import_did(
        make_client: Callable[..., Client], ws: Workspace, corpus: Corpus) -> None:
    ana = make_client("ana")
    form = ana.get(f"/cases/{CASE}/records").text
    assert 'enctype="multipart/form-data"' in form and 'id="import-records"' in form
    kind, data = file_of(corpus, "transfers.csv")
    r = ana.post(f"/cases/{CASE}/records", {"kind": kind}, files={"file": ("transfers.csv", data)})
    assert r.status_code == 200
    result = r.text.split('id="import-result"', 1)[1].split("</div>", 1)[0]
    rows = data.decode().count("\n") - 1
    assert f"{rows} rows read, {rows} imported ({rows} new" in result and "[complete]" in result
    assert hashlib.sha256(data).hexdigest() in result
    assert r.text.count("<td>transactions</td>") == rows + 1     # the stored records and the import log
    assert 'id="import-records"' not in make_client("aud").get(f"/cases/{CASE}/records").text


def test_bad_rows_are_skipped_and_said_or_refuse_the_whole_file_when_strict(
        api: Callable[[str], TestClient], ws: Workspace) -> None:
    data = b"order_id,customer,email\n1,Ann Example,ann@example.org\n2,,\n3,Bob Example,bob@example.org\n"
    partial = upload(api("ana"), "orders.csv", data, "customers").json()
    assert (partial["rows"], partial["added"], partial["skipped"], partial["complete"]) == (3, 2, 1, False)
    assert partial["warnings"] and "orders.csv#" in partial["warnings"][0]
    strict = upload(api("ana"), "orders2.csv", data, "customers", strict="true")
    assert strict.status_code == 400 and "nothing imported" in strict.json()["detail"]
    assert _stored(ws) == (2, 1)


BAD_FILES = [
    ("empty.csv", b"", "customers", "empty"),
    ("header.csv", b"order_id,customer,email\n", "customers", "no rows"),
    ("book.xlsx", b"this is not a workbook" * 20, "customers", "not a readable XLSX workbook"),
    ("chats.jsonl", b"not json at all\n{broken\n", "chats", "could be imported"),
    ("tips.json", b"\x00\x01\x02binary", "tips", "neither JSON nor JSON lines"),
]


@pytest.mark.parametrize(("name", "data", "kind", "says"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_a_bad_file_is_refused_with_one_line_and_nothing_is_kept(
        api: Callable[[str], TestClient], ws: Workspace, name: str, data: bytes, kind: str, says: str) -> None:
    r = upload(api("ana"), name, data, kind)
    assert r.status_code == 400, r.text
    detail = r.json()["detail"]
    assert says in detail and "\n" not in detail and "Traceback" not in detail
    assert _stored(ws) == (0, 0) and _kept(ws) == []
    refused = [a for a in audit_actions(ws, "ana") if a[1] == "records.upload.refused"]
    assert refused == [("ana", "records.upload.refused", CASE, name)]


def test_a_bad_file_from_the_page_shows_the_form_again_with_the_reason(
        make_client: Callable[..., Client], ws: Workspace) -> None:
    ana = make_client("ana")
    r = ana.post(f"/cases/{CASE}/records", {"kind": "customers"}, files={"file": ("x.csv", b"order_id,customer\n")})
    assert r.status_code == 400
    assert "The file was not imported: x.csv holds no rows" in r.text and 'id="import-records"' in r.text
    assert _stored(ws) == (0, 0) and _kept(ws) == []


@pytest.fixture
def strict_app(ws: Workspace, tokens: dict[str, str]) -> Iterator[Callable[[str], TestClient]]:
    """The app with a small records file limit and a small upload rate limit."""
    app = create_app(ws, ServeSettings(start_worker=False, max_records_bytes=2000,
                                       uploads_per_user=Limit(3, 600)))
    yield from token_clients(app, tokens)


def test_an_oversize_file_is_refused_before_it_is_kept(strict_app: Callable[[str], TestClient],
                                                       ws: Workspace) -> None:
    big = b"order_id,customer,email\n" + b"".join(b"%d,Name %d,n%d@example.org\n" % (i, i, i) for i in range(200))
    assert len(big) > 2000
    r = upload(strict_app("ana"), "big.csv", big, "customers")
    assert r.status_code == 400 and "at most 2,000 bytes" in r.json()["detail"]
    assert _stored(ws) == (0, 0) and _kept(ws) == []
    small = upload(strict_app("ana"), "small.csv", big[:500].rsplit(b"\n", 1)[0] + b"\n", "customers")
    assert small.status_code == 201
    assert upload(strict_app("ana"), "small.csv", b"x", "customers").status_code == 400
    limited = upload(strict_app("ana"), "small.csv", b"x", "customers")
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0


def test_only_members_who_may_import_records_can_upload(api: Callable[[str], TestClient],
                                                        make_client: Callable[..., Client], ws: Workspace) -> None:
    data = b"order_id,customer,email\n1,Ann Example,ann@example.org\n"
    for user, status in (("aud", 403), ("eve", 403), ("lia", 403), ("out", 404)):
        assert upload(api(user), "o.csv", data, "customers").status_code == status, user
    assert make_client("aud").post(f"/cases/{CASE}/records", {"kind": "customers"},
                                   files={"file": ("o.csv", data)}).status_code == 403
    assert make_client("out").post(f"/cases/{CASE}/records", {"kind": "customers"},
                                   files={"file": ("o.csv", data)}).status_code == 404
    assert api("ada").post(f"/api/v1/cases/{CASE}/records", files={"file": ("o.csv", data)},
                           data={"kind": "recipes"}).status_code == 422
    assert _stored(ws) == (0, 0) and _kept(ws) == []
