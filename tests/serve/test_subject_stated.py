"""What a person said about themselves (a chat counterpart's own lines, a tip's quote of the
reported user) on a subject's page and in ``/api/v1/cases/{ref}/subjects/{sref}``: each fact with
its record, its message or field and the pattern that read it; every read audited."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tasman.core.workspace import Workspace
from tasman.link import decisions
from tasman.link.run import run_link
from tasman.link.settings import LinkSettings
from tasman.link.views import list_subjects, show_subject
from tasman.records.importing import import_file
from tests.serve.conftest import CASE, Client, audit_actions

pytest.importorskip("tasman.extract.scan")

from tests.link.test_stated import write_stated_case  # chats need the scanner


def _subjects(ws: Workspace, tmp_path: Path) -> dict[str, str]:
    """Party -> subject ref, the order and the chat in one subject (the analyst merged them
    where linking did not)."""
    with ws.session() as s:
        for kind, path in write_stated_case(tmp_path).items():
            import_file(s, "setup", CASE, path, kind)
    with ws.session() as s:
        run_link(s, "setup", CASE, settings=LinkSettings(min_parties_to_train=10**6))

    def of() -> dict[str, str]:
        with ws.session() as s:
            return {m["party"]: sub.ref for sub in list_subjects(s, "setup", CASE)
                    for m in show_subject(s, "setup", CASE, sub.ref).members}

    refs = of()
    if refs["orders.csv#1"] != refs["chats.jsonl#S-1"]:
        with ws.session() as s:
            decisions.merge(s, "setup", CASE, [refs["orders.csv#1"], refs["chats.jsonl#S-1"]])
        refs = of()
    return refs


def test_stated_facts_on_the_subject_page_and_in_the_api(
        make_client: Callable[..., Client], api: Callable[[str], TestClient], ws: Workspace, tmp_path: Path) -> None:
    refs = _subjects(ws, tmp_path)
    marta, jonas = refs["chats.jsonl#S-1"], refs["tips.json#T1"]
    body = api("ana").get(f"/api/v1/cases/{CASE}/subjects/{marta}").json()
    assert [(s["party"], s["kind"], s["value"], s["raw"], s["pattern"], s["message"], s["where"])
            for s in body["stated"]] == [
        ("chats.jsonl#S-1", "name", "Marta Kowalska", "Marta Kowalska", "en:my-name-is", 1, None),
        ("chats.jsonl#S-1", "city", "PL:gdansk", "Gdańsku", "pl:mieszkam-w", 3, None)]
    assert body["stated"][1]["name"] == "Gdańsk" and body["stated"][1]["country"] == "PL"
    assert all("stated" not in m["fields"] for m in body["members"])
    tip = api("ana").get(f"/api/v1/cases/{CASE}/subjects/{jonas}").json()["stated"]
    assert {(s["kind"], s["where"], s["message"]) for s in tip} == {("name", "incident.description", None),
                                                                    ("city", "incident.description", None)}

    page = make_client("ana").get(f"/cases/{CASE}/subjects/{marta}").text
    assert "What they said about themselves" in page
    table = html.unescape(page.split('id="stated"', 1)[1].split("</table>", 1)[0])
    assert "<td>Gdańsku</td><td>message 3</td><td><code>pl:mieszkam-w</code></td>" in table
    assert "<td>Marta Kowalska</td><td>message 1</td><td><code>en:my-name-is</code></td>" in table
    members = page.split('id="members"', 1)[1].split("</table>", 1)[0]
    assert "<b>stated</b>" not in members  # the facts are shown once, in their own table
    assert "incident.description" in make_client("ana").get(f"/cases/{CASE}/subjects/{jonas}").text

    reads = [(a, t) for _actor, a, case, t in audit_actions(ws, "ana") if case == CASE and a == "subject.show"]
    assert reads.count(("subject.show", marta)) == 2 and ("subject.show", jonas) in reads  # API and page alike
    assert make_client("out").get(f"/cases/{CASE}/subjects/{marta}").status_code == 404  # not a member
    assert api("out").get(f"/api/v1/cases/{CASE}/subjects/{marta}").status_code == 404
