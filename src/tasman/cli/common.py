"""What every command shares: the workspace it acts on, ``--json`` output, errors, progress.

Human output goes to a terminal as Rich renders it. Output that is not a terminal (a pipe, a
file) never wraps or cuts a line: no width limit, and each table is written as tab-separated
lines (``# title``, a header line, one line per row; a tab or line break inside a value becomes a
space), so ``tasman subject list --case C | cut -f1`` works. Progress bars are drawn only on a
terminal, never with ``--json``.

Imports are light (no workspace, database or Rich at import time) so that ``tasman --help`` and
the lazy command registry in ``tasman.cli.main`` start fast. Output that is no terminal imports Rich
only for what Rich would change (markup, emoji codes, tabs, Rich renderables): a table or plain
text is written as it is (:class:`PlainConsole`), so ``tasman case list | ...`` starts without it.
"""

from __future__ import annotations

import errno
import json
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import click

from tasman.core.errors import ExitCode, NothingToDo, TasmanError, reason
from tasman.core.progress import StageResult
from tasman.core.progress import Table as ResultTable
from tasman.core.progress import plural as plural  # the commands' one rule for counted words

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult
    from rich.table import Table

    from tasman.core.workspace import Workspace

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class State:
    workspace_dir: Path | None = None
    db_url: str | None = None
    user: str | None = None
    json: bool = False
    _ws: Workspace | None = field(default=None, repr=False)

    def ws(self) -> Workspace:
        if self._ws is None:
            from tasman.core.workspace import Workspace

            self._ws = Workspace.open(self.workspace_dir, self.db_url, self.user)
        return self._ws

    def close(self) -> None:
        if self._ws is not None:
            self._ws.close()
            self._ws = None


def state() -> State:
    return click.get_current_context().ensure_object(State)


def _set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.ensure_object(State).json = True
    return value


def json_option(f: F) -> F:
    """``--json`` accepted after any command as well as before it."""
    return click.option("--json", "json_", is_flag=True, expose_value=False, callback=_set_json,
                        is_eager=True, help="Print machine-readable JSON.")(f)


UNLIMITED = 1_000_000  # the width of a console that is no terminal: lines are never wrapped or cut


class Out(Protocol):
    """What a command's human output is written to: a Rich console on a terminal, else a
    :class:`PlainConsole` (both print the same text where there is no terminal)."""

    @property
    def is_terminal(self) -> bool: ...

    def print(self, *objects: Any, sep: str = " ", end: str = "\n", markup: bool | None = None,
              highlight: bool | None = None, soft_wrap: bool | None = None) -> None: ...


def _rich_console(stderr: bool) -> Console:
    from rich.console import Console

    con = Console(stderr=stderr)
    if con.is_terminal:
        return con
    return Console(stderr=stderr, width=UNLIMITED, soft_wrap=True)


def _no_terminal(stderr: bool) -> bool:
    """True when Rich would find no terminal either (it is asked whenever this is unsure)."""
    if "FORCE_COLOR" in os.environ or "TTY_COMPATIBLE" in os.environ:
        return False
    try:
        return not (sys.stderr if stderr else sys.stdout).isatty()
    except (AttributeError, ValueError):     # no isatty, or a closed file: as Rich, no terminal
        return True


_EMOJI_CODE = re.compile(r":\S*?:")   # what Rich might read as an emoji code (:smile:)


