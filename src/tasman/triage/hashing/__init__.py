"""Hashers: MD5/SHA-1/SHA-256 in one read, PDQ from reduced-scale decodes, vPDQ for videos."""

from tasman.triage.hashing.pdq import PdqResult, hamming, pdq_from_luma
from tasman.triage.hashing.worker import HashOptions, WorkItem, WorkResult, hash_item

__all__ = ["HashOptions", "PdqResult", "WorkItem", "WorkResult", "hamming", "hash_item", "pdq_from_luma"]
