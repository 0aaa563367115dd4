"""Records files for the web app's tests: the synthetic corpus (tasman.synth.corpus) written once
per test folder, and a helper that uploads a file through the API."""

from __future__ import annotations

from pathlib import Path

import httpx2 as httpx
from fastapi.testclient import TestClient

from tasman.synth.corpus import Corpus, make_corpus
from tests.serve.conftest import CASE


def small_corpus(folder: Path) -> Corpus:
    """About 40 records of people in two countries: order lists, tips, transfers (and chats)."""
    return make_corpus(folder, records=40, seed=3, countries=["GB", "PH"])


def file_of(corpus: Corpus, source: str) -> tuple[str, bytes]:
    kind, path = corpus.files[source]
    return kind, path.read_bytes()


def upload(client: TestClient, name: str, data: bytes, kind: str, case: str = CASE,
           **form: str) -> httpx.Response:
    return client.post(f"/api/v1/cases/{case}/records", files={"file": (name, data)}, data={"kind": kind, **form})
