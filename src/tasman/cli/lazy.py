"""Command groups that import a command's module only when that command is used.

Click's documented "lazily loading subcommands" pattern: the group knows each command's name,
its short help and where it lives (``"module:attr"``), and imports the module only when the
command runs or its own ``--help`` is shown. ``tasman --help`` lists every command from the
registry alone, so it (and ``tasman case list``) starts without importing Splink, DuckDB,
FollowTheMoney, PyMISP or the web app. A command with no short help is hidden (a deprecated alias).
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from tasman.cli.common import TasmanGroup
from tasman.cli.examples import add_examples


class LazyGroup(TasmanGroup):
    """A group whose subcommands are ``name -> ("module:attr", short help)`` until first used.

    Entries named ``"group sub"`` belong to subgroup ``group`` and are handed to it when it is
    loaded (a group hanging on this one must be a ``LazyGroup`` too).
    """

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str | None]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, tuple[str, str | None]] = dict(lazy or {})
        self.path = ""           # this group's path below ``tasman`` ("" for tasman itself), for the examples

    def _own(self) -> dict[str, tuple[str, str | None]]:
        return {k: v for k, v in self.lazy.items() if " " not in k}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._own()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self._own():
            self._load(cmd_name)
        return super().get_command(ctx, cmd_name)

    def _load(self, name: str) -> None:
        module, _, attr = self.lazy[name][0].partition(":")
        command = getattr(importlib.import_module(module), attr)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.lazy[name][0]} is not a click command")
        prefix = f"{name} "
        children = {k[len(prefix):]: v for k, v in self.lazy.items() if k.startswith(prefix)}
        if children:
            if not isinstance(command, LazyGroup):
                raise TypeError(f"{self.lazy[name][0]} has lazy subcommands but is no LazyGroup")
            command.lazy.update(children)
        if isinstance(command, LazyGroup):
            command.path = f"{self.path} {name}".strip()
        add_examples(command, f"{self.path} {name}".strip())
        if self.lazy[name][1] is not None:     # the registry is what `--help` lists, loaded or not
            command.short_help = self.lazy[name][1]
        self.add_command(command, name)

    def registry_help(self, name: str) -> str | None:
        """The registry's short help of ``name`` (None: hidden), without importing it."""
        return self.lazy[name][1]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Like click's, but commands not yet loaded are listed from the registry (not imported)."""
        rows: list[tuple[str, str]] = []
        for name in self.list_commands(ctx):
            loaded = self.commands.get(name)
            if loaded is not None:
                if not loaded.hidden:
                    rows.append((name, loaded.get_short_help_str(formatter.width)))
            elif (text := self.registry_help(name)) is not None:
                rows.append((name, text))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
