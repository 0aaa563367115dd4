"""Video matching by the vPDQ rule (as HMA applies it): of the query video's distinct frame
hashes (quality >= min_quality), the share that lie within ``pdq_threshold`` of some frame of a
listed video must reach ``video_query_pct`` (default 80), and the share of the listed video's
distinct frames so matched must reach ``video_index_pct`` (default 0, as in HMA).

A match's detail also names where the matched part starts in the query video: ``first_frame``
(the frame number vPDQ gave the earliest matched frame) and ``first_second`` (its time, from its
place among the frames hashed one every ``SECONDS_PER_HASH``); the review preview decodes that
frame."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tasman.triage.hashing.video import SECONDS_PER_HASH
from tasman.triage.match.exact import HEX
from tasman.triage.perceptual.codes import hex_to_bytes
from tasman.triage.perceptual.pdqindex import build_index
from tasman.triage.types import FileHashes

if TYPE_CHECKING:
    from tasman.triage.match.loader import Loaded
    from tasman.triage.match.settings import MatchSettings


class VideoIndex:
    def __init__(self, loaded: Loaded, settings: MatchSettings) -> None:
        self.settings = settings
        hexes, entries = loaded.frames
        groups: dict[tuple[int, str | None], int] = {}
        unique: dict[tuple[int, str], int] = {}
        keep_hex: list[str] = []
        self.group_entry: list[int] = []        # a representative entry a video (set, category, ref)
        group_of: list[int] = []
        for h, e in zip(hexes, entries, strict=True):
            g = groups.setdefault((int(loaded.set_of[e]), loaded.ref_of[e]), len(groups))
            if g == len(self.group_entry):
                self.group_entry.append(e)
            if (g, h) in unique:
                continue
            unique[(g, h)] = len(keep_hex)
            keep_hex.append(h)
            group_of.append(g)
        self.group_of = np.asarray(group_of, dtype=np.int64)
        self.group_frames = np.bincount(self.group_of, minlength=len(groups))
        self.index = build_index(hex_to_bytes(keep_hex, 32), settings.pdq_threshold, settings.index)

    def match(self, files: Sequence[FileHashes]) -> list[tuple[int, int, int, dict[str, Any]]]:
        """(file, representative listed entry, median distance, detail) for each video match."""
        st = self.settings
        hexes: list[str] = []
        owner: list[int] = []
        first: list[tuple[int, int]] = []       # (frame number, place among the hashed frames) a query hash
        per_file: dict[int, int] = {}
        for i, f in enumerate(files):
            frames: dict[str, tuple[int, int]] = {}
            for k, (number, h, q) in enumerate(f.vpdq):
                if q >= st.min_quality and len(h) == 64 and HEX.fullmatch(h):
                    frames.setdefault(h, (int(number), k))
            if frames:
                per_file[i] = len(frames)
                for h in sorted(frames):
                    hexes.append(h)
                    first.append(frames[h])
                owner.extend([i] * len(frames))
        if not hexes:
            return []
        qi, li, dist = self.index.search(hex_to_bytes(hexes, 32), st.pdq_threshold)
        matched_q: dict[tuple[int, int], set[int]] = {}
        matched_l: dict[tuple[int, int], set[int]] = {}
        dists: dict[tuple[int, int], list[int]] = {}
        for q, pos, d in zip(qi.tolist(), li.tolist(), dist.tolist(), strict=True):
            key = (owner[q], int(self.group_of[pos]))
            matched_q.setdefault(key, set()).add(q)
            matched_l.setdefault(key, set()).add(pos)
            dists.setdefault(key, []).append(d)
        out = []
        for (i, g), qs in sorted(matched_q.items()):
            q_pct = 100.0 * len(qs) / per_file[i]
            l_pct = 100.0 * len(matched_l[(i, g)]) / int(self.group_frames[g])
            if q_pct >= st.video_query_pct and l_pct >= st.video_index_pct:
                number, place = min(first[q] for q in qs)
                detail: dict[str, Any] = {"query_match_pct": round(q_pct, 1), "listed_match_pct": round(l_pct, 1),
                                          "first_frame": number, "first_second": round(place * SECONDS_PER_HASH, 3)}
                out.append((i, self.group_entry[g], int(np.median(dists[(i, g)])), detail))
        return out
