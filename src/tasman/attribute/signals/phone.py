"""Phone numbers: the country of the number plan (phonenumbers). A number written without its
country code only parses with the record's own country, so it confirms that country weakly; one
written with a dialling prefix (``0049...``, ``011 44...``) is read as international."""

from __future__ import annotations

from collections.abc import Iterable

from tasman.attribute.facts import PHONE, Fact
from tasman.attribute.signals.base import Finding, Signal
from tasman.extract.identifiers import clean_phone

_IDD = ("00", "011")  # the international call prefixes of most of the world and of North America


def _international(text: str) -> str | None:
    """``0049 151 ...`` / ``011 44 ...`` written with a dialling prefix instead of ``+``: as ``+49 151 ...``."""
    digits = "".join(ch for ch in text if ch.isdigit())
    stripped = text.strip()
    if stripped.startswith("+") or not stripped[:1].isdigit():
        return None
    for prefix in _IDD:
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 8:
            return "+" + digits[len(prefix):]
    return None


_WEAK_LINES = {"voip", "personal_number", "uan", "toll_free", "premium_rate", "shared_cost", "pager"}


class PhoneSignal(Signal):
    name = "phone"
    kinds = (PHONE,)
    description = "country of a valid phone number"

    def assess(self, fact: Fact) -> Iterable[Finding]:
        ident, national = clean_phone(fact.value), False
        if ident is None and fact.hint:
            ident, national = clean_phone(fact.value, fact.hint), True
        if ident is None and (idd := _international(fact.value)):
            ident, national = clean_phone(idd), False
        if ident is None:
            yield self.ignore(fact, "not a valid phone number")
            return
        if ident.country is None:
            yield self.ignore(fact, "a non-geographic number (no country)", ident.value)
            return
        line = str(ident.meta.get("line_type", "unknown"))
        strength, notes = 1.0, []
        if national:
            strength *= self.weight.national_format_factor
            notes.append(f"written without a country code, read as {fact.hint} from the record")
        if line in _WEAK_LINES:
            strength *= self.weight.voip_factor
            notes.append(f"a {line.replace('_', ' ')} line says little about residence")
        detail = f"phone {ident.value} is a {line.replace('_', ' ')} number of {ident.country}"
        yield self.vote(ident.country, fact, "; ".join([detail, *notes]), strength, ident.value)
