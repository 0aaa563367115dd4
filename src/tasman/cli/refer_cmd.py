"""``tasman refer``, ``tasman agency``, ``tasman keys`` and ``tasman package``."""

from __future__ import annotations

import json
from pathlib import Path

import click
import yaml
from sqlalchemy.orm import Session

from tasman.cli.common import Out, TasmanGroup, emit, json_option, plural, progress, state, table
from tasman.cli.say import say
from tasman.core.errors import NotFoundError
from tasman.core.workspace import Workspace
from tasman.refer import agencies, keys
from tasman.refer.document import TLPS, schema
from tasman.refer.outcomes import outcome_schema
from tasman.refer.service import import_package, list_packages, open_to, refer_case, verify

_file = click.Path(path_type=Path, dir_okay=False)
_dir = click.Path(path_type=Path, file_okay=False)


def _maybe_ws() -> Workspace | None:
    """Verify and open work without a workspace; with one, the directory says whose key signed."""
    try:
        return state().ws()
    except NotFoundError:
        return None


@click.command("refer")
@click.option("--case", "case_ref", required=True)
@click.option("--out", "out_dir", type=_dir, required=True, help="Folder for the package files.")
@click.option("--tlp", type=click.Choice(TLPS), default="amber", show_default=True)
@click.option("--country", "countries", multiple=True, help="Only these countries (repeatable).")
@click.option("--min-confidence", type=click.FloatRange(0.0, 1.0), default=0.0, show_default=True,
              help="Leave out subjects attributed with less confidence.")
@json_option
def refer(case_ref: str, out_dir: Path, tlp: str, countries: tuple[str, ...], min_confidence: float) -> None:
    """Build one signed, encrypted package per country for the agency that serves it."""
    ws = state().ws()
    local = keys.load(ws.root)
    with ws.session() as s, progress("refer") as tick:
        summary = refer_case(s, ws.actor, case_ref, out_dir, local, tlp, list(countries) or None, min_confidence,
                             progress=tick)
    data = {"built": summary.built, "unchanged": summary.unchanged, "skipped": summary.skipped,
            "unattributed": summary.unattributed}

    def human(con: Out) -> None:
        if summary.built:
            con.print(table(f"Packages built for {case_ref}", ["package", "agency", "subjects", "money parties",
                                                                 "file"],
                            [[b["package_id"], b["agency"], b["subjects"], b["money_parties"], b["file"]]
                             for b in summary.built]))
        for u in summary.unchanged:
            say(con, f"{u['country']}: unchanged since {u['package_id']}; no new version")
        for sk in summary.skipped:
            say(con, f"{sk['country']}: skipped: {sk['why']}")
        if summary.unattributed:
            n = len(summary.unattributed)
            say(con, f"{plural(n, 'subject')} {'has' if n == 1 else 'have'} no country and "
                     f"{'was' if n == 1 else 'were'} not referred")

    emit(data, human)


@click.group(cls=TasmanGroup)
def agency() -> None:
    """The agency directory: who serves which country, and their public keys."""


@agency.command("add")
@click.option("--name", required=True)
@click.option("--country", "countries", multiple=True, required=True, help="ISO code or name (repeatable).")
@click.option("--age-recipient", required=True, help="The agency's age public key (age1...).")
@click.option("--signing-key", default="", help="The agency's Ed25519 public key (base64), to verify its outcomes.")
@click.option("--contact", default="")
@click.option("--replace", is_flag=True, help="Replace an existing entry of that name.")
@json_option
def agency_add(name: str, countries: tuple[str, ...], age_recipient: str, signing_key: str, contact: str,
               replace: bool) -> None:
    """Add an agency to the directory."""
    ws = state().ws()
    with ws.session() as s:
        row = agencies.as_entry(agencies.add_agency(s, ws.actor, name, list(countries), age_recipient, signing_key,
                                                    contact, replace))
    emit(row, lambda con: say(con, f"Added {row['name']} for {', '.join(row['countries'])}"))


