"""``tasman user``: accounts of the web app and API, their tokens and case memberships."""

from __future__ import annotations

import sys

import click
from rich.console import Console

from tasman.cli.common import TasmanGroup, emit, json_option, state, table
from tasman.serve import accounts
from tasman.serve.roles import Role

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
@json_option
def token(name: str, label: str) -> None:
    """Issue an API token for NAME; it is printed once and stored only as a digest."""
    ws = state().ws()
    with ws.session() as s:
        issued = accounts.issue_token(s, ws.actor, name, label)
        data = {"user": name, "token_id": issued.record.id, "token": issued.token}
    emit(data, lambda con: con.print(issued.token))


@user.command("list")
@json_option
def list_() -> None:
    """List the accounts."""
    ws = state().ws()
    with ws.session() as s:
        rows = [{"name": u.name, "role": u.role, "system": u.system, "active": u.active}
                for u in accounts.list_users(s)]

    def human(con: Console) -> None:
        con.print(table("Users", ["name", "role", "system", "active"],
                        [[r["name"], r["role"], r["system"], r["active"]] for r in rows]))

    emit(rows, human)


@user.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@json_option
def password(name: str, password_stdin: bool) -> None:
    """Set NAME's password (signs the account out everywhere)."""
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
