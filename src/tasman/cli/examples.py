"""One or two real command lines for each command's ``--help`` (shown under "Example:").

Kept in one place, keyed by the command's path without ``tasman`` ("" is ``tasman`` itself), so
that command modules stay small; ``tasman.cli.lazy`` adds them as the epilog when a command is
loaded. A command whose own docstring has an ``Example:`` (or ``Examples:``) block is not listed here.
tests/cli/test_workbench.py checks that every command shows an example and that each line fits
the command line as it is (the same check as the docs' command lines), so they cannot go stale.
"""

from __future__ import annotations

import re

import click

EXAMPLES: dict[str, tuple[str, ...]] = {
    "": ("tasman init ~/cases/storefront", "tasman -w ~/cases/storefront case create OP-1 --title \"Storefront\""),
    "init": ("tasman init ~/cases/storefront", "tasman --db postgresql://tasman@db/tasman init ~/cases/shared"),
    "case": ("tasman case create OP-1 --title \"Seized storefront\"", "tasman case list"),
    "case create": ("tasman case create OP-1 --title \"Seized storefront\"",),
    "case list": ("tasman case list --json",),
    "evidence": ("tasman evidence add OP-1 /mnt/evidence/laptop.E01 --custodian \"DC Smith\"",
                 "tasman evidence verify OP-1"),
    "evidence add": ("tasman evidence add OP-1 /mnt/evidence/laptop.E01 --custodian \"DC Smith\" --note \"seized\"",),
    "evidence list": ("tasman evidence list OP-1",),
    "evidence verify": ("tasman evidence verify OP-1",),
    "audit": ("tasman audit verify", "tasman audit log --case OP-1 --limit 20"),
    "audit log": ("tasman audit log --case OP-1 --limit 20",),
    "demo": ("tasman demo demo-out",),
    "export": ("tasman export subjects --case OP-1 --out subjects.csv",),
    "export identifiers": ("tasman export identifiers --case OP-1 --out ids.csv --type email --type phone",),
    "export subjects": ("tasman export subjects --case OP-1 --out subjects.csv",),
    "export misp": ("tasman export misp --case OP-1 --out op-1.misp.json --country PH --tlp amber",),
    "export ftm": ("tasman export ftm --case OP-1 --out op-1.ftm.jsonl",),
    "export vics": ("tasman export vics --case OP-1 --out op-1-vics.json",
                    "tasman export vics --hashset partner-vics --out partner-vics.json"),
    "export case": ("tasman export case --case OP-1 --out op-1-triage.jsonld",),
    "export csv": ("tasman export csv --case OP-1 --out op-1-identifiers.csv --country PH",),
    "extract": ("tasman extract --case OP-1", "tasman extract --case OP-1 --region GB --no-records"),
    "hashset": ("tasman hashset import partner-list.json --name partner-vics", "tasman hashset list"),
    "hashset import": ("tasman hashset import partner-list.json --name partner-vics",
                       "tasman hashset import NSRLFile.txt --name nsrl --known-good"),
    "hashset build": ("tasman hashset build /mnt/reference/set-7 --name set-7 --category 1",),
    "hashset fetch": ("tasman hashset fetch partner-pdq --exchange local_file --file signals.txt --category 1",
                      "tasman hashset fetch ncii --exchange stop_ncii",
                      "tasman hashset fetch ncmec-ngo --exchange ncmec --environment NGO",
                      "tasman hashset fetch te-group --exchange fb_threatexchange --privacy-group 1012345"),
    "hashset opinion": ("tasman hashset opinion ncii 0f1e2d3c... --type pdq --false-positive",),
    "hashset list": ("tasman hashset list",),
    "hashset remove": ("tasman hashset remove partner-vics",),
    "hashset formats": ("tasman hashset formats",),
    "triage": ("tasman triage /mnt/evidence/laptop.E01 --case OP-1 --hashset partner-vics",
               "tasman triage /mnt/evidence/usb --case OP-1 --engine ray --ray-address auto"),
    "records": ("tasman records import orders.csv --case OP-1 --kind customers", "tasman records list --case OP-1"),
    "records import": ("tasman records import orders.csv --case OP-1 --kind customers",
                       "tasman records import orders.csv --case OP-1 --kind customers --map orders.mapping.yaml"),
    "records list": ("tasman records list --case OP-1",),
    "link": ("tasman link --case OP-1", "tasman link --case OP-1 --backend spark --spark-master spark://HOST:7077"),
    "link review": ("tasman link review list --case OP-1",
                    "tasman link review accept 7-12 --case OP-1 --note \"same phone\""),
    "link review list": ("tasman link review list --case OP-1 --limit 20",),
    "link review show": ("tasman link review show 7-12 --case OP-1",),
    "link review accept": ("tasman link review accept 7-12 --case OP-1 --note \"same phone on the ID scan\"",),
    "link review reject": ("tasman link review reject 7-13 --case OP-1 --note \"different birth years\"",),
    "subject": ("tasman subject list --case OP-1 --limit 20", "tasman subject show S-000003 --case OP-1"),
    "subject list": ("tasman subject list --case OP-1 --min-records 2 --limit 20",),
    "subject show": ("tasman subject show S-000003 --case OP-1",),
    "subject confirm": ("tasman subject confirm S-000003 --case OP-1 --note \"same phone and address\"",),
    "subject split": ("tasman subject split S-000003 orders.csv#118 --case OP-1 --note \"different person\"",),
    "subject merge": ("tasman subject merge S-000003 S-000017 --case OP-1 --note \"same account\"",),
    "refer": ("tasman refer --case OP-1 --out packages/", "tasman refer --case OP-1 --out packages/ --country PH"),
    "agency": ("tasman agency import partners.yaml", "tasman agency list"),
    "agency add": ("tasman agency add --name \"PH partner unit\" --country PH --age-recipient age1...",),
    "agency import": ("tasman agency import partners.yaml",),
    "agency list": ("tasman agency list",),
    "keys": ("tasman keys generate --agency \"Storefront taskforce\" --country CA", "tasman keys show"),
    "keys generate": ("tasman keys generate --agency \"Storefront taskforce\" --country CA",),
    "keys show": ("tasman keys show",),
    "package": ("tasman package verify OP-1-PH-v1.tasman", "tasman package import OP-1-PH-v1.tasman --case PH-7"),
    "package verify": ("tasman package verify OP-1-PH-v1.tasman",),
    "package open": ("tasman package open OP-1-PH-v1.tasman --key keys/age.key --out received/",),
    "package import": ("tasman package import OP-1-PH-v1.tasman --case PH-7",),
    "package list": ("tasman package list --case OP-1",),
    "package schema": ("tasman package schema --out package.schema.json",),
    "outcome": ("tasman outcome import outcome-PH.json --case OP-1", "tasman outcome list --case OP-1"),
    "outcome report": ("tasman outcome report --case PH-7 --package OP-1-PH-v1 --subject S-000003 "
                       "--status arrested --out outcome-PH.json",),
    "outcome import": ("tasman outcome import outcome-PH.json --case OP-1",),
    "outcome list": ("tasman outcome list --case OP-1",),
    "summary": ("tasman summary --case OP-1 --html summary.html",),
    "money": ("tasman money import fiu-report.xml --case OP-1 --format goaml", "tasman money analyse --case OP-1"),
    "money import": ("tasman money import fiu-report.xml --case OP-1 --format goaml",
                     "tasman money import statement.csv --case OP-1 --format bank-csv --account-holder \"A. Reyes\""),
    "money analyse": ("tasman money analyse --case OP-1", "tasman money analyse --case OP-1 --config money.yaml"),
    "report": ("tasman report --case OP-1", "tasman report --case OP-1 --out op-1-report.html"),
    "serve": ("tasman serve", "tasman serve --host 0.0.0.0 --port 8443 --certfile cert.pem --keyfile key.pem"),
    "user": ("tasman user add alice --role examiner", "tasman user member alice OP-1"),
    "user add": ("tasman user add alice --role examiner", "tasman user add partner-system --role liaison --system"),
    "user token": ("tasman user token partner-system --label \"nightly export\" --scope read --expires-in 30",),
    "user tokens": ("tasman user tokens partner-system",),
    "user revoke-token": ("tasman user revoke-token 12",),
    "user list": ("tasman user list",),
    "user password": ("tasman user password alice",),
    "user disable": ("tasman user disable alice",),
    "user member": ("tasman user member alice OP-1", "tasman user member alice OP-1 --remove"),
    "tip": ("tasman tip list --status new", "tasman tip import T-0001 --case OP-1"),
    "tip list": ("tasman tip list --status new",),
    "tip import": ("tasman tip import T-0001 --case OP-1",),
    "tip rematch": ("tasman tip rematch",),
}


def epilog(lines: tuple[str, ...]) -> str:
    """The "Example:" block, unwrapped (click keeps a paragraph after ``\\b`` as it is)."""
    return "\b\nExample:\n" + "\n".join(f"  {line}" for line in lines)


def add_examples(command: click.Command, path: str) -> None:
    """Give ``command`` (and the subcommands of a plain group) its example, unless it has one."""
    lines = EXAMPLES.get(path)
    if lines and not re.search(r"Examples?:", command.help or "") and not command.epilog:
        command.epilog = epilog(lines)
    if isinstance(command, click.Group) and not hasattr(command, "lazy"):
        for name, sub in command.commands.items():
            add_examples(sub, f"{path} {name}".strip())