@agency.command("import")
@click.argument("file", type=_file)
@click.option("--replace", is_flag=True, help="Replace existing entries of the same names.")
@json_option
def agency_import(file: Path, replace: bool) -> None:
    """Add the agencies of a directory YAML file (or one identity.yaml)."""
    ws = state().ws()
    with ws.session() as s:
        rows = [agencies.as_entry(a) for a in agencies.import_directory(s, ws.actor, file, replace)]
    emit(rows, lambda con: say(con, f"Added {plural(len(rows), 'agency', 'agencies')}: "
                                    f"{', '.join(r['name'] for r in rows)}"))


@agency.command("list")
@json_option
def agency_list() -> None:
    """List the directory."""
    ws = state().ws()
    with ws.session() as s:
        rows = [agencies.as_entry(a) for a in agencies.list_agencies(s)]
    emit(rows, lambda con: con.print(table("Agencies", ["name", "countries", "contact", "signing key"],
                                           [[r["name"], ",".join(r["countries"]), r["contact"],
                                             r["fingerprint"] or "-"] for r in rows])))


@click.group(cls=TasmanGroup, name="keys")
def keys_group() -> None:
    """This agency's signing key and age identity (kept in WORKSPACE/keys, mode 0600)."""


@keys_group.command("generate")
@click.option("--agency", "name", required=True, help="This agency's name, as partners will see it.")
@click.option("--country", "countries", multiple=True, help="Countries this agency serves (repeatable).")
@click.option("--contact", default="")
@json_option
def keys_generate(name: str, countries: tuple[str, ...], contact: str) -> None:
    """Create the Ed25519 signing key and the age identity; never overwrites existing keys."""
    ws = state().ws()
    ccs = agencies.parse_countries(list(countries)) if countries else []
    local = keys.generate(ws.root, name, ccs, contact)
    entry = local.entry()
    with ws.session() as s:
        from tasman.core import audit

        audit.record(s, ws.actor, "keys.generate", target=name, fingerprint=local.fingerprint)
    emit({**entry, "fingerprint": local.fingerprint, "folder": str(ws.root / keys.KEYS_DIR)},
         lambda con: say(con, f"Keys for {name} in {ws.root / keys.KEYS_DIR} (fingerprint {local.fingerprint}).\n"
                               f"Give partners {ws.root / keys.KEYS_DIR / keys.IDENTITY_FILE} for their directory."))


@keys_group.command("show")
@json_option
def keys_show() -> None:
    """Print this agency's public directory entry (YAML)."""
    ws = state().ws()
    local = keys.load(ws.root)
    entry = local.entry()
    emit({**entry, "fingerprint": local.fingerprint},
         lambda con: click.echo(yaml.safe_dump(entry, sort_keys=False), nl=False))


@click.group(cls=TasmanGroup)
def package() -> None:
    """Verify, open and import referral packages; print their JSON Schema."""


def _with_session(ws: Workspace | None, fn):  # type: ignore[no-untyped-def]
    if ws is None:
        return fn(None, "anonymous")
    s: Session
    with ws.session() as s:
        return fn(s, ws.actor)


@package.command("verify")
@click.argument("file", type=_file)
@json_option
def package_verify(file: Path) -> None:
    """Check the signature and digests and say who signed (exit 7 if anything changed).

    Needs no key. Anything a Tasman package does not hold (another member, a compressed or
    oversized one, deep JSON, a hostile package id) is refused before it is inflated: see
    docs/refer.md, "What verify, open and import refuse"."""
    data = _with_session(_maybe_ws(), lambda s, actor: verify(s, actor, file))
    emit(data, lambda con: say(con, _who(data)))


def _who(d: dict[str, object]) -> str:
    known = {True: "a key in the agency directory", False: "a key NOT in the agency directory",
             None: "(no workspace: directory not checked)"}[d["known"]]  # type: ignore[index]
    return (f"OK: {d['package_id']} (TLP:{str(d['tlp']).upper()}, for {d['recipient']}) signed by {d['signer']} "
            f"with {known}, fingerprint {d['fingerprint']}")


