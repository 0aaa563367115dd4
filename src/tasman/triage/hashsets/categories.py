"""Categories: everything is stored in the Project VIC scheme (``tasman.triage.types.Category``:
0 non-pertinent, 1 child abuse material, 2 exploitive / age-difficult, 3 CGI / animation,
4 comparison). Other schemes map onto it here; the list's own label is kept in the entry's
``extra["source_category"]`` when the mapping loses detail (e.g. UK CAID A/B/C all become 1).

A scheme Tasman does not know (Project VIC Canada's, whose labels are not published; an agency's
own) is given as a small YAML file mapping its labels onto Project VIC's (``load_scheme_file``):
the agency that holds the definitions writes the mapping, Tasman never guesses one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tasman.core import safeyaml
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


SCHEME_NAME = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
MAX_SCHEME_FILE = 64 * 1024


def is_scheme_file(name: str) -> bool:
    """Whether ``--category-scheme`` names a mapping file rather than a built-in scheme."""
    return name.lower().endswith((".yaml", ".yml")) or "/" in name or "\\" in name


def load_scheme_file(path: Path) -> tuple[str, Callable[[str | int], Category]]:
    """``(name, mapper)`` of a scheme given as a YAML file::

        scheme: vic_canada          # stored with the list, written in exports' tags (vic_canada:2)
        labels:                     # the list's label -> Project VIC category (0-4 or its name)
          "1": 1
          "Category 2": exploitive

    Labels are compared as the built-in schemes compare them (case, spaces and punctuation
    ignored). Raises ``ValueError`` with one line naming what is wrong."""
    try:
        size = path.stat().st_size
        if size > MAX_SCHEME_FILE:
            raise ValueError(f"{path}: a category scheme file of {size} bytes (at most {MAX_SCHEME_FILE})")
        doc: Any = safeyaml.loads(path.read_bytes(), MAX_SCHEME_FILE)
    except OSError as exc:
        raise ValueError(f"{path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("labels"), dict) or not doc["labels"]:
        raise ValueError(f"{path}: a category scheme file needs 'scheme: NAME' and 'labels:' (label: category)")
    name = doc.get("scheme")
    if not isinstance(name, str) or not SCHEME_NAME.fullmatch(name):
        raise ValueError(f"{path}: 'scheme' must be a lower-case name of 2-32 letters, digits or _ (got {name!r})")
    if name in SCHEMES:
        raise ValueError(f"{path}: {name!r} is a built-in scheme; give yours another name")
    table: dict[str, Category] = {}
    for label, value in doc["labels"].items():
        if not isinstance(label, str | int) or not isinstance(value, str | int) or isinstance(value, bool):
            raise ValueError(f"{path}: label {label!r}: a label and its category must be text or a number")
        key = _key(label)
        if not key:
            raise ValueError(f"{path}: label {label!r} has no letters or digits")
        try:
            category = _vic(value)
        except ValueError:
            raise ValueError(f"{path}: label {label!r}: {value!r} is not a Project VIC category (0-4 or its name)"
                             ) from None
        if key in table and table[key] != category:
            raise ValueError(f"{path}: label {label!r} is given twice with different categories")
        table[key] = category
    return name, _table(table, name)


def resolve_scheme(name: str) -> tuple[str, Callable[[str | int], Category]]:
    """``(stored name, mapper)`` for a built-in scheme's name or a scheme file's path."""
    if is_scheme_file(name):
        return load_scheme_file(Path(name))
    return name.lower(), scheme(name)


def keeps_source_label(name: str) -> bool:
    """Whether a list read in scheme ``name`` keeps its own labels beside Project VIC's."""
    return name.lower() != "vic"
