"""Cases, evidence items (hashed on arrival, read-only), ``!/`` artifact paths and custody checks."""

from tasman.evidence.cases import create_case, get_case, list_cases
from tasman.evidence.paths import SEP, join_path, split_path
from tasman.evidence.store import add_evidence, list_evidence, verify_evidence

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
