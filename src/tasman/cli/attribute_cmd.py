"""``tasman attribute`` and ``tasman attribution show``: countries for subjects, with reasons."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console

from tasman.attribute import attribute_case, load_weights, make_env, show
from tasman.cli.common import TasmanGroup, emit, json_option, state, table
from tasman.cli.say import say

_file = click.Path(path_type=Path, dir_okay=False)


@click.command("attribute")
@click.option("--case", "case_ref", required=True, help="The case whose subjects to attribute.")
@click.option("--weights", "weights_path", type=_file, help="YAML overriding the default weights (docs/attribute.md).")
@click.option("--mmdb", type=_file, help="A MaxMind-format .mmdb to geolocate IPs (default: geoip2fast's data).")
@click.option("--tor-exits", type=_file, help="Tor exit addresses, one IP or CIDR a line: they carry no weight.")
@click.option("--vpn-ranges", type=_file, help="VPN ranges, one IP or CIDR a line: they carry no weight.")
@json_option
def attribute(case_ref: str, weights_path: Path | None, mmdb: Path | None, tor_exits: Path | None,
              vpn_ranges: Path | None) -> None:
    """Rank candidate countries for every subject of a case and set each subject's country."""
    weights = load_weights(weights_path)
    env = make_env(mmdb, tor_exits, vpn_ranges)
    ws = state().ws()
    with ws.session() as s:
        summary = attribute_case(s, ws.actor, case_ref, weights, env)
    data = {"run": summary.run_id, "subjects": summary.subjects, "attributed": summary.attributed,
            "conflicts": summary.conflicts, "by_country": summary.by_country}

    def human(con: Console) -> None:
        say(con, f"Attributed {summary.attributed} of {summary.subjects} subjects of {case_ref} "
                  f"({summary.conflicts} with conflicting signals); run {summary.run_id}")
        if summary.by_country:
            con.print(table(None, ["country", "subjects"], sorted(summary.by_country.items())))

    emit(data, human)


@click.group(cls=TasmanGroup)
def attribution() -> None:
    """Show attribution results."""


@attribution.command("show")
@click.option("--case", "case_ref", required=True)
@click.argument("subject", required=False)
@json_option
def show_cmd(case_ref: str, subject: str | None) -> None:
    """List subjects with their country, confidence and candidates; with SUBJECT, every reason."""
    ws = state().ws()
    with ws.session() as s:
        data = show(s, ws.actor, case_ref, subject)

    def human(con: Console) -> None:
        rows = data["subjects"]
        if subject is None:
            con.print(table(f"Attribution of {case_ref} (run {data['run']})",
                            ["subject", "name", "country", "confidence", "conflict", "candidates"],
                            [[r["subject"], r["name"], r["country"] or "-", _conf(r["confidence"]),
                              "yes" if r["conflict"] else "", _cands(r["ranked"])] for r in rows]))
            return
        r = rows[0]
        say(con, f"{r['subject']} {r['name']}: {r['country'] or 'no country'} "
                  f"(confidence {_conf(r['confidence'])}){'  CONFLICTING SIGNALS' if r['conflict'] else ''}")
        for c in r["ranked"]:
            say(con, f"  #{c['rank']} {c['country']}  score {c['score']:.2f}  confidence {c['confidence']:.2f}")
            for reason in c["reasons"]:
                say(con, f"      +{reason['points']:.2f} {reason['detail']}  [{', '.join(reason['sources'])}]")
        for n in r["ignored"]:
            say(con, f"  no weight: {n['signal']} {n['value']}: {n['why']}  [{', '.join(n['sources'])}]")

    emit(data, human)


def _conf(v: Any) -> str:
    return "-" if v is None else f"{v:.2f}"


def _cands(ranked: list[dict[str, Any]]) -> str:
    return ", ".join(f"{c['country']} {c['score']:.1f}" for c in ranked[:4]) + (" ..." if len(ranked) > 4 else "")
