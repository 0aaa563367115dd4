"""Link settings: everything that decides a result, saved with every run so it can be reproduced.

Two parts: Tasman's own (threshold, deterministic rules, training choices) and the Splink
model (comparisons, blocking rules, and after training the estimated m and u values), which
is Splink's own settings dictionary.
"""

from __future__ import annotations

from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from pydantic import BaseModel, ConfigDict, Field
from splink import ColumnExpression, SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule
from splink.internals.comparison_level_creator import ComparisonLevelCreator
from splink.internals.dialects import SplinkDialect

from tasman.core.errors import InputError
from tasman.link import blockkeys

# 2: handles on any platform, names inside screen names and emails, email providers' countries;
# 3: nameless parties of no known country blocked against any country, and against each other;
#    a first name and a last initial in a screen name (a level of name_in_alias, a blocking key)
# 4: term frequencies corrected as u is (link/frequencies.py); a named party of no known place meets
#    the nameless parties of every country; a party known by a first name alone gets alias blocking
#    keys; a nameless party's blocking keys read from each screen name and email apart
# 5: a whole name inside the other's screen name or email weighed by how common the name is (term
#    frequencies of ``alias_key``, relative to the average agreeing name), and compared only where
#    the side with the screen name or email gives no full name; a first name and a last initial run
#    together (``leticiav97``), read with the case's first names (``alias_first``)
# 6: a lone first name (in a screen name or email, a first name given alone, one stated) met with the
#    same first name: a level of name_in_alias (term-frequency weighted), and blocking on it with the
#    same city or country (``given_block_*`` against ``first_block_*``)
# 7: the screen-name levels' u from the share of the pairs sharing a screen name that state different
#    countries (``training.screen_name_chance``), where it is below the u correction's floor
# 8: the country a shared name implies counted once (``tasman.link.place``: a shared name and the same
#    place lose what the name already said of the country), and the default threshold 0.95
# 9: the u of a whole name shared (the same name; a full name in the other's screen name or email)
#    from namesakes' birth years where the u correction cannot tell (``training.name_chance``); a
#    screen name on another or no platform weighed by its frequency relative to the level's own u
#    (as a name in a screen name is), not in place of it
# 10: a blocking key shared more widely than ``max_block_fanout`` is dropped before prediction
#    (``blockkeys.capped``)
VERSION = 10

# the key of a stored model (``Resolution.splink_settings``) holding its term frequencies' corrections
# (``tasman.link.frequencies``); not Splink's, and not handed to it
TF_SCALES = "tasman_tf_scales"

# Deterministic rules: sharing one of these normalised identifiers joins two parties outright.
DETERMINISTIC = {
    "emails": "same email",
    "phones": "same phone",
    "payrefs": "same payment reference",
    "handles": "same handle on the same platform",  # built-in platforms only (a site name is no authority)
}


class LinkSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: int = VERSION
    # match probability at which two parties are joined: high, because joining two people is worse
    # than leaving one person in two subjects (an analyst can merge; a wrong merge can reach a dossier).
    # 0.95 since version 8: with a shared name's country counted once (``tasman.link.place``) the
    # model's probabilities are what they say (pairs scored 0.9-0.99 one person 97% of the time at
    # 200,000 records, where before they were 69%), and 0.95 keeps 0.99's precision at 4,000 records
    # and holds it at 200,000 (docs/link.md, "The country counted once")
    threshold: float = Field(default=0.95, gt=0, lt=1)
    # pairs scored at or above this but below the threshold are kept as probable links, with
    # their explanation, for an analyst to review (never joined by the run); low, because a screen
    # name holding a name, with nothing else, scores 0.05 to 0.5 and is what an analyst should see
    # (the queue orders by expected value, so a longer tail costs the analyst nothing up front)
    review_threshold: float = Field(default=0.05, gt=0, lt=1)
    # analysts' "same person" verdicts on probable links from which m is estimated again (fewer
    # say too little about the rarer levels; they are kept as decisions either way)
    min_review_labels: int = 50
    deterministic: tuple[str, ...] = tuple(DETERMINISTIC)
    max_group: int = 50       # an identifier shared by more parties than this is not evidence of identity
    # a blocking key held, or met, by more parties than this is dropped before prediction (its pairs
    # are scored only where a rarer key finds them too): ``tasman.link.blockkeys.capped``; at a
    # million records 100 leaves recall as it was (docs/link.md, "Blocking fan-out capped")
    max_block_fanout: int = Field(default=100, ge=1)
    deterministic_recall: float = 0.6  # share of true pairs the rules are assumed to find (for the prior)
    seed: int = 42
    u_max_pairs: float = 2e6
    em_max_pairs: float = 2e6
    min_parties_to_train: int = 400  # below this the priors are used (too few pairs to estimate from)
    em_rules: tuple[str, ...] = ("name_key", "dob")
    backend: str = "duckdb"

    def splink_settings(self) -> SettingsCreator:
        return SettingsCreator(
            link_type="dedupe_only",
            unique_id_column_name="uid",
            comparisons=comparisons(),
            blocking_rules_to_generate_predictions=blocking_rules(),
            retain_matching_columns=False,
            retain_intermediate_calculation_columns=True,
            max_iterations=20,
            em_convergence=0.001,
        )


def _jw(col: str, t: float) -> cll.JaroWinklerLevel:
    return cll.JaroWinklerLevel(col, t)


class SwappedNamesLevel(ComparisonLevelCreator):
    """First name on one side nearly the same as the last name on the other, both ways round.

    Splink's own levels compare a column with itself; this one crosses two, with the engine's
    Jaro-Winkler function as Splink's dialect names it (DuckDB and Spark call it differently)."""

    def __init__(self, threshold: float) -> None:
        self.threshold = float(threshold)

    def create_sql(self, sql_dialect: SplinkDialect) -> str:
        jw = sql_dialect.jaro_winkler_function_name
        first = ColumnExpression("first_name", sql_dialect=sql_dialect)
        last = ColumnExpression("last_name", sql_dialect=sql_dialect)
        return (f"{jw}({first.name_l}, {last.name_r}) >= {self.threshold} AND "
                f"{jw}({last.name_l}, {first.name_r}) >= {self.threshold}")

    def create_label_for_charts(self) -> str:
        return f"first and last name swapped (Jaro-Winkler >= {self.threshold})"


def name_comparison() -> cl.CustomComparison:
    """Whole names: order-free token key, shared tokens (middle names, second surnames), typos,
    swapped order, nicknames, then a surname or a first name alone (term-frequency weighted)."""
    return cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.Or(cll.NullLevel("name_key"), cll.NullLevel("last_name")).configure(is_null_level=True),
            cll.ExactMatchLevel("name_key").configure(tf_adjustment_column="name_key",
                                                      label_for_charts=SAME_NAME_LEVEL),
            cll.ArrayIntersectLevel("name_tokens", 2).configure(label_for_charts="two or more name parts shared"),
            cll.Or(cll.And(_jw("first_name", 0.92), _jw("last_name", 0.92)), SwappedNamesLevel(0.92)
                   ).configure(label_for_charts="first and last name nearly the same (typo or swapped order)",
                               tf_adjustment_column="last_name", tf_adjustment_weight=0.5),
            cll.And(cll.ArrayIntersectLevel("first_forms", 1), _jw("last_name", 0.92)).configure(
                label_for_charts="nickname of the same first name, same last name"),
            cll.And(cll.ExactMatchLevel("last_name"), cll.CustomLevel(
                'substr("first_name_l", 1, 1) = substr("first_name_r", 1, 1)', base_dialect_str="duckdb")).configure(
                tf_adjustment_column="last_name", label_for_charts="same last name, same first initial"),
            cll.ExactMatchLevel("last_name").configure(tf_adjustment_column="last_name",
                                                       label_for_charts="same last name only"),
            cll.ArrayIntersectLevel("first_forms", 1).configure(label_for_charts="same first name only"),
            cll.ElseLevel(),
        ],
    )


