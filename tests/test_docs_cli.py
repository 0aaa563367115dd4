"""Every `tasman ...` command line in README.md and docs/*.md fits the real command line.

Command lines are taken from indented and fenced code blocks and from inline `tasman ...` spans
(which may wrap). A trailing backslash joins lines, `#` comments are dropped, `&&` chains and
` | ` pipes are split, `[`/`]` around optional parts are ignored, `...` placeholders skipped, and
`a|b` where a command is expected means each of a and b. Each line is resolved against click's own
tree (`tasman.cli.main.cli`): a command or subcommand that does not exist, or an `--option`/`-o`
(also `--opt=value`) that its command does not take, or a value a choice option does not offer,
fails with file:line. Options before the
command belong to the top-level group (`-w`, `--db`, `--json`). Arguments are not checked: most
are placeholders.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import click

from tasman.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
INLINE = re.compile(r"`(tasman\s[^`]+)`")
HELP = {"-h", "--help"}  # click adds these to every command without listing them in params


def commands_in(text: str) -> Iterator[tuple[int, str]]:
    """(line number, command line) of every `tasman ...` in a Markdown text."""
    lines, code, fenced, i = text.splitlines(), set(), False, 0
    while i < len(lines):
        start, line = i + 1, lines[i]
        i += 1
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif fenced or line.startswith("    "):
            code.add(start)
            while line.rstrip().endswith("\\") and i < len(lines):
                line = line.rstrip()[:-1] + " " + lines[i]
                i += 1
                code.add(i)
            line = re.sub(r"(^|\s)#.*", "", line)  # a comment; `SOURCE#ID` is no comment
            for part in re.split(r"\s(?:&&|\|)\s", line):
                if part.split()[:1] == ["tasman"]:
                    yield start, part.strip()
    for m in INLINE.finditer(text):
        start = text.count("\n", 0, m.start()) + 1
        if start not in code:
            for part in m.group(1).replace("\\|", "|").split("&&"):  # `\|` in a table cell
                yield start, " ".join(part.split())


def problem(line: str) -> str | None:
    """Why a documented command line does not fit the CLI, or None when it does."""
    try:
        words = [w.strip("[]") for w in shlex.split(line)]
    except ValueError as exc:
        return f"cannot split: {exc}"
    assert words[0] == "tasman", line
    return _problem(cli, "tasman", [w for w in words[1:] if w])


def _problem(cmd: click.Command, path: str, words: list[str]) -> str | None:
    options = {o: p for p in cmd.params if isinstance(p, click.Option) for o in (*p.opts, *p.secondary_opts)}
    while words:
        word, words = words[0], words[1:]
        if word == "--":
            return None
        if word.startswith("-") and len(word) > 1:
            name, eq, value = word.partition("=")
            option = options.get(name)
            if option is None and name not in HELP:
                return f"`{path}` has no option {name}"
            if option is None or option.is_flag or option.count:
                if eq:
                    return f"`{path}` option {name} takes no value"
                continue
            if not eq:
                value, words = " ".join(words[:option.nargs]), words[option.nargs:]
            choices = getattr(option.type, "choices", None) or ()
            wrong = [v for v in value.split("|") if choices and v and v not in choices and not v.isupper()
                     and "..." not in v]  # `--kind KIND`, `--backend duckdb|spark`
            if wrong:
                return f"`{path}` option {name} has no choice {wrong[0]!r}"
        elif word != "..." and isinstance(cmd, click.Group):
            for name in word.split("|"):  # `export misp|ftm|csv`: each of them
                sub = cmd.get_command(click.Context(cmd), name)
                if sub is None:
                    return f"`{path}` has no command {name!r}"
                if found := _problem(sub, f"{path} {name}", words):
                    return found
            return None
    return None


def documented() -> list[tuple[str, str]]:
    return [(f"{doc.relative_to(ROOT)}:{n}", line)
            for doc in DOCS for n, line in commands_in(doc.read_text(encoding="utf-8"))]


def test_every_documented_command_line_fits_the_cli() -> None:
    found = documented()
    assert len(found) > 100 and any(where.startswith("README.md") for where, _ in found)
    wrong = [f"{where}: {line}\n    -> {why}" for where, line in found if (why := problem(line))]
    assert not wrong, "documented command lines the CLI does not take:\n" + "\n".join(wrong)


def test_every_command_but_serve_takes_json() -> None:
    """The README: "Every command takes `--json` for scripting" (`serve`, a server, prints no result)."""
    def leaves(cmd: click.Command, path: str) -> Iterator[tuple[str, click.Command]]:
        if not isinstance(cmd, click.Group):
            yield path, cmd
            return
        ctx = click.Context(cmd)
        for name in cmd.list_commands(ctx):         # lazy groups load each command here
            sub = cmd.get_command(ctx, name)
            assert sub is not None, f"{path} {name}"
            yield from leaves(sub, f"{path} {name}")

    lacking = [path for path, cmd in leaves(cli, "tasman") if path != "tasman serve"
               and not any("--json" in p.opts for p in cmd.params)]
    assert not lacking, lacking


def test_the_checker_catches_what_the_cli_lacks() -> None:
    text = ("Run\n\n    tasman -w ~/c --json triage EV --case C [--hashset NAME ...] \\\n"
            "        --no-such-thing   # a comment --neither\n"
            "    cd x && tasman link --case=C && tasman subjects list\n\n"
            "then `tasman export misp|fmt\n--case C`, `tasman --bogus init` or `tasman.report`.\n")
    found = list(commands_in(text))
    assert [n for n, _ in found] == [3, 5, 5, 7, 8]
    assert [problem(line) for _, line in found] == [
        "`tasman triage` has no option --no-such-thing", None, "`tasman` has no command 'subjects'",
        "`tasman export` has no command 'fmt'", "`tasman` has no option --bogus"]
    assert problem("tasman refer --case C --out p/ --tlp amber --json -h") is None
    assert problem("tasman link --case C --backend duckdb|spark") is None
    assert problem("tasman link --case C --backend=sparky") == "`tasman link` option --backend has no choice 'sparky'"
    assert problem("tasman evidence add CASE PATH... --custodian X --copy=yes") == \
        "`tasman evidence add` option --copy takes no value"
