"""Estimating the Fellegi-Sunter parameters from the case's own data: u (how often fields agree
by chance) by random sampling, m (how often they agree for the same person) by expectation
maximisation on blocked pairs, u corrected for the true matches among the random pairs (see
:func:`correct_u`), and m again from analysts' reviewed pairs once there are enough
of them (Splink's ``estimate_m_from_pairwise_labels``). A small case keeps the documented priors instead: a few hundred
records hold too few pairs to estimate from, and a wrong estimate is worse than a prior."""

from __future__ import annotations

import logging
import math
from typing import Any

from splink.internals.exceptions import SplinkException

from tasman.link.backends.base import Backend
from tasman.link.settings import FULL_ALIAS_LEVEL, GIVEN_LEVEL, SAME_NAME_LEVEL, LinkSettings, em_blocking
from tasman.link.usample import estimate_u

log = logging.getLogger(__name__)


def prior_lambda(parties: int, deterministic_pairs: int = 0, recall: float = 0.6) -> float:
    """Probability that two random parties are the same person.

    Estimated the way Splink does from deterministic rules: the pairs the strong-identifier
    rules join, divided by the share of true pairs such rules are assumed to find
    (``recall``), over all pairs. Without any such pair, about two other records per person."""
    total = parties * (parties - 1) / 2
    if deterministic_pairs > 0 and total > 0:
        return min(0.5, max(1.0 / total, deterministic_pairs / recall / total))
    return min(0.5, 2.0 / max(parties, 5))


def train(linker: Any, settings: LinkSettings, parties: int, labels: int = 0, labels_table: str = "",
          backend: Backend | None = None) -> dict[str, Any]:
    """Estimate u and m on the case's own data (from ``settings.min_parties_to_train`` parties),
    then m again from analysts' "same person" verdicts (``labels`` of them in ``labels_table``,
    columns ``uid_l, uid_r``, loaded where the linker reads) when there are at least
    ``settings.min_review_labels``."""
    report: dict[str, Any] = {"trained": False, "u": None, "m": [], "lambda": None, "notes": [], "labels": 0}
    if parties < settings.min_parties_to_train:
        report["notes"].append(f"{parties} parties: below {settings.min_parties_to_train}, priors kept")
    else:
        _estimate(linker, settings, parties, report)
        if report["u"]:
            scales: dict[str, float] = {}
            floors: dict[str, float] = {}
            shares: dict[str, float] = {}
            if backend is not None:
                chance = screen_name_chance(backend)
                report["screen_name_chance"] = chance
                floors[SCREEN_NAMES] = chance["share"]
                names, keys = name_chance(backend), name_chance(backend, column=ALIAS_KEY)
                report["name_chance"], report["name_key_chance"] = names, keys
                shares = {SAME_NAME_LEVEL: names["share"], FULL_ALIAS_LEVEL: keys["share"]}
            applied: list[str] = []
            report["u_corrected"] = correct_u(linker, scales, floors, shares, applied)
            report["tf_scales"] = scales
            if backend is not None:
                report["shares_used_for"] = applied
                report["given_place_factor"] = correct_given_u(linker, backend)
    if labels >= settings.min_review_labels and labels_table:
        try:
            linker.training.estimate_m_from_pairwise_labels(labels_table)
            report["m"].append("review labels")
            report["labels"] = labels
        except (SplinkException, ValueError, ZeroDivisionError) as exc:
            report["notes"].append(f"m from {labels} review labels failed ({exc}); kept earlier values")
    elif labels:
        report["notes"].append(f"{labels} review labels: below {settings.min_review_labels}, not used yet")
    report["trained"] = bool(report["u"] or report["m"])
    return report


U_FLOOR = 0.2  # the correction never takes u below this share of the sampled value
SHARE_MIN = 0.001  # nor does a measured share of chance agreements (about ten bits at most)


