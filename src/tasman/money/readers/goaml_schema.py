"""goAML reports checked against the XSD an FIU publishes (``tasman money import --xsd``).

goAML's schema is the FIU's own (each FIU extends UNODC's), so Tasman ships none: the user
gives it. ``validate_goaml`` checks a report with xmlschema and returns every element that
does not conform, each with its path (``/report/transaction[2]/amount_local``) and reason.
Guarantee: the report (from outside) is parsed with entities and DTDs refused and no resource
fetched; the XSD may only include or import files beside it (an FIU ships it as several
files), never from the network. A report or XSD that cannot be read is an ``InputError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import xmlschema
from xmlschema import XMLResourceError, XMLSchemaException, XMLSchemaValidationError

from tasman.core.errors import InputError, NotFoundError

MAX_PROBLEMS = 10_000   # a report wrong throughout stops being listed here (the count says so)


@dataclass(frozen=True)
class Nonconformity:
    path: str      # the element, as an XPath from the root: /report/transaction[2]/amount_local
    reason: str    # one line

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class NonConformingError(InputError):
    """A goAML report that does not conform to the given XSD; ``problems`` lists every element."""

    def __init__(self, message: str, problems: list[Nonconformity]) -> None:
        super().__init__(message)
        self.problems = problems


def _line(text: str | None) -> str:
    return " ".join((text or "").split()) or "does not conform"


def _reason(err: XMLSchemaValidationError) -> str:
    """The validator's reason, with the offending value when it does not already say it."""
    reason = _line(err.reason or err.message)
    value = err.obj if isinstance(err.obj, str) else getattr(err.obj, "text", None)
    if isinstance(value, str) and value.strip() and repr(value.strip()) not in reason:
        shown = value.strip()
        reason += f" (found {shown[:60]!r}{'...' if len(shown) > 60 else ''})"
    return reason


def load_xsd(xsd: Path) -> xmlschema.XMLSchema:
    if not xsd.is_file():
        raise NotFoundError(f"no such XSD file {str(xsd)!r}")
    try:
        return xmlschema.XMLSchema(str(xsd), allow="sandbox", defuse="always")
    except (XMLSchemaException, XMLResourceError, OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"{xsd.name!r} is not a usable XML schema: {_line(str(exc)).split(' Schema')[0]}") from None


def validate_goaml(path: Path, xsd: Path) -> list[Nonconformity]:
    """Every element of the report at ``path`` that does not conform to the schema ``xsd``, in
    document order (empty: it conforms)."""
    schema = load_xsd(xsd)
    problems: list[Nonconformity] = []
    try:
        with open(path, "rb") as fh:
            resource = xmlschema.XMLResource(fh, allow="none", defuse="always")
            for err in schema.iter_errors(resource):
                if isinstance(err, XMLSchemaValidationError):
                    problems.append(Nonconformity(err.path or "/", _reason(err)))
                if len(problems) >= MAX_PROBLEMS:
                    break
    except (XMLSchemaException, XMLResourceError, SyntaxError, ValueError) as exc:
        raise InputError(f"{path.name!r} is not readable XML: {_line(str(exc))}") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    return problems