def location_comparison() -> cl.CustomComparison:
    """City and country as one field: the same city implies the same country, and counting both
    would credit one fact twice. The country of an email's provider (``o2.pl``, ``web.de``, a
    country-code domain) is a place too, below a stated one: it meets the other's stated country."""
    email = _crossed("array_contains(email_countries_{a}, country_{b})")
    email_possible = _crossed("email_countries_{a} IS NOT NULL AND country_{b} IS NOT NULL")
    return cl.CustomComparison(output_column_name="location", comparison_levels=[
        cll.And(cll.NullLevel("city"), cll.NullLevel("country"),
                cll.CustomLevel(f"NOT ({email_possible})", base_dialect_str="duckdb")).configure(is_null_level=True),
        cll.ExactMatchLevel("city").configure(tf_adjustment_column="city", label_for_charts="same city"),
        cll.And(cll.JaroWinklerLevel("city", 0.9), cll.Or(cll.ExactMatchLevel("country"), cll.NullLevel("country"))
                ).configure(label_for_charts="nearly the same city"),
        cll.And(cll.ExactMatchLevel("country"), cll.NullLevel("city")).configure(
            label_for_charts="same country, city unknown"),
        cll.ExactMatchLevel("country").configure(label_for_charts="same country, another city"),
        cll.CustomLevel(email, base_dialect_str="duckdb").configure(
            label_for_charts="email provider in the other's country"),
        cll.ElseLevel().configure(label_for_charts="another country"),
    ])


def _crossed(template: str) -> str:
    """A DuckDB condition written with ``{a}`` and ``{b}`` for the two sides, both ways round."""
    return f"({template.format(a='l', b='r')}) OR ({template.format(a='r', b='l')})"


# a named party's keys, as tasman.link.aliases makes them, from its first and last name
_NAME_KEYS = {
    "alias_full": "substr(last_name_{b}, 1, 4) || '+' || substr(first_name_{b}, 1, 4)",
    "alias_init": "substr(last_name_{b}, 1, 4) || '+' || substr(first_name_{b}, 1, 1)",
    "alias_swap": "substr(first_name_{b}, 1, 4) || '+' || substr(last_name_{b}, 1, 1)",
    "alias_last": "substr(last_name_{b}, 1, 4)",
}


def _meets(alias: str) -> str:
    if alias == "alias_swap":  # a first name and a last initial: the same keys, or run together (runin.py)
        return _crossed(f"array_contains(alias_init_{{a}}, {_NAME_KEYS[alias]}) OR "
                        f"array_contains(alias_first_{{a}}, {_NAME_KEYS[alias]})")
    return _crossed(f"array_contains({alias}_{{a}}, {_NAME_KEYS[alias]})")


def handle_comparison() -> cl.CustomComparison:
    """Screen names on any platform: the same account on a known platform or on one site; then the
    same name whatever the platform (a site Tasman does not know, or none given), weighted by how
    common the name is (``john`` says little, ``mart_kowal77`` much)."""
    return cl.CustomComparison(output_column_name="handles", comparison_levels=[
        cll.NullLevel("handle_names").configure(is_null_level=True),
        cll.ArrayIntersectLevel("handles", 1).configure(label_for_charts="same handle on the same known platform"),
        cll.ArrayIntersectLevel("site_handles", 1).configure(label_for_charts="same screen name on the same site"),
        cll.ExactMatchLevel("handle_name").configure(label_for_charts="same screen name, other or unknown platform",
                                                     **_name_frequency("handle_name")),
        cll.ArrayIntersectLevel("handle_names", 1).configure(label_for_charts="one screen name shared"),
        cll.ElseLevel().configure(label_for_charts="other screen names"),
    ])


