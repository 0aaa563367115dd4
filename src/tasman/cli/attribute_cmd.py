"""``tasman attribute`` and ``tasman attribute show``: countries for subjects, with reasons.

``tasman attribution show`` is kept as a hidden, deprecated alias that says so on stderr.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from tasman.attribute import attribute_case, load_weights, make_env, show
from tasman.cli.common import Out, TasmanGroup, emit, json_option, plural, progress, state, table
from tasman.cli.say import say

_file = click.Path(path_type=Path, dir_okay=False)


@click.group("attribute", cls=TasmanGroup, invoke_without_command=True)
@click.option("--case", "case_ref", help="The case whose subjects to attribute (required without a subcommand).")
@click.option("--weights", "weights_path", type=_file, help="YAML overriding the default weights (docs/attribute.md).")
@click.option("--mmdb", type=_file, help="A MaxMind-format .mmdb to geolocate IPs (default: geoip2fast's data).")
@click.option("--tor-exits", type=_file, help="Tor exit addresses, one IP or CIDR a line: they carry no weight.")
@click.option("--vpn-ranges", type=_file, help="VPN ranges, one IP or CIDR a line: they carry no weight.")
@json_option
@click.pass_context
def attribute(ctx: click.Context, case_ref: str | None, weights_path: Path | None, mmdb: Path | None,
              tor_exits: Path | None, vpn_ranges: Path | None) -> None:
    """Rank candidate countries for every subject of a case and set each subject's country;
    'tasman attribute show' lists the result with its reasons.

    \b
    Example:
      tasman attribute --case OP-1 --tor-exits tor-exits.txt
      tasman attribute show --case OP-1 S-000003
    """
    if ctx.invoked_subcommand is not None:
        given = [p.opts[0] for p in ctx.command.params if p.name != "json_" and ctx.params.get(p.name or "")]
        if given:
            raise click.UsageError(f"{', '.join(given)} apply to 'tasman attribute' itself, not to "
                                   f"'tasman attribute {ctx.invoked_subcommand}'")
        return
    if case_ref is None:
        raise click.UsageError("Missing option '--case'.")
    weights = load_weights(weights_path)
    env = make_env(mmdb, tor_exits, vpn_ranges)
    ws = state().ws()
    with ws.session() as s, progress("attribute") as tick:
        summary = attribute_case(s, ws.actor, case_ref, weights, env, progress=tick)
    data = {"run": summary.run_id, "subjects": summary.subjects, "attributed": summary.attributed,
            "conflicts": summary.conflicts, "by_country": summary.by_country}

    def human(con: Out) -> None:
        say(con, f"Attributed {summary.attributed} of {plural(summary.subjects, 'subject')} of {case_ref} "
                 f"({summary.conflicts} with conflicting signals); run {summary.run_id}")
        if summary.by_country:
            con.print(table(None, ["country", "subjects"], sorted(summary.by_country.items())))

    emit(data, human)


@click.group(cls=TasmanGroup, hidden=True)
def attribution() -> None:
    """Deprecated: 'tasman attribute show' (this name goes away in a later release)."""
    click.echo("tasman: note: 'tasman attribution' is now 'tasman attribute'; 'attribution' will be removed",
               err=True)


@attribute.command("show")
@click.option("--case", "case_ref", required=True, help="The case.")
@click.argument("subject", required=False)
@json_option
def show_cmd(case_ref: str, subject: str | None) -> None:
    """List subjects with their country, confidence and candidates; with SUBJECT, every reason.

    \b
    Example:
      tasman attribute show --case OP-1
      tasman attribute show --case OP-1 S-000003 --json
    """
    ws = state().ws()
    with ws.session() as s:
        data = show(s, ws.actor, case_ref, subject)

    def human(con: Out) -> None:
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


attribution.add_command(show_cmd)


def _conf(v: Any) -> str:
    return "-" if v is None else f"{v:.2f}"


def _cands(ranked: list[dict[str, Any]]) -> str:
    return ", ".join(f"{c['country']} {c['score']:.1f}" for c in ranked[:4]) + (" ..." if len(ranked) > 4 else "")
