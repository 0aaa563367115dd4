"""The one place where pages reach stages that have not landed yet.

Each function here either calls the stage's library function (once it exists) or raises
:class:`StageMissing`, which the app turns into a 501 page naming the stage. When a stage lands,
its calls are wired here (or moved into that stage's router) and nothing else changes.
"""

from __future__ import annotations

import importlib
from typing import Any

from tasman.core.errors import TasmanError


class StageMissing(TasmanError):
    """The operation belongs to a stage that is not installed in this build (HTTP 501)."""


def stage_function(module: str, name: str, stage: str) -> Any:
    try:
        fn = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        raise StageMissing(f"this needs the {stage} stage ({module}.{name}), which is not part of this build yet") \
            from None
    return fn


def available(module: str, name: str) -> bool:
    try:
        return hasattr(importlib.import_module(module), name)
    except ImportError:
        return False
