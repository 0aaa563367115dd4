"""The cyclic garbage collector paused while a command starts.

Importing SQLAlchemy and declaring the models creates a few hundred thousand objects, none of
them garbage; the collector, triggered every 700 allocations, traverses them again and again,
and once more in the collection the interpreter makes as it exits (together about a quarter of
``tasman case list``'s CPU time; ``bench/startup.py``, bench/README.md). ``tasman``'s entry point
pauses it (:func:`pause`) until the command to run is known and its module imported
(:func:`resume`, called by ``TasmanGroup`` when it resolves a command that is no group, and again
on the way out). Resuming first moves every object alive into the permanent generation
(``gc.freeze``, as the ``gc`` documentation advises before forking workers), so neither the
collections the command itself triggers nor the one at exit traverse them again. The command's own work always runs
with the collector on. A caller that never paused (tests, ``CliRunner``) is left alone.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    """Pause the collector if it is on (the process's start-up)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Turn the collector back on if :func:`pause` turned it off; objects alive now are frozen."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


def paused() -> bool:
    return _paused
