"""``tasman user``: accounts of the web app and API, their tokens and case memberships."""

from __future__ import annotations

import sys
from typing import Any

import click

from tasman.accounts import store as accounts
from tasman.accounts.roles import Role
from tasman.cli.common import Out, TasmanGroup, emit, json_option, state, table

ROLES = click.Choice([r.value for r in Role])


@click.group(cls=TasmanGroup)
def user() -> None:
    """Accounts of the web app and API (roles: admin, examiner, analyst, liaison, auditor)."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@user.command("add")
@click.argument("name")
@click.option("--role", type=ROLES, required=True, help="What the account may do.")
@click.option("--system", is_flag=True, help="A partner system: no password, signs in with API tokens only.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@json_option
def add(name: str, role: str, system: bool, password_stdin: bool) -> None:
    """Create account NAME (asks for a password unless --system)."""
    password = None if system else _read_password(password_stdin)
    ws = state().ws()
    with ws.session() as s:
        u = accounts.create_user(s, ws.actor, name, role, password, system=system)
        data = {"name": u.name, "role": u.role, "system": u.system}
    emit(data, lambda con: con.print(f"Created {'system ' if system else ''}user {name} ({role})"))


@user.command("token")
@click.argument("name")
@click.option("--label", default="", help="What the token is for (shown in listings).")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(accounts.SCOPES), default=accounts.DEFAULT_SCOPES,
              show_default=True, help="What the token may do, on top of the account's role (repeat for several): "
                                      "read (GET), write (any other request), review (an examiner's decision "
                                      "on a match; never for a partner system).")
@click.option("--expires-in", "days", type=click.IntRange(1, accounts.MAX_TOKEN_DAYS), default=accounts.TOKEN_DAYS,
              show_default=True, metavar="DAYS", help=f"Days until it expires (at most {accounts.MAX_TOKEN_DAYS}).")
@click.option("--password-stdin", is_flag=True, help="Read NAME's password from the first line of standard input.")
@json_option
def token(name: str, label: str, scopes: tuple[str, ...], days: int, password_stdin: bool) -> None:
    """Issue an API token for NAME; it is printed once and stored only as a digest.

    A person's token is issued only by that person: NAME's password is asked for. A partner
    system's account (no password) gets its tokens from whoever runs this command.
    """
    ws = state().ws()
    with ws.session() as s:             # an unknown account is said before any password is asked for
        system = accounts.get_user(s, name).system
    secret = None
    if not system:
        secret = (sys.stdin.readline().rstrip("\r\n") if password_stdin
                  else str(click.prompt(f"Password of {name}", hide_input=True)))
    with ws.session() as s:
        issued = accounts.issue_token(s, ws.actor, name, label, scopes=scopes, days=days, password=secret)
        data = {"user": name, "token_id": issued.record.id, "token": issued.token,
                "scopes": issued.record.scopes.split(), "expires_at": issued.record.expires_at.isoformat()}
    emit(data, lambda con: con.print(issued.token, markup=False))


@user.command("tokens")
@click.argument("name", required=False)
@json_option
def tokens(name: str | None) -> None:
    """List the API tokens of NAME (or of every account): never the tokens, only their first characters."""
    ws = state().ws()
    with ws.session() as s:
        names = [name] if name else [u.name for u in accounts.list_users(s)]
        rows: list[dict[str, Any]] = [
            {"id": t.id, "user": n, "prefix": t.prefix, "label": t.label, "scopes": t.scopes.split(),
             "status": accounts.token_status(t), "expires_at": t.expires_at.isoformat(),
             "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None}
            for n in names for t in accounts.list_tokens(s, n)]

    def human(con: Out) -> None:
        con.print(table("API tokens", ["id", "user", "token", "label", "scopes", "status", "expires", "last used"],
                        [[r["id"], r["user"], f"{r['prefix']}…", r["label"], " ".join(r["scopes"]), r["status"],
                          str(r["expires_at"])[:10], str(r["last_used_at"] or "never")[:16]] for r in rows]))

    emit(rows, human)


@user.command("revoke-token")
@click.argument("token_id", metavar="ID", type=click.IntRange(1, 2**31 - 1))
@json_option
def revoke_token(token_id: int) -> None:
    """Revoke API token ID (see 'tasman user tokens'); it stops working at once."""
    ws = state().ws()
    with ws.session() as s:
        tok = accounts.revoke_token(s, ws.actor, token_id)
        data = {"token_id": tok.id, "revoked": True}
    emit(data, lambda con: con.print(f"Revoked token {token_id}", markup=False))


@user.command("list")
@json_option
def list_() -> None:
    """List the accounts."""
    ws = state().ws()
    with ws.session() as s:
        rows = [{"name": u.name, "role": u.role, "system": u.system, "active": u.active}
                for u in accounts.list_users(s)]

    def human(con: Out) -> None:
        con.print(table("Users", ["name", "role", "system", "active"],
                        [[r["name"], r["role"], r["system"], r["active"]] for r in rows]))

    emit(rows, human)


@user.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@json_option
def password(name: str, password_stdin: bool) -> None:
    """Set NAME's password (signs the account out everywhere and revokes all its API tokens)."""
    ws = state().ws()
    with ws.session() as s:             # an unknown account is said before any password is asked for
        accounts.get_user(s, name)
    new = _read_password(password_stdin)
    with ws.session() as s:
        accounts.set_password(s, ws.actor, name, new)
    emit({"name": name, "password_changed": True}, lambda con: con.print(f"Password of {name} changed", markup=False))


@user.command("disable")
@click.argument("name")
@json_option
def disable(name: str) -> None:
    """Disable account NAME: its sessions end and its tokens stop working."""
    ws = state().ws()
    with ws.session() as s:
        accounts.set_active(s, ws.actor, name, False)
    emit({"name": name, "active": False}, lambda con: con.print(f"Disabled {name}", markup=False))


@user.command("member")
@click.argument("name")
@click.argument("case_ref", metavar="CASE")
@click.option("--remove", is_flag=True, help="Remove the membership instead.")
@json_option
def member(name: str, case_ref: str, remove: bool) -> None:
    """Make NAME a member of CASE (only members see a case's data)."""
    ws = state().ws()
    with ws.session() as s:
        if remove:
            accounts.remove_member(s, ws.actor, case_ref, name)
        else:
            accounts.add_member(s, ws.actor, case_ref, name)
    emit({"name": name, "case": case_ref, "member": not remove},
         lambda con: con.print(f"{name} {'removed from' if remove else 'is a member of'} {case_ref}", markup=False))