def correct_u(linker: Any, tf_scales: dict[str, float] | None = None, floors: dict[str, float] | None = None,
              shares: dict[str, float] | None = None, applied: list[str] | None = None) -> int:
    """Take the true matches out of the u estimated by random sampling.

    Random pairs are a mixture: a share lambda of them (the prior match probability) are the same
    person and agree at level k with probability m_k, the rest by chance with u_k; sampling sees
    lambda m_k + (1 - lambda) u_k. Splink takes that for u_k, which holds when lambda is negligible
    (a million parties) but not in a case of a few thousand records with several records per person,
    where an email or a screen name shared by one person's records looks "common". The corrected
    ``u_k = (sampled - lambda m_k) / (1 - lambda)``, at least :data:`U_FLOOR` of the sampled value
    (m is EM's estimate, itself uncertain). Returns how many levels changed; ``tf_scales`` gets, per
    term-frequency column, the correction of its exact-match level (corrected over sampled u), which
    ``tasman.link.frequencies`` applies to that column's term frequencies. ``floors``: per comparison,
    the share of its agreements that are chance, measured otherwise (:func:`screen_name_chance`):
    where it is below the floor, each agreeing level's u is the sampled value times that share (in
    place of the correction, which the floor would hold at a fifth). ``shares``: per level label, the
    share of its agreements that are chance, measured otherwise (:func:`name_chance`), used where
    the correction cannot tell (it would go below the floor: nearly every sampled agreement is
    explained by one person's records, as for a whole name shared in a case of a few thousand
    records) instead of the floor's fifth, never below :data:`SHARE_MIN` of the sampled value; the
    labels of the levels it was used for are appended to ``applied``."""
    obj = linker._settings_obj
    lam = float(obj._probability_two_random_records_match)
    if not 0 < lam < 1:
        return 0
    changed = 0
    for comp in obj.comparisons:
        floor = min(U_FLOOR, (floors or {}).get(getattr(comp, "output_column_name", ""), U_FLOOR))
        last = len(comp.comparison_levels) - 1  # "else": a measured share is one of agreements
        for i, level in enumerate(comp.comparison_levels):
            if level.is_null_level:
                continue
            m, u = level.m_probability, level.u_probability
            if m is None or u is None:
                continue
            share = floor if i < last else U_FLOOR
            measured = (shares or {}).get(getattr(level, "_label_for_charts", ""))
            unmixed = (u - lam * m) / (1 - lam)
            if share < U_FLOOR:  # the share of chance agreements measured (below the floor): it is u's share
                corrected = u * share
            elif measured is not None and unmixed < U_FLOOR * u:
                corrected = u * min(1.0, max(measured, SHARE_MIN))
                if applied is not None:
                    applied.append(level._label_for_charts)
            else:
                corrected = max(unmixed, U_FLOOR * u)
            if tf_scales is not None and (col := _exact_tf_column(level)):
                tf_scales[col] = corrected / u
            if corrected != u:
                level.u_probability = corrected
                changed += 1
    return changed


SCREEN_NAMES = "handles"  # the comparison of screen names (settings.handle_comparison)
ALIAS_KEY = "alias_key"    # a named party's four-letter prefixes of last and first name (link.aliases)


Z_UPPER = 1.645        # the share is read at its one-sided 95% upper bound (Wilson's score interval)


def screen_name_chance(backend: Backend, parties: str = "parties") -> dict[str, float]:
    """The share of screen-name agreements that are chance (two different people), measured by the
    countries the holders state. Each screen name that two or more parties hold (all of them
    stating a country) is one observation, however many parties hold it, so one person's thousand
    records under one name weigh what one pair of namesakes does: of ``names`` such names,
    ``differ`` are held in more than one country. Were a name's holders two strangers, it would
    span two countries with probability ``1 - sum q_c^2`` (``q_c``: the share of country ``c`` among
    the screen names' countries, each name's counted once, so a prolific holder's country does not
    crowd the others out); ``expected`` is that summed over the names, each name counted as a pair
    whatever its holders (a name of many holders spans countries more often by chance, so this
    errs towards a higher share, the safe side). The share is ``differ / expected``, with ``differ``
    read at its one-sided 95% upper bound (Wilson), so a case with few shared names cannot claim a
    small share (with none differing and a spread of 0.75 a name, 16 names are needed to go below
    the floor of a fifth; more where one country dominates), and at most 1; no shared name with
    countries measures nothing (1).
    A person who states two countries counts as chance (the share errs high); namesakes of one
    country (a name built from a first name) count as one person (it errs low).

    Random sampling cannot tell this apart: almost every pair sharing a screen name it draws is one
    person's records (a sampled u below ``lambda m``), so :func:`correct_u` keeps a fifth of the
    sampled value. Counted by group-bys (no self-join)."""
    got = backend.query(f"""
        WITH held AS (SELECT DISTINCT uid, h, country FROM (
                          SELECT uid, unnest(handle_names) AS h, country FROM {parties}
                          WHERE handle_names IS NOT NULL AND country IS NOT NULL) AS held_names
                      WHERE h IS NOT NULL AND h <> ''),
             names AS (SELECT h, count(DISTINCT uid) AS k, count(DISTINCT country) AS c FROM held
                       GROUP BY h HAVING count(DISTINCT uid) > 1),
             spread AS (SELECT DISTINCT h, country FROM held),
             shares AS (SELECT country, cast(count(*) AS double) / (SELECT count(*) FROM spread) AS q
                        FROM spread GROUP BY country),
             spans AS (SELECT names.h, 1 - sum(power(shares.q, least(names.k, 2))) AS e
                       FROM names CROSS JOIN shares GROUP BY names.h)
        SELECT (SELECT count(*) FROM names) AS names, (SELECT count(*) FROM names WHERE c > 1) AS differ,
               (SELECT sum(e) FROM spans) AS expected
    """).to_pylist()[0]
    names, differ = int(got["names"] or 0), int(got["differ"] or 0)
    expected = float(got["expected"] or 0.0)
    share = 1.0
    if names and expected > 0:
        share = min(1.0, wilson_upper(differ, names) * names / expected)
    return {"names": names, "differ": differ, "expected": round(expected, 3), "share": share}


