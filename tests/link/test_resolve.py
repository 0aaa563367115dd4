"""Deterministic and probabilistic links on small generated corpora, scored against the truth."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasman.link.evaluation import pairwise_scores
from tasman.link.keys import from_uid
from tasman.link.normalise import normalise_rows
from tasman.link.resolve import Resolution, resolve
from tasman.link.settings import LinkSettings
from tasman.records.importers import Options, importer_for
from tasman.synth.corpus import Corpus, make_corpus

from .conftest import usable


def _resolve(corpus: Corpus, settings: LinkSettings) -> tuple[Resolution, dict[tuple[str, str, str], int]]:
    rows, meta = [], {}
    for source, (kind, path) in usable(corpus).items():
        for sid, fields in importer_for(kind).parse(path, Options()).rows:
            rid = len(rows) + 1
            rows.append((rid, kind, fields))
            meta[rid] = (source, sid)
    res = resolve(normalise_rows(rows), settings)
    pred = {}
    for u, label in zip(res.clusters.uids.tolist(), res.clusters.labels.tolist(), strict=True):
        rid, role = from_uid(u)
        pred[(*meta[rid], role)] = label
    return res, pred


def _truth(corpus: Corpus) -> dict[tuple[str, str, str], str]:
    return {(t.source, t.source_id, t.role): t.person for t in corpus.truth}


@pytest.mark.parametrize("seed", [1, 2])
def test_f1_on_a_small_corpus_with_priors(tmp_path: Path, seed: int) -> None:
    corpus = make_corpus(tmp_path, records=300, seed=seed)
    res, pred = _resolve(corpus, LinkSettings(min_parties_to_train=10**6))
    scores = pairwise_scores(pred, _truth(corpus))
    assert scores.precision >= 0.95 and scores.recall >= 0.85 and scores.f1 >= 0.92, scores.as_dict()
    assert res.stats["training"]["trained"] is False
    rules = {lk.rule for lk in res.links}
    assert "probabilistic" in rules and rules & {"same email", "same phone", "same payment reference",
                                                 "same handle on the same platform"}
    for lk in res.links:
        if lk.rule == "probabilistic":
            assert lk.explanation["agreed"] and lk.explanation["fields"]["name"]["level"]
            assert lk.probability >= res.stats["threshold"]
        else:
            assert lk.explanation["shared"][0]["value"] and lk.weight == 99.0


def test_training_estimates_from_the_data(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path, records=500, seed=5)
    settings = LinkSettings(min_parties_to_train=100, u_max_pairs=5e4, em_max_pairs=5e4)
    res, pred = _resolve(corpus, settings)
    assert res.stats["training"]["trained"] is True and res.stats["training"]["m"]
    assert pairwise_scores(pred, _truth(corpus)).f1 >= 0.9
    name = next(c for c in res.splink_settings["comparisons"] if c["output_column_name"] == "name")
    exact = next(lv for lv in name["comparison_levels"] if lv.get("label_for_charts") == "same name")
    assert exact["m_probability"] > 20 * exact["u_probability"]  # u from few pairs holds some true matches


def test_an_identifier_shared_too_widely_is_not_evidence() -> None:
    rows = [(i, "customers", {"name": f"Person {chr(65 + i)}{chr(70 + i)}", "email": "orders@shop.example"})
            for i in range(1, 8)]
    res = resolve(normalise_rows(rows), LinkSettings(max_group=5, min_parties_to_train=10**6))
    assert res.stats["deterministic"]["too_common"][0]["value"] == "orders@shop.example"
    assert res.clusters.count == 7


def test_a_widely_shared_blocking_key_scores_fewer_pairs(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path, records=300, seed=1)
    settings = LinkSettings(min_parties_to_train=10**6)
    res, _ = _resolve(corpus, settings)
    assert res.stats["blocking_capped"] == {"limit": settings.max_block_fanout, "keys": 0, "values": 0,
                                            "parties": 0}  # nothing at this size
    tight, _ = _resolve(corpus, settings.model_copy(update={"max_block_fanout": 2}))
    capped = tight.stats["blocking_capped"]
    assert capped["limit"] == 2 and capped["keys"] > 0 and capped["values"] > 0
    # fewer pairs scored: no more probable links than before, and every rule link still made
    assert len(tight.probable) < len(res.probable)
    assert tight.stats["deterministic"] == res.stats["deterministic"]
