"""CAID's VICS 1.2 dialect: the UK Child Abuse Image Database's VICS JSON, read by the VICS
reader (``vics``: streamed, the same limits) with what sets it apart from Project VIC's own 1.3
and 2.0 exports:

- ``odata.metadata`` names the 1.2 data model (``.../DataModels/1.2.xml/...``);
- ``Category`` is CAID's grade, a letter ``A``/``B``/``C`` (or ``Cat A``, ``Category A``,
  ``Prohibited``, ``Non-IIOC``, ``0``), not Project VIC's number 0-4: lists of this format are
  read in the ``caid`` category scheme unless ``--category-scheme`` says otherwise, and the
  letter is kept with each entry (``source_category``) since Project VIC's scheme has one
  category for all three;
- the 1.x field names (``MediaID``, ``MD5``, ``SHA1``, ``MediaSize``, ``IsPrecategorized``,
  ``VictimIdentified``, ``OffenderIdentified``, ``IsDistributed``, ``Series``, ``PhotoDNA``, in
  any letter case), with no ``SHA256`` or ``AlternativeHashes`` required.

No public specification of CAID's export was found (docs/triage-hashsets.md says so): the shape
above is the most plausible reading of the public descriptions, and a file that differs still
reads as plain ``vics`` with ``--format vics --category-scheme caid``."""

from __future__ import annotations

import re
from typing import ClassVar

from tasman.triage.hashsets.vics import VicsFormat

_METADATA_12 = re.compile(rb'"odata\.metadata"\s*:\s*"[^"]{0,300}?1\.2\b')
_LETTER = re.compile(rb'"Category"\s*:\s*"\s*(?:cat(?:egory)?\.?\s*)?[ABC]\s*"', re.I)


class CaidVicsFormat(VicsFormat):
    name = "caid-vics"
    description = "CAID's VICS 1.2 JSON (odata.metadata 1.2, categories A/B/C)"
    default_scheme: ClassVar[str] = "caid"

    @classmethod
    def detect(cls, head: bytes, filename: str) -> bool:
        if not VicsFormat.detect(head, filename):
            return False
        text = head[:65536]
        return bool(_METADATA_12.search(text) or _LETTER.search(text))