class PlainConsole:
    """Human output that is no terminal, without importing Rich where Rich would change nothing.

    A :class:`PlainTable` is written as its tab-separated lines and printable text without markup
    or emoji codes as it is, exactly as Rich writes them there (no width, no wrapping); anything
    else (markup, tabs, line breaks, a Rich renderable, other options) is handed to a Rich console
    with no width limit, made on first need. The file is looked up at each print (a test's runner
    swaps ``sys.stdout``)."""

    is_terminal = False
    _PLAIN_OPTIONS = frozenset({"markup", "highlight", "soft_wrap", "sep", "end"})

    def __init__(self, stderr: bool = False) -> None:
        self.stderr = stderr
        self._rich: Console | None = None

    def _text(self, obj: object, markup: bool | None) -> str | None:
        """How ``obj`` reads where there is no terminal, or None where Rich has to say."""
        if isinstance(obj, PlainTable):
            return "\n".join(obj.lines())
        if (isinstance(obj, str) and obj.isprintable() and not _EMOJI_CODE.search(obj)
                and (markup is False or "[" not in obj)):
            return obj
        return None

    def print(self, *objects: Any, **kwargs: Any) -> None:
        if set(kwargs) <= self._PLAIN_OPTIONS:
            texts = [self._text(o, kwargs.get("markup")) for o in objects]
            if all(t is not None for t in texts):
                file = sys.stderr if self.stderr else sys.stdout
                file.write(str(kwargs.get("sep", " ")).join(t for t in texts if t is not None)
                           + str(kwargs.get("end", "\n")))
                file.flush()
                return
        if self._rich is None:
            self._rich = _rich_console(self.stderr)
        self._rich.print(*objects, **kwargs)


def console(stderr: bool = False) -> Out:
    """The console for human output: a terminal's own width, else no width limit and no wrapping
    (and no Rich imported unless what is printed needs it)."""
    if _no_terminal(stderr):
        return PlainConsole(stderr)
    return _rich_console(stderr)


def emit(data: Any, human: Callable[[Out], None]) -> None:
    """Print ``data`` as JSON when ``--json`` was given, else let ``human`` render it."""
    if state().json:
        click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))
    else:
        human(console())


def emit_result(result: StageResult) -> None:
    """A stage run's result: its ``as_dict()`` with ``--json``, else its own lines (text never
    read as markup) and tables."""
    def human(con: Out) -> None:
        for line in result.lines():
            if isinstance(line, ResultTable):
                con.print(table(line.title, line.headers, line.rows))
            else:
                con.print(line, markup=False)

    emit(result.as_dict(), human)


