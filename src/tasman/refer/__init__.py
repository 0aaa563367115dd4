"""Referral: the agency directory, keys, per-country packages (frozen, versioned, signed and
encrypted), exports (MISP, FollowTheMoney, CSV), outcomes back and the operation summary."""

from tasman.refer.document import PackageDocument
from tasman.refer.service import ReferSummary, import_package, open_to, refer_case, verify

__all__ = ["PackageDocument", "ReferSummary", "import_package", "open_to", "refer_case", "verify"]
