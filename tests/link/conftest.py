from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tasman.core.workspace import Workspace
from tasman.evidence import create_case
from tasman.records.importing import import_file
from tasman.synth.corpus import Corpus, make_corpus

HAS_SCANNER = importlib.util.find_spec("tasman.extract.scan") is not None


def usable(corpus: Corpus) -> dict[str, tuple[str, Path]]:
    """The corpus files this checkout can import (chats need the extraction stage's scanner)."""
    return {s: (k, p) for s, (k, p) in corpus.files.items() if k != "chats" or HAS_SCANNER}


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return make_corpus(tmp_path_factory.mktemp("corpus"), records=160, seed=11)


def import_corpus(ws: Workspace, corpus: Corpus, case: str = "C1") -> None:
    with ws.session() as s:
        create_case(s, ws.actor, case)
    for _source, (kind, path) in usable(corpus).items():
        with ws.session() as s:
            import_file(s, ws.actor, case, path, kind)
