"""How many files a triage session hashes: a lower bound while the walk goes on, exact once it ends.

The walk is lazy (readers yield files as they read them, a bounded number in flight), so the
total is not known at the start, and finding it out beforehand would mean reading every archive
and disk image twice (a compressed archive lists its members only by being decompressed; a
container inside a container only by being read). The bound is therefore made of what is cheap:

* every file the walk has found so far (containers' members included);
* the files of each folder given as evidence that the walk has not reached yet, from the folder's
  listing (names and ``stat`` only, no file opened: about 3 µs a file, 15 ms for 5,000 files):
  the custody plan counts up to ``HOLD_RESULTS`` of them anyway, a background thread the rest;
* one for each single file given as evidence not walked yet (its own row).

Files done before a resumed run are skipped, so a resumed run's listings say nothing and its
bound is what the walk found so far. The bound never falls below the files done (each was found
before it was hashed) and, once the walk has ended, equals the number of files the session hashes.
"""

from __future__ import annotations

import threading
from pathlib import Path

from tasman.triage.readers.folder import count_files


class Census:
    """Counts kept by the walking thread; the listings of big folders finish in background threads."""

    def __init__(self, listed: list[int]) -> None:
        self.listed = list(listed)              # per evidence item: its own files by listing (lower bound)
        self.own = [0] * len(listed)            # per item: its own files the walk has reached
        self.finished = [False] * len(listed)   # per item: its walk has ended
        self.found = 0                          # files found that this session hashes (or takes from custody)
        self.walked = False                     # the whole walk has ended: ``found`` is the total
        self._stop = threading.Event()

    def count_later(self, index: int, folder: Path) -> None:
        """Finish counting a big folder's files in a background thread (the walk does not wait)."""
        def count() -> None:
            n = count_files(folder, stop=self._stop)
            if not self._stop.is_set():
                self.listed[index] = max(self.listed[index], n)

        threading.Thread(target=count, name="tasman-census", daemon=True).start()

    def close(self) -> None:
        self._stop.set()

    def reached(self, index: int) -> None:
        """The walk reached one of item ``index``'s own files (done before or not)."""
        self.own[index] += 1

    def add(self) -> None:
        """One more file that this session hashes."""
        self.found += 1

    def item_walked(self, index: int) -> None:
        self.finished[index] = True

    def walk_ended(self) -> None:
        self.walked = True
        self.close()

    @property
    def total(self) -> int:
        """The files this session hashes: exactly once ``walked``, else at least this many."""
        if self.walked:
            return self.found
        ahead = sum(max(0, n - own) for n, own, done in zip(self.listed, self.own, self.finished, strict=True)
                    if not done)
        return self.found + ahead