class PlainTable:
    """A table that is a Rich table on a terminal and tab-separated lines elsewhere (never cut)."""

    def __init__(self, title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        self.title, self.columns = title, list(columns)
        self.rows = [["" if v is None else str(v) for v in r] for r in rows]

    def rich(self) -> Table:
        from rich.table import Table

        t = Table(title=self.title, show_lines=False)
        for c in self.columns:
            t.add_column(c)
        for r in self.rows:
            t.add_row(*r)
        return t

    def lines(self) -> list[str]:
        def cells(values: Sequence[str]) -> str:
            return "\t".join(" ".join(v.replace("\t", " ").splitlines()) for v in values)

        return ([f"# {self.title}"] if self.title else []) + [cells(self.columns)] + [cells(r) for r in self.rows]

    def __rich_console__(self, con: Console, options: ConsoleOptions) -> RenderResult:
        if con.is_terminal:
            yield self.rich()
            return
        from rich.segment import Segment

        for line in self.lines():        # segments are written as they are: tabs kept, nothing wrapped
            yield Segment(line + "\n")


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> PlainTable:
    return PlainTable(title, columns, rows)


@contextmanager
def byte_progress(description: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr for long reads; silent when stderr is no terminal or with --json."""
    if state().json or _no_terminal(stderr=True):
        yield lambda _n: None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    con = _rich_console(stderr=True)
    if not con.is_terminal:
        yield lambda _n: None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                  console=con, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


class Ticker:
    """What a command hands a stage's progress hook: ``done`` of ``total`` (None: not known yet)
    and a short detail; ``stage(name)`` for hooks that name the step they are in."""

    def __init__(self, update: Callable[..., None] | None) -> None:
        self._update = update

    @property
    def shown(self) -> bool:
        """Whether anything is drawn (a terminal, no --json): work that only feeds the bar can be skipped."""
        return self._update is not None

    def __call__(self, done: int, total: int | None = None, detail: str = "") -> None:
        if self._update is not None:
            self._update(completed=done, total=total, detail=detail)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if self._update is not None:
            self._update(detail=name)
        yield


@contextmanager
def progress(label: str) -> Iterator[Ticker]:
    """A progress bar on stderr (spinner, label, bar, done/total, detail, elapsed) while a stage
    runs; on a terminal only: never with --json or when stderr is piped (the ticker does nothing)."""
    if state().json or _no_terminal(stderr=True):
        yield Ticker(None)
        return
    con = _rich_console(stderr=True)
    if not con.is_terminal:
        yield Ticker(None)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn(label), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[detail]}"), TimeElapsedColumn(), console=con, transient=True) as bar:
        task = bar.add_task(label, total=None, detail="")
        yield Ticker(lambda **kw: bar.update(task, **kw))


def fail(message: str, code: int) -> None:
    """Print ``message`` as one line (any line breaks in it folded into spaces) and exit with ``code``."""
    line = " ".join(message.split())
    click.echo(f"tasman: error: {line}", err=True)
    raise SystemExit(code)


def nothing_to_do(message: str) -> None:
    """The one rule for a command with nothing to work on: one line saying what is missing, exit 0.

    With ``--json`` the line is ``{"nothing_to_do": MESSAGE}``, so a script always reads JSON."""
    line = " ".join(message.split())
    if state().json:
        click.echo(json.dumps({"nothing_to_do": line}, ensure_ascii=False))
    else:
        click.echo(line)
    raise SystemExit(int(ExitCode.OK))


def _os_error_code(exc: OSError) -> ExitCode:
    if isinstance(exc, PermissionError) or exc.errno == errno.EROFS:
        return ExitCode.PERMISSION
    if isinstance(exc, FileNotFoundError):
        return ExitCode.NOT_FOUND
    return ExitCode.BAD_INPUT


class TasmanGroup(click.Group):
    """Maps library errors to one line and an exit code; a bug is logged, never shown as a traceback.

    An ``OSError`` about a path (an output folder that is missing or read-only, a disk that is full)
    is the user's to fix, not a bug: it gets one line naming the path, and exit code 8 (permission),
    3 (missing) or 5.
    """

    def resolve_command(self, ctx: click.Context,
                        args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None and not isinstance(command, click.Group):
            from tasman.cli import startup

            startup.resume()     # the command is imported: its work runs with the collector on
        return name, command, rest

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NothingToDo as exc:
            nothing_to_do(str(exc))
        except TasmanError as exc:
            fail(str(exc), int(exc.exit_code))
        except KeyboardInterrupt:
            fail("interrupted; finished work is kept, run the command again to resume", int(ExitCode.INTERRUPTED))
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except Exception as exc:
            if isinstance(exc, OSError) and exc.filename is not None:
                # a file or folder the user named cannot be read or written: a missing or read-only
                # output folder, a full disk, a file where a folder is needed (an OSError about no
                # path is a bug, or the machine: logged below like any other)
                fail(f"{exc.filename}: {reason(exc)}", int(_os_error_code(exc)))
            log = _log_crash()
            fail(f"internal error ({type(exc).__name__}: {exc}); details in {log}", int(ExitCode.INTERNAL))
        finally:
            if ctx.parent is None and isinstance(ctx.obj, State):
                from tasman.core.interrupts import sigint_ignored

                with sigint_ignored():    # a Ctrl-C while the connections close: no traceback, no "Aborted!"
                    ctx.obj.close()
        return None


def _log_crash() -> Path:
    import tempfile
    import time

    path = Path(tempfile.gettempdir()) / f"tasman-crash-{time.strftime('%Y%m%d-%H%M%S')}.log"
    path.write_text("".join(traceback.format_exception(*sys.exc_info())), encoding="utf-8")
    return path
