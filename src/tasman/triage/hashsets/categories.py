"""Categories: everything is stored in the Project VIC scheme (``tasman.triage.types.Category``:
0 non-pertinent, 1 child abuse material, 2 exploitive / age-difficult, 3 CGI / animation,
4 comparison). Other schemes map onto it here; the list's own label is kept in the entry's
``extra["source_category"]`` when the mapping loses detail (e.g. UK CAID A/B/C all become 1).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from tasman.triage.types import Category

_VIC_NAMES = {
    "nonpertinent": Category.NON_PERTINENT, "ignorable": Category.NON_PERTINENT,
    "cam": Category.CAM, "csam": Category.CAM, "childabusematerial": Category.CAM,
    "exploitive": Category.EXPLOITIVE, "agedifficult": Category.EXPLOITIVE,
    "exploitiveagedifficult": Category.EXPLOITIVE,
    "cgi": Category.CGI, "animation": Category.CGI, "cgianimation": Category.CGI,
    "comparison": Category.COMPARISON,
}
_CAID = {  # UK Child Abuse Image Database (public descriptions of its grading)
    "a": Category.CAM, "cata": Category.CAM, "categorya": Category.CAM,
    "b": Category.CAM, "catb": Category.CAM, "categoryb": Category.CAM,
    "c": Category.CAM, "catc": Category.CAM, "categoryc": Category.CAM,
    "prohibited": Category.CGI, "prohibitedimage": Category.CGI, "npi": Category.CGI,
    "nonphotographic": Category.CGI,
    "0": Category.NON_PERTINENT, "noniioc": Category.NON_PERTINENT, "nonpertinent": Category.NON_PERTINENT,
    "ignorable": Category.NON_PERTINENT,
}
_INDUSTRY = {  # NCMEC / Tech Coalition industry classification: A/B = age group, 1/2 = act
    "a1": Category.CAM, "a2": Category.CAM, "b1": Category.CAM, "b2": Category.CAM,
    "csam": Category.CAM, "cp": Category.CAM, "apparentchildpornography": Category.CAM,
}


def _key(raw: str | int) -> str:
    return re.sub(r"[^a-z0-9]", "", str(raw).lower())


def _vic(raw: str | int) -> Category:
    k = _key(raw)
    k = k.removeprefix("category").removeprefix("cat") if k not in _VIC_NAMES else k
    if k.isdigit() and int(k) in Category._value2member_map_:
        return Category(int(k))
    if k in _VIC_NAMES:
        return _VIC_NAMES[k]
    raise ValueError(f"category {raw!r} is not a Project VIC category (0-4)")


def _table(table: dict[str, Category], scheme: str) -> Callable[[str | int], Category]:
    def mapper(raw: str | int) -> Category:
        k = _key(raw)
        if k in table:
            return table[k]
        raise ValueError(f"category {raw!r} is not in the {scheme} scheme ({', '.join(sorted(table))})")
    return mapper


def _baseline(raw: str | int) -> Category:
    if _key(raw) in ("baseline", "interpolbaseline", "1", "yes", "true"):
        return Category.CAM
    raise ValueError(f"category {raw!r} is not in the baseline scheme (baseline)")


SCHEMES: dict[str, Callable[[str | int], Category]] = {
    "vic": _vic,
    "caid": _table(_CAID, "caid"),
    "industry": _table(_INDUSTRY, "industry"),
    "baseline": _baseline,
}
LOSSY = {"caid", "industry", "baseline"}


def scheme(name: str) -> Callable[[str | int], Category]:
    try:
        return SCHEMES[name.lower()]
    except KeyError:
        raise ValueError(f"unknown category scheme {name!r}: use one of {', '.join(SCHEMES)}") from None


def map_category(raw: str | int | None, scheme_name: str = "vic") -> Category | None:
    """The Project VIC category for a list's label; None for an empty label."""
    if raw is None or str(raw).strip() == "":
        return None
    return scheme(scheme_name)(raw)
