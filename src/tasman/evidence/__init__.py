"""Cases, evidence items (hashed on arrival, read-only), ``!/`` artifact paths and custody checks.

The names below are imported on first use (PEP 562), so that ``tasman.evidence.cases`` (what
``tasman case list`` needs) does not bring in the evidence store, EWF and hashing modules.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tasman.evidence.cases import create_case, get_case, list_cases
    from tasman.evidence.paths import SEP, join_path, split_path
    from tasman.evidence.store import add_evidence, list_evidence, verify_evidence

_WHERE = {
    "create_case": "cases", "get_case": "cases", "list_cases": "cases",
    "SEP": "paths", "join_path": "paths", "split_path": "paths",
    "add_evidence": "store", "list_evidence": "store", "verify_evidence": "store",
}

__all__ = [
    "SEP",
    "add_evidence",
    "create_case",
    "get_case",
    "join_path",
    "list_cases",
    "list_evidence",
    "split_path",
    "verify_evidence",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(f"tasman.evidence.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
