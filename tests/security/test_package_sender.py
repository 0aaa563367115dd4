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

from tasman.refer import keys
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
