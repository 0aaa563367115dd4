"""Term frequencies corrected as u is (``training.correct_u``).

Splink weighs agreement on a value by how common the value is: the weight of an exact match on
``v`` is ``log2(m / tf(v))``, with ``tf(v)`` the share of records holding ``v``, in place of the
level's ``u``. Random pairs of a case where each person has several records are a mixture
(``training.correct_u``), and so are the records holding a value: one person's five orders make
their own name look five times as common as it is. ``correct_u`` takes the true matches out of
the level's ``u``; but with a term-frequency adjustment of full weight the level's ``u`` cancels
out (``log2(m / u) + log2(u / tf(v))``), so the correction was lost for exactly the levels that
have one (the same name, city, screen name). Here each value's ``tf`` is scaled by the level's
own correction (corrected ``u`` over sampled ``u``): the values keep their order, common to rare,
and their average agrees with the corrected ``u`` again. A case of a million records, where the
correction is negligible, keeps Splink's frequencies.

A level that is no exact match (a name inside the other's screen name: ``settings._name_frequency``)
is weighed on its own u, which is far below the frequency of any one name (most screen names hold
no name at all). Its column's frequencies are scaled so that the level's weight moves by how
common the value is against the average agreeing value, ``log2(sum(tf^2) / tf(v))``, around the
level's own ``log2(m / u)`` (:func:`relative_scales`): a rare name weighs more than the level's
average, a common one less, whatever the case's size.

The tables are computed in the backend's SQL and handed to Splink
(``register_term_frequency_lookup``) after training, before prediction.
"""

from __future__ import annotations

from typing import Any

from tasman.link.backends.base import Backend


def scaled_tf_tables(be: Backend, scales: dict[str, float], parties: str = "parties") -> list[str]:
    """Create ``__tasman_tf_<column>`` tables (``<column>``, ``tf_<column>``): each value's share
    of the parties that hold the column, times ``scales[column]``. Returns the columns done."""
    done = []
    for col, scale in sorted(scales.items()):
        if scale <= 0 or scale == 1:
            continue
        be.create(f"__tasman_tf_{col}", f"""
            SELECT {col}, cast(count(*) AS double) * {float(scale)!r}
                          / (SELECT count(*) FROM {parties} WHERE {col} IS NOT NULL) AS tf_{col}
            FROM {parties} WHERE {col} IS NOT NULL GROUP BY {col}
        """)
        done.append(col)
    return done


def relative_scales(linker: Any, be: Backend, parties: str = "parties") -> dict[str, float]:
    """Per term-frequency column of a level weighed on its own u (Splink's
    ``disable_tf_exact_match_detection``): ``u / sum(tf^2)``, the scale that makes Splink's
    adjustment ``log2(u) - log2(scale * tf(v))`` equal to ``log2(sum(tf^2) / tf(v))``; ``sum(tf^2)``
    is the frequency of the value two random holders agree on, on average. A column no party holds
    (or a level without u) gets none."""
    out: dict[str, float] = {}
    for comp in linker._settings_obj.comparisons:
        for level in comp.comparison_levels:
            if not (getattr(level, "_has_tf_adjustments", False) and level.disable_tf_exact_match_detection):
                continue
            col, u = level._tf_adjustment_input_column_name, level.u_probability
            if not u or col in out:
                continue
            got = be.query(f"""
                SELECT sum(n * n) / (sum(n) * sum(n)) AS agree FROM (
                    SELECT cast(count(*) AS double) AS n FROM {parties} WHERE {col} IS NOT NULL GROUP BY {col})
            """).column("agree")[0].as_py()
            if got:
                out[col] = float(u) / float(got)
    return out


def register(linker: Any, be: Backend, columns: list[str]) -> None:
    """Hand the tables of :func:`scaled_tf_tables` to a Splink linker (replacing its own)."""
    api = be.splink_api()
    for col in columns:
        linker.table_management.register_term_frequency_lookup(api.register(f"__tasman_tf_{col}"), col)


def drop(be: Backend, columns: list[str]) -> None:
    for col in columns:
        be.drop(f"__tasman_tf_{col}")
