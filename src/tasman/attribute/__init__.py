"""Attribution: each subject's ranked candidate countries, with confidence and reasons.

Signals (``signals/``, one module each) turn facts gathered from records and observations into
votes; ``scoring`` ranks them with the documented weights (``weights.yaml``).

The names below are imported on first use (PEP 562), so that importing ``tasman.attribute.models``
(which ``models_registry`` does for every command) stays light: no signals, places or numpy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tasman.attribute.service import RunSummary, attribute_case, make_env, show
    from tasman.attribute.weights import Weights, default_weights, load_weights

_LAZY = {"RunSummary": "service", "attribute_case": "service", "make_env": "service", "show": "service",
         "Weights": "weights", "default_weights": "weights", "load_weights": "weights"}

__all__ = ["RunSummary", "Weights", "attribute_case", "default_weights", "load_weights", "make_env", "show"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