def name_chance(backend: Backend, parties: str = "parties", column: str = "name_key") -> dict[str, float]:
    """The share of a name's agreements that are chance (two different people), measured by the
    birth years its holders give. Birth years are independent of names, so two different people of
    one name are born more than a year apart as often as two random people of the case are
    (``expected``: one minus the share of random pairs of birth years at most a year apart, each
    name's year counted once, so one person's many records do not make the case look one age); one
    person's records give one year (a typo in the year reads as two people: the share errs high).
    Read two ways, and the larger taken (each errs low where the other does not):

    - by names: each name two or more parties with a date of birth hold is one observation,
      however many hold it (as :func:`screen_name_chance` counts screen names), so one person's
      three hundred transfers weigh what one pair of namesakes does: of ``names``, ``names_differ``
      span more than a year; but a name many namesakes hold counts once too (low in a large case);
    - by pairs: of the ``pairs`` of parties of one name, ``differ`` more than a year apart, as u
      itself counts pairs; but one prolific person's pairs drown everyone's namesakes.

    Each is read at its one-sided 95% upper bound (Wilson) and divided by ``expected``; the share is
    at most 1, and no name held twice measures nothing (1).

    ``column``: the name compared; ``alias_key`` (the four-letter prefixes of last and first name a
    name inside a screen name is matched on) measures that level's chance: a different person whose
    name has the same prefixes (``mart+mari``: Maria Martinez and Marie Martefebvre), far more often
    than the same whole name.

    Random sampling cannot measure it in a small case: of the few thousand pairs sharing a name,
    a handful are namesakes, the rest one person's records, so the sampled u is almost all
    ``lambda m`` and :func:`correct_u` would keep a fifth of it (on the two benchmark corpora of
    4,000 records the true u of the same name was 1/94 and 1/2.6 of the model's). The parties with
    a date of birth stand for the rest (customers' and transfers' records more than chats').
    Counted by group-bys, with no join of the parties with themselves."""
    got = backend.query(f"""
        WITH held AS (SELECT {column} AS v, cast(substr(dob, 1, 4) AS integer) AS y FROM {parties}
                      WHERE {column} IS NOT NULL AND dob IS NOT NULL),
             vy AS (SELECT v, y, cast(count(*) AS double) AS c FROM held GROUP BY v, y),
             vv AS (SELECT v, sum(c) AS c, max(y) - min(y) AS span FROM vy GROUP BY v),
             yy AS (SELECT y, cast(count(*) AS double) AS c FROM vy GROUP BY y)
        SELECT (SELECT count(*) FROM vv WHERE c > 1) AS names,
               (SELECT count(*) FROM vv WHERE c > 1 AND span > 1) AS names_differ,
               (SELECT sum(c * (c - 1) / 2) FROM vv) AS pairs,
               (SELECT sum(c * (c - 1) / 2) FROM vy) AS pairs_same_year,
               (SELECT sum(a.c * b.c) FROM vy a JOIN vy b ON a.v = b.v AND b.y = a.y + 1) AS pairs_next_year,
               (SELECT count(*) FROM vy) AS holders,
               (SELECT sum(c * (c - 1) / 2) FROM yy) AS same_year,
               (SELECT sum(a.c * b.c) FROM yy a JOIN yy b ON b.y = a.y + 1) AS next_year
    """).to_pylist()[0]
    names, names_differ = int(got["names"] or 0), int(got["names_differ"] or 0)
    pairs = int(got["pairs"] or 0)
    differ = pairs - int((got["pairs_same_year"] or 0) + (got["pairs_next_year"] or 0))
    holders = float(got["holders"] or 0)
    all_pairs = holders * (holders - 1) / 2
    near = float((got["same_year"] or 0) + (got["next_year"] or 0))
    expected = 1.0 - near / all_pairs if all_pairs > 0 else 0.0
    share = 1.0
    if names > 0 and expected > 0:
        share = min(1.0, max(wilson_upper(names_differ, names), wilson_upper(differ, pairs)) / expected)
    return {"names": names, "names_differ": names_differ, "pairs": pairs, "differ": differ,
            "expected": round(expected, 4), "share": share}