def _name_frequency(column: str) -> dict[str, Any]:
    """A level weighed by how common the named side's name is (term frequencies of ``column``,
    ``alias_key``: the four-letter prefixes of last and first name): a name
    inside a screen name is evidence in proportion to how few of the case's people could have made
    it (``garc+mari`` little, ``kowa+mart`` much). Only the named side holds the value, and Splink
    takes the side that has one; the level's own u is the base (it is no exact match), and
    ``frequencies.relative_scales`` makes the adjustment relative to the average agreeing name."""
    return {"tf_adjustment_column": column, "disable_tf_exact_match_detection": True}


# the levels of a whole name shared (the same name; a full name inside the other's screen name or
# email): where the case is too small for the u correction to tell chance from one person's
# records, their u comes from the birth years of namesakes (``training.name_chance``)
SAME_NAME_LEVEL = "same name"
FULL_ALIAS_LEVEL = "first and last name in the other's screen name or email"
# the level of a lone first name (``alias_given``): its u is corrected for the place it implies
# (``training.correct_given_u``)
GIVEN_LEVEL = "first name alone in the other's screen name or email, or a first name given alone"


def alias_comparison() -> cl.CustomComparison:
    """A name inside the other's screen name or email address (``mart_kowal77``, ``m.kowalska``
    against "Marta Kowalska"): four-letter prefixes of last and first name, or last name and
    initial, or first name and last initial (``marta_k``), or the last name alone
    (``tasman.link.aliases``). Only where the side with the screen name or email gives no full
    name of its own (a chat known by its screen name, an email alone, a first name alone): between
    two named parties the names are compared already, and a named party's other screen names
    (``lucky.delta782``) would teach EM that a true pair's screen name seldom holds the name."""
    present = _crossed("(alias_last_{a} IS NOT NULL OR alias_given_{a} IS NOT NULL) AND last_name_{a} IS NULL "
                       "AND last_name_{b} IS NOT NULL AND first_name_{b} IS NOT NULL")
    return cl.CustomComparison(output_column_name="name_in_alias", comparison_levels=[
        cll.CustomLevel(f"NOT ({present})", base_dialect_str="duckdb").configure(
            is_null_level=True, label_for_charts="no screen name or email of a party without a full name "
                                                 "against a full name"),
        cll.CustomLevel(_meets("alias_full"), base_dialect_str="duckdb").configure(
            label_for_charts=FULL_ALIAS_LEVEL,
            **_name_frequency("alias_key")),
        cll.CustomLevel(_meets("alias_init"), base_dialect_str="duckdb").configure(
            label_for_charts="last name and initial in the other's screen name or email"),
        cll.CustomLevel(_meets("alias_swap"), base_dialect_str="duckdb").configure(
            label_for_charts="first name and last initial in the other's screen name or email"),
        cll.CustomLevel(_meets("alias_last"), base_dialect_str="duckdb").configure(
            label_for_charts="last name in the other's screen name or email"),
        cll.CustomLevel(_crossed("array_contains(alias_given_{a}, first_name_{b})"), base_dialect_str="duckdb"
                        ).configure(label_for_charts=GIVEN_LEVEL, **_name_frequency("first_name")),
        cll.ElseLevel().configure(label_for_charts="no name in the other's screen name or email"),
    ])


def comparisons() -> list[Any]:
    return [
        name_comparison(),
        cl.DateOfBirthComparison("dob", input_is_string=True),  # ISO dates, in each engine's own format syntax
        location_comparison(),
        cl.ExactMatch("postcode"),
        cl.JaroWinklerAtThresholds("street", [0.92]),
        cl.ArrayIntersectAtSizes("emails", [1]),
        cl.ArrayIntersectAtSizes("phones", [1]),
        handle_comparison(),
        cl.ArrayIntersectAtSizes("payrefs", [1]),
        alias_comparison(),
    ]


