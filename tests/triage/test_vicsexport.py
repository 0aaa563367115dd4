"""VICS 2.0 export (tasman.triage.vicsexport): the published examples' shape, read back by
Tasman's own VICS reader unchanged, categories kept per scheme, only relied-on matches out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tasman.core.errors import InputError
from tasman.core.models import Artifact, AuditEvent
from tasman.core.workspace import Workspace
from tasman.evidence import create_case
from tasman.synth.triage_set import TriageSet
from tasman.triage.hashsets.models import HashSet, HashSetEntry
from tasman.triage.hashsets.store import get_hashset, import_hashset
from tasman.triage.review import record_decision
from tasman.triage.run import TriageOptions, run_triage
from tasman.triage.vicsexport import export_hashset, export_run
from tests.triage.conftest import FakeMatcher

FORMATS_DIR = Path(__file__).parents[1] / "fixtures" / "formats"


def _entries(ws: Workspace, name: str) -> list[tuple[Any, ...]]:
    with ws.session() as s:
        h = get_hashset(s, name)
        rows = s.scalars(select(HashSetEntry).where(HashSetEntry.hashset_id == h.id))
        return sorted((e.md5, e.sha1, e.sha256, e.pdq, e.category, (e.extra or {}).get("source_category"),
                       (e.extra or {}).get("VictimIdentified")) for e in rows)


def _keys(doc: dict[str, Any]) -> tuple[set[str], set[str], set[str], set[str]]:
    case = doc["value"][0]
    media = case["Media"]
    return (set(doc), set(case), {k for m in media for k in m}, {k for m in media for f in m["MediaFiles"] for k in f})


def test_a_hash_set_goes_out_and_comes_back_the_same(ws: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    with ws.session() as s:
        import_hashset(s, ws.actor, FORMATS_DIR / "vics-2.0-example.json", "example")
        res = export_hashset(s, ws.actor, "example", out)
        import_hashset(s, ws.actor, out, "again")
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "export.vics")) is not None
    assert (res.media, res.by_category) == (4, {"0": 1, "1": 1, "2": 1, "4": 1})
    assert _entries(ws, "again") == _entries(ws, "example")
    doc = json.loads(out.read_text())
    published = json.loads((FORMATS_DIR / "vics-2.0-example.json").read_text())
    top, case, media, files = _keys(doc)
    assert files == {"FileName", "FilePath", "Deleted"} or not files
    assert top == {"@odata.context", "value"} and doc["@odata.context"] == published["@odata.context"]
    assert case == {"CaseID", "SourceApplicationName", "Media"}
    assert media <= _keys(published)[2] | {"PhotoDNA", "OffenderIdentified", "IsDistributed", "SelfGenerated"}
    first = doc["value"][0]["Media"][0]
    assert first["MD5"] == "38D025A1C8821C27C3498C7CDC706E54" and first["IsPrecategorized"] is True
    sha256 = doc["value"][0]["Media"][3]["AlternativeHashes"]
    assert sha256 == [{"HashName": "SHA256", "HashValue": published["value"][0]["Media"][3]["AlternativeHashes"][0]
                       ["HashValue"]}]


def test_caid_grading_survives_the_round_trip(ws: Workspace, tmp_path: Path) -> None:
    src = tmp_path / "caid.csv"
    src.write_text("MD5;Category\n" + "".join(f"{i:032x};{c}\n" for i, c in enumerate("ABC", 1)))
    out = tmp_path / "caid.json"
    with ws.session() as s:
        import_hashset(s, ws.actor, src, "caid", category_scheme="caid")
        export_hashset(s, ws.actor, "caid", out)
        import_hashset(s, ws.actor, out, "caid-again")
    media = json.loads(out.read_text())["value"][0]["Media"]
    assert [(m["Category"], m["Tags"]) for m in media] == [(1, ["caid:A"]), (1, ["caid:B"]), (1, ["caid:C"])]
    assert [e[4:6] for e in _entries(ws, "caid-again")] == [(1, "A"), (1, "B"), (1, "C")]


def test_a_scheme_given_as_a_file_is_read_kept_and_survives_the_round_trip(ws: Workspace, tmp_path: Path) -> None:
    """A scheme Tasman does not ship (Project VIC Canada's labels are not published) is given by
    the agency that holds it as a YAML mapping; its labels stay beside Project VIC's."""
    scheme = tmp_path / "canada.yaml"
    scheme.write_text('scheme: vic_canada\nlabels:\n  "Cat 1": 1\n  "Cat 2": exploitive\n  "Cat 0": 0\n')
    src = tmp_path / "ca.csv"
    src.write_text("MD5;Category\n" + "".join(f"{i:032x};{c}\n" for i, c in enumerate(["CAT 1", "cat2", "Cat 9"], 1)))
    out = tmp_path / "ca.json"
    with ws.session() as s:
        r = import_hashset(s, ws.actor, src, "ca", category_scheme=str(scheme))
        assert (r.entries, r.warning_count) == (3, 1)                  # Cat 9: its hash kept, a warning
        assert get_hashset(s, "ca").category_scheme == "vic_canada"
        export_hashset(s, ws.actor, "ca", out)
        import_hashset(s, ws.actor, out, "ca-again")
    media = json.loads(out.read_text())["value"][0]["Media"]
    graded = [(m.get("Category"), m.get("Tags")) for m in media][:2]
    assert graded == [(1, ["vic_canada:CAT 1"]), (2, ["vic_canada:cat2"])]
    assert [e[4:6] for e in _entries(ws, "ca-again")][:2] == [(1, "CAT 1"), (2, "cat2")]


def test_a_bad_scheme_file_is_one_line_naming_what_is_wrong(ws: Workspace, tmp_path: Path) -> None:
    src = tmp_path / "l.csv"
    src.write_text(f"md5,category\n{1:032x},1\n")
    cases = {"vic": "scheme: caid\nlabels: {a: 1}\n", "9": "scheme: mine\nlabels: {a: 9}\n",
             "labels": "scheme: mine\n", "lower-case": "scheme: Mine!\nlabels: {a: 1}\n",
             "alias": "scheme: mine\nlabels: &x {a: 1}\nmore: *x\n"}
    for i, (why, text) in enumerate(cases.items()):
        f = tmp_path / f"s{i}.yaml"
        f.write_text(text)
        with pytest.raises(InputError) as err, ws.session() as s:
            import_hashset(s, ws.actor, src, "x", category_scheme=str(f))
        assert str(f) in str(err.value) and "\n" not in str(err.value), why
    with pytest.raises(InputError, match="No such file"), ws.session() as s:
        import_hashset(s, ws.actor, src, "x", category_scheme=str(tmp_path / "missing.yaml"))
    with ws.session() as s:                      # nothing stored by a refused import
        assert s.scalar(select(HashSet).where(HashSet.name == "x")) is None


def test_a_triage_run_exports_what_an_examiner_may_rely_on(ws: Workspace, triage_set: TriageSet,
                                                           fake_matcher: FakeMatcher, tmp_path: Path) -> None:
    with ws.session() as s:
        create_case(s, ws.actor, "T-1")
    evidence = [triage_set.items[k] for k in ("folder", "archive")]
    run_triage(ws, "T-1", evidence, TriageOptions(workers=0), matcher=fake_matcher)
    expected = {p: t for p, t in triage_set.expected.items() if p.startswith(("uploads/", "backup.zip"))}
    exact = {p for p, t in expected.items() if t == "exact"}
    perceptual = sorted(p for p, t in expected.items() if t == "perceptual")
    assert exact and perceptual
    out = tmp_path / "run.json"
    with ws.session() as s:
        res = export_run(s, ws.actor, "T-1", out)
    assert res.awaiting_review == len(perceptual)
    doc = json.loads(out.read_text())
    paths = {f"{f['FilePath']}/{f['FileName']}" for m in doc["value"][0]["Media"] for f in m["MediaFiles"]}
    assert paths == exact and any("!/" in p for p in paths)
    assert all(m["Category"] is not None and m["MD5"] for m in doc["value"][0]["Media"])

    with ws.session() as s:
        ids = dict(s.execute(select(Artifact.path, Artifact.id)).all())
        record_decision(s, ws.actor, "T-1", ids[perceptual[0]], "confirmed")
        if len(perceptual) > 1:
            record_decision(s, ws.actor, "T-1", ids[perceptual[1]], "declined")
        res = export_run(s, ws.actor, "T-1", out)
        imported = import_hashset(s, ws.actor, out, "from-run")
    doc = json.loads(out.read_text())
    paths = {f"{f['FilePath']}/{f['FileName']}" for m in doc["value"][0]["Media"] for f in m["MediaFiles"]}
    assert paths == exact | {perceptual[0]}
    assert res.awaiting_review == max(0, len(perceptual) - 2)
    assert imported.entries == res.media


def test_cli_vics_export(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "w"
    assert run_cli("init", root).exit_code == 0
    r = run_cli("-w", root, "hashset", "import", FORMATS_DIR / "vics-1.3-example.json", "--name", "v13")
    assert r.exit_code == 0
    r = run_cli("-w", root, "export", "vics", "--hashset", "v13", "--out", tmp_path / "v.json", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["media"] == 2
    r = run_cli("-w", root, "export", "vics", "--out", tmp_path / "v.json")
    assert r.exit_code == 5 and "either --case" in r.stderr
    r = run_cli("-w", root, "case", "create", "C-1")
    r = run_cli("-w", root, "export", "vics", "--case", "C-1", "--out", tmp_path / "c.json")
    assert r.exit_code != 0 and "no finished triage run" in r.stderr and not (tmp_path / "c.json").exists()
