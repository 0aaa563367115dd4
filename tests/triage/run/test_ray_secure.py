"""Joining a Ray cluster by address is secure by default: Ray's token authentication and TLS are
asked for (or ``TASMAN_RAY_INSECURE=1`` said, with a warning); a cluster started with both accepts
Tasman with its token and its CA, and refuses it without the token, in one line."""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray.util
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tasman.core.errors import InputError
from tasman.synth.triage_set import TriageSet
from tasman.triage import rayengine
from tests.triage.run.test_cli_and_kill import SRC
from tests.triage.run.test_ray import rows, started_head

RAY_VARS = ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH", "RAY_USE_TLS", "RAY_TLS_SERVER_CERT",
            "RAY_TLS_SERVER_KEY", "RAY_TLS_CA_CERT", "TASMAN_RAY_INSECURE")


def self_signed(folder: Path) -> dict[str, str]:
    """A CA made for the test and a certificate it signed for this machine's addresses (the one
    every Ray process on it, the head's and Tasman's, presents and checks): Ray's TLS settings."""
    now = datetime.datetime.now(datetime.UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def signed(subject: str, key: ec.EllipticCurvePrivateKey, signer: ec.EllipticCurvePrivateKey,
               issuer: str, ext: x509.ExtensionType, critical: bool) -> x509.Certificate:
        return (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + datetime.timedelta(hours=2))
                .add_extension(ext, critical=critical).sign(signer, hashes.SHA256()))

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = signed("tasman test CA", ca_key, ca_key, "tasman test CA", x509.BasicConstraints(ca=True, path_length=None),
                True)
    ips = {"127.0.0.1", ray.util.get_node_ip_address()}
    san = x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                       *(x509.IPAddress(ipaddress.ip_address(ip)) for ip in sorted(ips))])
    cert = signed("localhost", key, ca_key, "tasman test CA", san, False)
    folder.mkdir(parents=True, exist_ok=True)
    files = {"RAY_TLS_CA_CERT": ca.public_bytes(serialization.Encoding.PEM),
             "RAY_TLS_SERVER_CERT": cert.public_bytes(serialization.Encoding.PEM),
             "RAY_TLS_SERVER_KEY": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption())}
    out = {"RAY_USE_TLS": "1"}
    for var, data in files.items():
        path = folder / var.lower()
        path.write_bytes(data)
        path.chmod(0o600)
        out[var] = str(path)
    return out


@pytest.fixture
def no_ray_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Neither the developer's Ray settings nor a token in their home count here."""
    for var in RAY_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.mark.usefixtures("no_ray_settings")
def test_an_address_without_token_and_tls_is_refused_unless_the_operator_says_so(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rayengine.check_security(None)                        # a Ray started here: nothing asked
    with pytest.raises(InputError, match=r"token authentication .* and TLS .*TASMAN_RAY_INSECURE=1"):
        rayengine.check_security("10.0.0.9:6379")
    monkeypatch.setenv("RAY_AUTH_MODE", "token")
    with pytest.raises(InputError, match="token authentication"):     # the mode without a token
        rayengine.check_security("10.0.0.9:6379")
    monkeypatch.setenv("RAY_AUTH_TOKEN", "0123456789abcdef0123456789abcdef")
    with pytest.raises(InputError, match=r"with TLS \(RAY_USE_TLS=1"):
        rayengine.check_security("ray://10.0.0.9:10001")
    monkeypatch.setenv("RAY_USE_TLS", "1")
    with pytest.raises(InputError, match="RAY_TLS_SERVER_CERT"):
        rayengine.check_security("10.0.0.9:6379")
    for var, path in self_signed(tmp_path / "tls").items():
        monkeypatch.setenv(var, path)
    rayengine.check_security("10.0.0.9:6379")             # both: joined
    monkeypatch.delenv("RAY_AUTH_TOKEN")
    token = tmp_path / "home" / ".ray" / "auth_token"     # Ray's own place for the token counts too
    token.parent.mkdir(parents=True)
    token.write_text("0123456789abcdef0123456789abcdef\n")
    rayengine.check_security("auto")
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    monkeypatch.setenv("TASMAN_RAY_INSECURE", "1")
    capsys.readouterr()
    rayengine.check_security("auto")
    warning = capsys.readouterr().err
    assert warning.startswith("warning:") and "token authentication" in warning and warning.count("\n") == 1


@pytest.fixture
def secure_head(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A cluster that asks for a token and speaks TLS only: its GCS address and the settings
    (token, CA, certificate) that its nodes and its users share."""
    shared = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16),
              **self_signed(tmp_path / "tls"), "HOME": str(tmp_path / "head-home")}
    with started_head(**shared) as (gcs, _client):
        yield gcs, shared


def _triage(ws: Path, evidence: Path, out: Path, address: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-c", "from tasman.cli.main import main; main()", "-w", str(ws), "triage", str(evidence),
           "--case", "SEC-1", "--out", str(out), "--json", "--engine", "ray", "--ray-address", address]
    clean = {k: v for k, v in os.environ.items() if k not in RAY_VARS}
    full = {**clean, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}", **env}
    return subprocess.run(cmd, env=full, capture_output=True, text=True, timeout=300)


def _refused(done: subprocess.CompletedProcess[str], words: str) -> None:
    """Exit 5 and one line of Tasman's (Ray's C++ side prints its own warnings before it)."""
    assert done.returncode == 5, done.stderr
    assert "Traceback" not in done.stderr and not done.stdout
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("tasman: error:") and words in last, done.stderr


@pytest.mark.usefixtures("ray_local")
def test_a_cluster_with_token_and_tls_accepts_its_token_and_refuses_others(  # type: ignore[no-untyped-def]
        run_cli, secure_head: tuple[str, dict[str, str]], triage_set: TriageSet, tmp_path: Path) -> None:
    address, shared = secure_head
    ws = tmp_path / "ws"
    assert run_cli("init", ws).exit_code == 0
    assert run_cli("-w", ws, "case", "create", "SEC-1").exit_code == 0
    evidence = triage_set.items["folder"]
    r = run_cli("-w", ws, "triage", evidence, "--case", "SEC-1", "--out", tmp_path / "pool", "--workers", "2",
                "--json")
    assert r.exit_code == 0, r.output
    pool = rows(Path(json.loads(r.stdout)["outputs"]["files_csv"]))
    home = {"HOME": str(tmp_path / "client-home")}

    done = _triage(ws, evidence, tmp_path / "secure", address, {**shared, **home})
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr
    assert rows(Path(json.loads(done.stdout)["outputs"]["files_csv"])) == pool

    wrong = {**shared, **home, "RAY_AUTH_TOKEN": secrets.token_hex(16)}
    _refused(_triage(ws, evidence, tmp_path / "wrong", address, wrong), "refused the token given")
    without = {**shared, **home, "RAY_AUTH_MODE": "disabled"}
    del without["RAY_AUTH_TOKEN"]
    _refused(_triage(ws, evidence, tmp_path / "without", address, without), "is joined only with token authentication")
    _refused(_triage(ws, evidence, tmp_path / "insecure", address, {**without, "TASMAN_RAY_INSECURE": "1"}),
             "refused a connection without its token")
