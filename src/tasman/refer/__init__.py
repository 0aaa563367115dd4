"""Referral: the agency directory, keys, per-country packages (frozen, versioned, signed and
encrypted), exports (MISP, FollowTheMoney, CSV), outcomes back and the operation summary.

The names below are imported on first use (PEP 562), so that importing ``tasman.refer.models``
(which ``models_registry`` does for every command) does not import the service, money or link.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tasman.refer.document import PackageDocument
    from tasman.refer.service import ReferSummary, import_package, open_to, refer_case, verify

_LAZY = {"PackageDocument": "document", "ReferSummary": "service", "import_package": "service",
         "open_to": "service", "refer_case": "service", "verify": "service"}

__all__ = ["PackageDocument", "ReferSummary", "import_package", "open_to", "refer_case", "verify"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
