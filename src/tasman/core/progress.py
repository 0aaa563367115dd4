"""One shape for every stage run: how it reports progress while it runs, and the result it hands
back when it ends, so that the CLI and the web app's jobs render any stage the same way.

Progress. A stage function takes ``progress: Progress | None`` and calls it with ``done`` of
``total`` (``None`` while the total is not known) and a short message, or, where the work is a
few named steps (link, money), ``stage: StageHook``, a context manager entered per step; a
``Progress`` becomes a hook with ``stage_hook``. A stage whose ticks carry more than that (the
triage run's ``ProgressInfo``) hands an object with ``as_progress()`` (``Tick``), which
``ticks`` turns into the same three values.

Result. A stage run returns one frozen result (``StageResult``): ``as_dict()`` (the ``--json``
document and a web job's stored result), ``summary_line()`` (a job's outcome in words) and
``lines()`` (what the command prints: text lines and ``Table``\\ s, rendered by the CLI), with
the web page that shows it (``page``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

Progress = Callable[[int, int | None, str], None]      # done, total (None: not known yet), message
StageHook = Callable[[str], AbstractContextManager[Any]]


def no_stage(_name: str) -> AbstractContextManager[Any]:
    """The hook of a run nobody watches."""
    return nullcontext()


def stage_hook(progress: Progress, stages: Mapping[str, str], what: str) -> StageHook:
    """A stage hook that reports which of ``stages`` (name -> words) a run is in: step N of them."""
    order = list(stages)

    @contextmanager
    def stage(name: str) -> Iterator[None]:
        step = order.index(name) if name in stages else 0
        progress(step, len(order), f"{what}: {stages.get(name, name)}")
        yield

    return stage


@runtime_checkable
class Tick(Protocol):
    """A stage's own progress report, which says itself in the three values of ``Progress``."""

    def as_progress(self) -> tuple[int, int | None, str]: ...


def ticks(progress: Progress) -> Callable[[Tick], None]:
    """A stage's tick callback that reports through ``progress``."""
    def tick(t: Tick) -> None:
        progress(*t.as_progress())

    return tick


@dataclass(frozen=True)
class Table:
    """A table in a result's lines: the CLI draws it (tab-separated when piped)."""

    title: str | None
    headers: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


Line = str | Table


@runtime_checkable
class StageResult(Protocol):
    """What every stage run hands back (frozen)."""

    @property
    def page(self) -> str | None:
        """Where under the case the web app shows the run (None: no page of its own)."""
        ...

    def as_dict(self) -> dict[str, Any]: ...

    def summary_line(self) -> str: ...

    def lines(self) -> Sequence[Line]: ...


def plural(n: Any, one: str, many: str | None = None) -> str:
    """``1 package``, ``2 packages``, ``0 agencies`` (``many`` when adding an s is wrong)."""
    return f"{n} {one if int(n) == 1 else (many or one + 's')}"
