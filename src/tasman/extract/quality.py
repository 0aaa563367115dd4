"""Precision and recall per identifier type on a labelled corpus (``tasman.synth.identifiers``
makes one; the tests and ``bench/extract.py`` hand it in: a stage never imports the generators)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from tasman.extract.scan import Found, scan_text

Truth = tuple[str, str]  # (type, normalised value), as the scanner reports it


class LabelledDoc(Protocol):
    """A text and the identifiers it holds (``tasman.synth.identifiers.LabelledDoc`` is one)."""

    @property
    def text(self) -> str: ...

    @property
    def truth(self) -> frozenset[Truth]: ...

    @property
    def region(self) -> str | None: ...


@dataclass(frozen=True)
class Score:
    type: str
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class Evaluation:
    scores: dict[str, Score]
    errors: list[tuple[str, str, Truth]]  # (kind fp|fn, doc text, truth)

    def table(self) -> str:
        lines = [f"{'type':8} {'precision':>9} {'recall':>7} {'tp':>6} {'fp':>5} {'fn':>5}"]
        for t, s in sorted(self.scores.items()):
            lines.append(f"{t:8} {s.precision:9.3f} {s.recall:7.3f} {s.tp:6d} {s.fp:5d} {s.fn:5d}")
        return "\n".join(lines)


Scanner = Callable[[str, str | None], list[Found]]


def _default(text: str, region: str | None) -> list[Found]:
    return scan_text(text, region=region)


def evaluate(docs: Iterable[LabelledDoc], scanner: Scanner = _default, keep_errors: int = 50) -> Evaluation:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    errors: list[tuple[str, str, Truth]] = []
    for doc in docs:
        got = {(f.type.value, f.value) for f in scanner(doc.text, doc.region)}
        for t in got & doc.truth:
            tp[t[0]] += 1
        for kind, missed, counter in (("fp", got - doc.truth, fp), ("fn", doc.truth - got, fn)):
            for t in missed:
                counter[t[0]] += 1
                if len(errors) < keep_errors:
                    errors.append((kind, doc.text, t))
    types = set(tp) | set(fp) | set(fn)
    return Evaluation({t: Score(t, tp[t], fp[t], fn[t]) for t in types}, errors)
