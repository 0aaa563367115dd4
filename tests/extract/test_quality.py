"""Precision and recall on the labelled synthetic corpus (targets of the extraction issue)."""

from __future__ import annotations

from tasman.extract.quality import evaluate
from tasman.synth.identifiers import make_corpus

TARGETS = ("email", "phone", "ip", "iban", "btc", "eth")


def test_precision_and_recall_on_labelled_corpus() -> None:
    ev = evaluate(make_corpus(800, seed=101))
    print("\n" + ev.table())
    for t in TARGETS:
        s = ev.scores[t]
        assert s.tp > 40, t
        assert s.precision >= 0.98, (t, s, ev.errors[:5])
        assert s.recall >= 0.95, (t, s, ev.errors[:5])


def test_corpus_is_reproducible() -> None:
    assert make_corpus(20, seed=5) == make_corpus(20, seed=5)
