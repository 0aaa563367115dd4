"""What a triage run is asked to do (``TriageOptions``) and the plan a session carries out
(``TriagePlan``): the options beside the contract types (``types``), so that the run, its session
and its store all read them from below and none of them imports another to learn its settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tasman.triage.readers.base import Limits
from tasman.triage.types import FileHashes, Match

if TYPE_CHECKING:
    from tasman.core.workspace import Workspace


class MatcherLike(Protocol):
    def match(self, files: Sequence[FileHashes]) -> list[Match]: ...


@dataclass(frozen=True)
class TriageOptions:
    hashsets: tuple[str, ...] = ()          # empty: every imported hash set
    pdq_threshold: int = 31
    min_quality: int = 50
    low_quality_threshold: int = 16         # either side under min_quality: this distance at most (-1: no match)
    crop: bool = True
    hypotheses: bool = True                 # crop/overlay guesses at the original for pictures nothing matched
    hypothesis_threshold: int = 28          # their radius (bits), never looser than pdq_threshold
    workers: int | None = None              # None: all cores (a Ray cluster's CPUs); 0: hash in this process
    engine: str = "local"                   # local: a process pool here; ray: tasks on a Ray cluster
    ray_address: str | None = None          # engine ray: None starts a local Ray; auto, HOST:PORT, ray://HOST:PORT
    ray_shared_storage: bool = False        # a cluster's nodes read the evidence at the same paths (paths, not bytes)
    min_side: int = 160                     # standard reduced-scale decode keeps this many pixels on the short side
                                            # (a smooth JPEG may go to 1/8: hashing.pictures.eighth_first)
    video: bool = True
    restart: bool = False                   # start a new run even if an interrupted one matches
    batch_files: int = 500
    batch_seconds: float = 2.0
    own_custody_seconds: float = 60.0       # a folder's custody hash from the run's own read if it is
                                            # complete by then (else a separate pass: see ``custody``)
    limits: Limits = field(default_factory=Limits)

    def budget_parameters(self) -> dict[str, Any]:
        """The run's budget (``Limits``), recorded with the run and shown in its report."""
        lim = self.limits
        return {"max_inflated": lim.max_inflated, "max_ratio": lim.max_ratio, "ratio_floor": lim.ratio_floor,
                "max_members": lim.max_members, "max_depth": lim.max_depth, "max_pixels": lim.max_pixels,
                "max_member_bytes": lim.max_member_bytes}

    def parameters(self) -> dict[str, Any]:
        """What makes results comparable (and a run resumable): saved with the run."""
        return {"pdq_threshold": self.pdq_threshold, "min_quality": self.min_quality,
                "low_quality_threshold": self.low_quality_threshold, "crop": self.crop,
                "hypotheses": self.hypotheses, "hypothesis_threshold": self.hypothesis_threshold,
                "min_side": self.min_side, "video": self.video}


@dataclass(frozen=True)
class TriagePlan:
    """Everything one session of a run needs, settled before any file is read: where (workspace,
    case), what (the evidence given, their ids where already recorded), against what (the
    matcher and its hash sets' names), how (options, engine) and where the files go."""

    ws: Workspace
    case_ref: str
    case_id: int
    paths: tuple[Path, ...]
    known: tuple[int, ...] | None            # evidence ids, when every item was already recorded
    matcher: MatcherLike
    hashsets: tuple[str, ...]
    options: TriageOptions
    out_dir: Path | None = None
    engine: dict[str, object] = field(default_factory=dict)   # the engine's description, saved with the run