def wilson_upper(hits: int, n: int, z: float = Z_UPPER) -> float:
    """The upper end of Wilson's score interval for a proportion of ``hits`` in ``n`` (1 when all hit)."""
    if n <= 0 or not 0 <= hits <= n:
        raise ValueError(f"wilson_upper needs 0 <= hits <= n and n > 0, not {hits} of {n}")
    if hits == n:
        return 1.0
    p, z2 = hits / n, z * z
    return min(1.0, (p + z2 / (2 * n) + z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))) / (1 + z2 / n))


def _exact_tf_column(level: Any) -> str | None:
    """The term-frequency column of a level that is an exact match on that column (Splink's own
    "exact match" reading), else None."""
    if not getattr(level, "_has_tf_adjustments", False):
        return None
    col = level._tf_adjustment_input_column_name
    return col if level._is_exact_match and level._exact_match_colnames == [col] else None


def _estimate(linker: Any, settings: LinkSettings, parties: int, report: dict[str, Any]) -> None:
    try:
        pairs = min(settings.u_max_pairs, max(1e5, 60.0 * parties))  # enough to see the rarer levels
        estimate_u(linker, pairs, settings.seed)  # Splink's estimate, in one pass (link/usample.py)
        report["u"] = "random sampling"
    except (SplinkException, ValueError) as exc:
        report["notes"].append(f"u not estimated ({exc}); priors kept")
    for rule in settings.em_rules:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                em_blocking(rule), estimate_without_term_frequencies=True, max_pairs=settings.em_max_pairs)
            report["m"].append(rule)
        except (SplinkException, ValueError, ZeroDivisionError) as exc:
            report["notes"].append(f"EM blocked on {rule} failed ({exc}); kept earlier values")


def given_place_factor(backend: Backend, parties: str = "parties") -> float:
    """How much more often two named parties of the same first name are of one country than two
    random named parties: ``P(same country | same first name) / P(same country)``, from the case's
    own names, over pairs of two different parties (``sum n_fc(n_fc-1) / sum n_f(n_f-1)`` over
    ``sum n_c(n_c-1) / N(N-1)``; a party paired with itself would pull the first ratio towards 1
    where few share a name). 1 where no two parties share a first name or a country; at least 1."""
    got = backend.query(f"""
        WITH named AS (SELECT first_name AS f, country AS c FROM {parties}
                       WHERE first_name IS NOT NULL AND last_name IS NOT NULL AND country IS NOT NULL),
             fc AS (SELECT cast(count(*) AS double) AS n FROM named GROUP BY f, c),
             ff AS (SELECT cast(count(*) AS double) AS n FROM named GROUP BY f),
             cc AS (SELECT cast(count(*) AS double) AS n FROM named GROUP BY c)
        SELECT (SELECT sum(n * (n - 1)) FROM fc) AS fc, (SELECT sum(n * (n - 1)) FROM ff) AS ff,
               (SELECT sum(n * (n - 1)) FROM cc) AS cc, (SELECT count(*) FROM named) AS total
    """).to_pylist()[0]
    total = float(got["total"] or 0)
    if total < 2 or not got["ff"] or not got["cc"]:
        return 1.0
    return max(1.0, (got["fc"] / got["ff"]) / (got["cc"] / (total * (total - 1))))


def correct_given_u(linker: Any, backend: Backend, parties: str = "parties") -> float:
    """The lone first name's level (:data:`settings.GIVEN_LEVEL`) is scored beside the location
    comparison, which credits the same country or city; but first names go with countries (a Polish
    first name is mostly held in Poland), so two different people who share one are far more often
    of one country than two random people, and the product of the two Bayes factors counts the
    country twice (on both corpora, a first name and the same city were one person about half as
    often as the model said). Its u is multiplied by :func:`given_place_factor`: it becomes the
    chance that a screen name holds the first name of a random person *of the same country*, which
    is what the name adds once the place is credited. Returns the factor (1 where none applies)."""
    factor = given_place_factor(backend, parties)
    if factor <= 1.0:
        return 1.0
    for comp in linker._settings_obj.comparisons:
        for level in comp.comparison_levels:
            if level._label_for_charts == GIVEN_LEVEL and level.u_probability:
                m = level.m_probability or 1.0
                level.u_probability = min(float(level.u_probability) * factor, 0.999, float(m))
    return round(factor, 3)
