from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One small local Spark session for the whole test run (the JVM takes seconds to start):
    two cores, two shuffle partitions, no UI, checkpoints under pytest's temporary folder."""
    pytest.importorskip("pyspark", reason="the Spark backend's tests need pyspark (pip install 'tasman[spark]')")
    from tasman.link.backends.spark import spark_session

    session = spark_session("local[2]", shuffle_partitions=2, driver_memory="1g")
    session.sparkContext.setCheckpointDir(str(tmp_path_factory.mktemp("spark-checkpoints")))
    yield session
    session.stop()