@package.command("open")
@click.argument("file", type=_file)
@click.option("--key", "key_file", type=_file, required=True, help="The recipient's age identity file.")
@click.option("--out", "out_dir", type=_dir, required=True,
              help="Folder to open into; the package goes to a new folder OUT/PACKAGE_ID/.")
@click.option("--allow-unknown-sender", is_flag=True,
              help="Open even when the signing key is not in the agency directory, or there is no workspace "
                   "to check it against (refused by default, exit 7).")
@json_option
def package_open(file: Path, key_file: Path, out_dir: Path, allow_unknown_sender: bool) -> None:
    """Verify, decrypt and write package.json, the dossier and the manifest to OUT/PACKAGE_ID/.

    A package that is not exactly what Tasman builds (an unknown or climbing member name, a link,
    a hostile package id, a size over the limits) is refused before anything is written; nothing
    is ever written outside OUT/PACKAGE_ID/ and no existing file is overwritten."""
    ident = keys.read_age_identity(key_file)
    data = _with_session(_maybe_ws(), lambda s, actor: open_to(s, actor, file, ident, out_dir,
                                                               allow_unknown_sender))
    emit(data, lambda con: say(con, f"{_who(data)}\nOpened {plural(data['subjects'], 'subject')} into {data['out']}"))


@package.command("import")
@click.argument("file", type=_file)
@click.option("--case", "case_ref", required=True, help="Our case to load it into.")
@click.option("--key", "key_file", type=_file, help="Our age identity (default: WORKSPACE/keys/age.key).")
@click.option("--allow-unknown-sender", is_flag=True,
              help="Import even when the signing key is not in the agency directory (refused by default, exit 7).")
@json_option
def package_import(file: Path, case_ref: str, key_file: Path | None, allow_unknown_sender: bool) -> None:
    """Load a received package into our own case, keeping the sender's references."""
    ws = state().ws()
    ident = keys.read_age_identity(key_file or ws.root / keys.KEYS_DIR / keys.AGE_FILE)
    with ws.session() as s:
        data = import_package(s, ws.actor, case_ref, file, ident, allow_unknown_sender)
    emit(data, lambda con: say(con, f"{_who(data)}\nImported {plural(data['subjects'], 'subject')} "
                                     f"({plural(data['records_added'], 'record')}) and "
                                     f"{plural(data['money_parties'], 'money-trail party', 'money-trail parties')} "
                                     f"into {case_ref}"))


@package.command("list")
@click.option("--case", "case_ref", required=True)
@json_option
def package_list(case_ref: str) -> None:
    """Packages built for a case, every version."""
    ws = state().ws()
    with ws.session() as s:
        rows = [{"package_id": p.package_id, "country": p.country, "version": p.version, "agency": p.agency,
                 "tlp": p.tlp, "subjects": len(p.subjects), "file": p.file_name, "sha256": p.file_sha256,
                 "created_at": p.created_at.isoformat()} for p in list_packages(s, ws.actor, case_ref)]
    cols = ["package", "agency", "tlp", "subjects", "created"]
    emit(rows, lambda con: con.print(table(f"Packages of {case_ref}", cols,
                                           [[r["package_id"], r["agency"], r["tlp"], r["subjects"],
                                             str(r["created_at"])[:19]] for r in rows])))


@package.command("schema")
@click.option("--outcome", is_flag=True, help="The outcome report's schema instead of the package's.")
@click.option("--out", "out_file", type=_file, help="Write to a file instead of standard output.")
@json_option
def package_schema(outcome: bool, out_file: Path | None) -> None:
    """Print the JSON Schema of the package document (docs/schemas/ holds the published copy).

    With --out the schema goes to FILE and the command says which file it wrote (with --json:
    {"schema": "package" or "outcome", "file": FILE})."""
    which = "outcome" if outcome else "package"
    text = json.dumps(outcome_schema() if outcome else schema(), indent=2, sort_keys=True) + "\n"
    if out_file:
        out_file.write_text(text, encoding="utf-8")
        emit({"schema": which, "file": str(out_file)},
             lambda con: say(con, f"Wrote the {which} schema to {out_file}"))
    else:
        click.echo(text, nl=False)