def blocking_rules() -> list[Any]:
    """Which pairs are scored at all: those sharing a cheap key (``tasman.link.blockkeys``, where
    each kind of key is described), in one rule that explodes each party's ``block_keys`` and
    joins a key with its mate. The keys stand for the rules Tasman blocked with before, one by one
    (38 of them): the name key; last name and date of birth; first name and date of birth; last
    name and city; first name, city and last initial; date of birth and city; date of birth and
    postcode; the first three letters of first and last name with the city, or with the year of
    birth; a nameless party's last name and initial (from its screen names or emails) against
    named parties', in the same country or of none known, never two named parties; two nameless
    parties' in any country; a named party of no known place against the nameless parties of
    every country; the same screen name; a lone first name with its city or country against named
    parties' first names there. One rule instead of 38: Splink excludes from each rule the pairs of
    every rule before it (its cost grows with the square of the rules' number), and an exploding
    rule's pairs are made distinct instead; the pairs are the same (``tests/link/test_blocking.py``)."""
    return [CustomRule(blockkeys.RULE_SQL, "duckdb", arrays_to_explode=[blockkeys.COLUMN])]


def em_blocking(rule: str) -> Any:
    return block_on(*rule.split("+"))


# Priors used when there is too little data to train (and as EM's starting point):
# how often each level occurs among true matches (m) and among non-matches (u).
PRIORS: dict[str, tuple[list[float], list[float]]] = {
    "name": ([0.55, 0.15, 0.15, 0.05, 0.04, 0.02, 0.02, 0.02], [0.0005, 0.0005, 0.001, 0.0002, 0.002, 0.02, 0.05,
                                                              0.9263]),
    "dob": ([0.9, 0.04, 0.01, 0.01, 0.01, 0.03], [0.0001, 0.001, 0.002, 0.02, 0.2, 0.7769]),
    "location": ([0.8, 0.05, 0.1, 0.04, 0.005, 0.005], [0.01, 0.002, 0.03, 0.05, 0.003, 0.905]),
    "postcode": ([0.85, 0.15], [0.0005, 0.9995]),
    "street": ([0.8, 0.1, 0.1], [0.0005, 0.0005, 0.999]),
    "emails": ([0.6, 0.4], [0.00001, 0.99999]),
    "phones": ([0.7, 0.3], [0.00001, 0.99999]),
    "handles": ([0.5, 0.1, 0.1, 0.05, 0.25], [0.00001, 0.00001, 0.0002, 0.0003, 0.99948]),
    "payrefs": ([0.6, 0.4], [0.00001, 0.99999]),
    "name_in_alias": ([0.4, 0.2, 0.05, 0.15, 0.1, 0.1], [0.00005, 0.0003, 0.0005, 0.005, 0.01, 0.98415]),
}


def apply_priors(settings_dict: dict[str, Any]) -> dict[str, Any]:
    """Fill m and u of every non-null level that has none yet from :data:`PRIORS`."""
    for comp in settings_dict["comparisons"]:
        prior = PRIORS.get(comp["output_column_name"])
        if prior is None:
            continue
        levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
        if len(levels) != len(prior[0]):
            continue
        for lv, m, u in zip(levels, prior[0], prior[1], strict=True):
            lv.setdefault("m_probability", m)
            lv.setdefault("u_probability", u)
    return settings_dict


def apply_model(settings_dict: dict[str, Any], model: dict[str, Any]) -> dict[str, Any]:
    """Put an earlier run's estimates (m and u per level, the prior match probability) into
    settings rendered for this engine. The model's own SQL is not reused: it is written in the
    dialect of the engine that trained it. Levels are matched by comparison and position."""
    known = {c["output_column_name"]: c["comparison_levels"] for c in model.get("comparisons", [])}
    for comp in settings_dict["comparisons"]:
        levels = known.get(comp["output_column_name"])
        if levels is None or len(levels) != len(comp["comparison_levels"]):
            raise InputError(f"the model has no comparison {comp['output_column_name']!r} like these settings' "
                             "(trained with other settings)")
        for lv, old in zip(comp["comparison_levels"], levels, strict=True):
            for key in ("m_probability", "u_probability"):
                if key in old:
                    lv[key] = old[key]
    settings_dict["probability_two_random_records_match"] = model["probability_two_random_records_match"]
    return settings_dict
