"""Secreview: the sender a package's document names is the one that signed it.

``package.json`` carries its own ``sender`` (name and key fingerprint), shown as "From:" in the
opened ``dossier.html`` and stored as the received package's sender on import. Only the
envelope's sender is checked (signature, fingerprint of its key, the agency directory); a
document naming another agency and that agency's fingerprint must be refused, not believed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from tasman.core.models import AuditEvent
from tasman.core.workspace import Workspace
from tasman.refer import keys
from tasman.refer.models import ReceivedPackage
from tests.security.test_packages import Lab, document, lab, package, refused, signed_files

__all__ = ["lab"]


@pytest.mark.parametrize("field", ["name", "key_fingerprint", "both"])
def test_a_document_naming_another_sender_is_refused(lab: Lab, run_cli: Any, field: str) -> None:
    (lab.root / "interpol").mkdir()
    interpol = keys.generate(lab.root / "interpol", "INTERPOL IGCI", ["FR"])
    claimed = {"name": lab.sender.name, "countries": [], "contact": "", "key_fingerprint": lab.sender.fingerprint}
    if field in ("name", "both"):
        claimed["name"] = interpol.name
    if field in ("key_fingerprint", "both"):
        claimed["key_fingerprint"] = interpol.fingerprint
    body = json.dumps(document(lab, sender=claimed)).encode()
    package(lab, list(signed_files(lab, body).items()))
    refused(lab, run_cli, "sender")


def test_a_known_key_claiming_another_name_is_imported_under_the_directory_name(
        lab: Lab, run_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Mallory's key is in the directory as 'Mallory'; its package calls itself INTERPOL."""
    (lab.root / "fake").mkdir()
    claimed = keys.generate(lab.root / "fake", "INTERPOL IGCI", ["FR"])
    monkeypatch.setattr(lab, "sender", claimed)
    package(lab)
    ws = lab.root / "ws"
    assert run_cli("init", ws).exit_code == 0
    assert run_cli("-w", ws, "case", "create", "PH-1").exit_code == 0
    assert run_cli("-w", ws, "agency", "add", "--name", "Mallory", "--country", "GB", "--age-recipient",
                   claimed.age_recipient, "--signing-key", claimed.public_key).exit_code == 0
    r = run_cli("-w", ws, "package", "import", lab.file, "--case", "PH-1", "--key", lab.key_file)
    assert r.exit_code == 0, r.output
    w = Workspace.open(ws)
    try:
        with w.session() as s:
            got = s.scalars(select(ReceivedPackage.sender)).all()
            logged = [json.loads(e.details).get("sender") for e in s.scalars(select(AuditEvent).where(
                AuditEvent.action == "package.import"))]
    finally:
        w.close()
    assert got == ["Mallory"] and logged == ["Mallory"]
