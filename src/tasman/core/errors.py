"""One error hierarchy for the whole library, each class tied to a documented exit code.

The CLI maps a :class:`TasmanError` to a one-line message and its exit code; anything else is
a bug and gets exit code ``INTERNAL`` (the traceback goes to a log file, never to the terminal).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    INTERNAL = 1
    USAGE = 2
    NOT_FOUND = 3
    ALREADY_EXISTS = 4
    BAD_INPUT = 5
    DATABASE = 6
    INTEGRITY = 7
    PERMISSION = 8
    INTERRUPTED = 130


class TasmanError(Exception):
    """Base of every error a user can cause; ``str(err)`` is the one-line message shown."""

    exit_code: ExitCode = ExitCode.INTERNAL


class NotFoundError(TasmanError):
    exit_code = ExitCode.NOT_FOUND


class AlreadyExistsError(TasmanError):
    exit_code = ExitCode.ALREADY_EXISTS


class InputError(TasmanError):
    """The user's input (a file, a value, an option) cannot be used."""

    exit_code = ExitCode.BAD_INPUT


class LimitError(InputError):
    """The input is over a safety limit (JSON nested too deep, a record too large): refused
    before it is built. The web app answers 422."""


class DatabaseError(TasmanError):
    exit_code = ExitCode.DATABASE


class IntegrityError(TasmanError):
    """Evidence or an audit entry is not what was recorded: a changed file, a broken chain."""

    exit_code = ExitCode.INTEGRITY


class PermissionDeniedError(TasmanError):
    exit_code = ExitCode.PERMISSION


class NothingToDo(InputError):
    """A command has nothing to work on (no evidence to extract from, no records to link, ...).

    Not a failure: the CLI prints the message as a one-line notice and exits 0. The message
    starts with "nothing to VERB:", names what is missing and the command that adds it. A
    subclass of ``InputError`` so that callers that do not know it (the web app) still treat it
    as "the request cannot be done", never as a bug.
    """

    exit_code = ExitCode.OK


def reason(exc: BaseException) -> str:
    """Why ``exc`` happened, on one line, for an error message about the user's input.

    A YAML error gives its problem and where (not PyYAML's multi-line excerpt with a caret), a file
    that is not UTF-8 text says so, an OS error its ``strerror``; anything else its text with every
    line break and run of spaces folded into one space.
    """
    problem, mark = getattr(exc, "problem", None), getattr(exc, "problem_mark", None)
    if problem and mark is not None:
        return f"{problem} at line {mark.line + 1}, column {mark.column + 1}"
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.object[exc.start]:#04x} at position {exc.start})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return " ".join(str(exc).split())
