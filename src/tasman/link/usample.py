"""u by random sampling, as Splink estimates it, in one pass over the sampled pairs.

Splink's ``estimate_u_using_random_sampling`` (Splink 5) samples parties, then, comparison by
comparison, scores the sample's pairs in chunks of the right-hand party's hash: a probe of one
hundredth first, and, unless every level of the comparison was seen ``min_count_per_level``
times in it, the ten tenths in turn until they were. A case's comparisons with a rare level (a
shared payment reference, a name held in a screen name) never stop early, so each is scored over
every sampled pair, in eleven queries: 110 for ten comparisons, each joining the sample with
itself again.

:func:`estimate_u` draws the same sample with Splink's own SQL, scores every pair once for all
comparisons, counts each comparison's levels per chunk and for the probe in the same query, and
replays Splink's stopping rule on those counts: the counts each comparison's u comes from are the
ones Splink would have added up, so the u values are the same (a test holds them equal, where
comparisons stop at the probe, after some tenths and never). Anything but DuckDB and a
single-table deduplication is handed to Splink unchanged.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

# Splink's own pieces of its estimator; they are not public API, so a Splink that moved them
# (the pin allows any 5.x) gets Splink's own estimate instead, never an import error.
try:
    from splink.internals.constants import LEVEL_NOT_OBSERVED_TEXT
    from splink.internals.estimate_u import (
        _estimate_u_comparison_vector_sqls,
        _MUCountsAccumulator,
        _rows_needed_for_n_pairs,
    )
    from splink.internals.expectation_maximisation import compute_proportions_for_new_parameters
    from splink.internals.m_u_records_to_parameters import (
        append_u_probability_to_comparison_level_trained_probabilities,
        m_u_records_to_lookup_dict,
    )
    from splink.internals.misc import ascii_uid
    from splink.internals.pipeline import CTEPipeline
    from splink.internals.settings import Settings
    from splink.internals.unique_id_concat import _composite_unique_id_from_nodes_sql
    from splink.internals.vertically_concatenate import enqueue_df_concat
except ImportError:  # pragma: no cover - depends on the installed Splink
    SPLINK_PIECES = False
else:
    SPLINK_PIECES = True

MIN_COUNT_PER_LEVEL = 100  # Splink's defaults
NUM_CHUNKS = 10
PROBE_MULTIPLIER = 10


def estimate_u(linker: Any, max_pairs: float, seed: int | None = None) -> None:
    """``linker.training.estimate_u_using_random_sampling(max_pairs, seed)``, the same u values."""
    if not _supported(linker):
        linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
        return
    _estimate_u_values(linker, max_pairs, seed)
    linker._populate_m_u_from_trained_values()
    linker._settings_obj._columns_without_estimated_parameters_message()


def _supported(linker: Any) -> bool:
    return (SPLINK_PIECES and linker._sql_dialect_str == "duckdb" and linker._settings_obj._link_type == "dedupe_only"
            and len(linker._input_tables_dict) == 1)


def _estimate_u_values(linker: Any, max_pairs: float, seed: int | None) -> None:
    original_settings_obj = linker._settings_obj
    training_linker = deepcopy(linker)
    settings_obj = training_linker._settings_obj
    settings_obj._retain_matching_columns = False
    settings_obj._retain_intermediate_calculation_columns = False
    db_api = training_linker._db_api
    for cc in settings_obj.comparisons:
        for cl in cc.comparison_levels:
            cl._tf_adjustment_column = None

    pipeline = enqueue_df_concat(linker, CTEPipeline())
    pipeline.enqueue_sql("select count(*) as count from __splink__df_concat", "__splink__df_concat_count")
    count_dataframe = db_api.sql_pipeline_to_splink_dataframe(pipeline)
    total_nodes = count_dataframe.as_record_list()[0]["count"]
    count_dataframe.drop_table_from_database_and_remove_from_cache()
    proportion = min(1.0, _rows_needed_for_n_pairs(max_pairs) / total_nodes)

    pipeline = enqueue_df_concat(training_linker, CTEPipeline())
    uid_cols = settings_obj.column_info_settings.unique_id_input_columns
    sample_filter = training_linker._proportion_sample_sql(proportion, uid_cols, seed=seed)
    pipeline.enqueue_sql(f"select * from __splink__df_concat where 1=1 {sample_filter}", "__splink__df_concat_sample")
    df_sample = db_api.sql_pipeline_to_splink_dataframe(pipeline)
    try:
        counts = _chunk_counts(db_api, df_sample, settings_obj)
    finally:
        df_sample.drop_table_from_database_and_remove_from_cache()

    for i, comparison in enumerate(settings_obj.comparisons):
        accumulated = _replay(comparison, counts.get(comparison.output_column_name, {}))
        aggregated = accumulated.to_record_list()
        table = db_api.register(aggregated, table_name=f"__splink__aggregated_m_u_counts_{ascii_uid(8)}")
        param_records = compute_proportions_for_new_parameters(table)
        table.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)
        u_count_by_cvv = {int(r["comparison_vector_value"]): float(r["u_count"]) for r in aggregated}
        for r in param_records:
            if u_count_by_cvv.get(int(r["comparison_vector_value"]), 0.0) == 0.0:
                r["u_probability"] = LEVEL_NOT_OBSERVED_TEXT
        lookup = m_u_records_to_lookup_dict(param_records)
        original = original_settings_obj.comparisons[i]
        for cl in original._comparison_levels_excluding_null:
            append_u_probability_to_comparison_level_trained_probabilities(
                cl, lookup, original.output_column_name, "estimate u by random sampling")


Counts = dict[tuple[int, bool], list[dict[str, Any]]]  # (tenth, in the probe) -> Splink's count records


def _chunk_counts(db_api: Any, df_sample: Any, settings_obj: Any) -> dict[str, Counts]:
    """Per comparison, per (tenth of the right-hand party's hash, in the probe): the count of
    sampled pairs at each comparison vector value, as Splink's chunk queries count them."""
    info = settings_obj.column_info_settings
    uid_col = info.unique_id_input_column
    source_col = info.source_dataset_input_column
    id_cols = [uid_col] if source_col is None else [source_col, uid_col]
    hashed = db_api.sql_dialect.hash_function_expression(_composite_unique_id_from_nodes_sql(id_cols, "r"))
    chunk = f"(ABS({hashed}) % {NUM_CHUNKS}) + 1 AS __tasman_chunk"
    probe = f"(ABS({hashed}) % {NUM_CHUNKS * PROBE_MULTIPLIER}) + 1 = 1 AS __tasman_probe"

    common: list[str] = []
    for uid_column in info.unique_id_input_columns:
        common.extend(uid_column.l_r_names_as_l_r)
    blocking_cols = list(common)
    for comparison in settings_obj.comparisons:
        for col in comparison._columns_to_select_for_blocking():
            if col not in blocking_cols:
                blocking_cols.append(col)
    cv_cols = Settings.columns_to_select_for_comparison_vector_values(
        unique_id_input_columns=info.unique_id_input_columns, comparisons=settings_obj.comparisons,
        retain_matching_columns=False, additional_columns_to_retain=[])
    sqls = _estimate_u_comparison_vector_sqls(
        db_api=db_api, input_tablename_l="__splink__df_concat_sample", input_tablename_r="__splink__df_concat_sample",
        link_type=settings_obj._link_type, source_dataset_input_column=source_col, unique_id_input_column=uid_col,
        blocking_cols=[*blocking_cols, chunk, probe], cv_cols=[*cv_cols, "__tasman_chunk", "__tasman_probe"],
        rhs_chunk_num=1, rhs_num_chunks=1)
    pipeline = CTEPipeline(input_dataframes=[df_sample])
    pipeline.enqueue_list_of_sqls(sqls)
    pipeline.enqueue_sql(" UNION ALL ".join(
        f"select '{cc.output_column_name}' as comparison, {cc._gamma_column_name} as cvv, __tasman_chunk as chunk, "
        f"__tasman_probe as probe, count(*) as n from __splink__df_comparison_vectors group by all"
        for cc in settings_obj.comparisons), "__tasman_u_chunk_counts")
    result = db_api.sql_pipeline_to_splink_dataframe(pipeline)
    try:
        rows = result.as_record_list()
    finally:
        result.drop_table_from_database_and_remove_from_cache()
    out: dict[str, Counts] = {}
    for r in rows:
        name = r["comparison"]
        out.setdefault(name, {}).setdefault((int(r["chunk"]), bool(r["probe"])), []).append(
            {"comparison_vector_value": int(r["cvv"]), "u_count": float(r["n"]), "output_column_name": name})
    return out


def _replay(comparison: Any, counts: Counts) -> _MUCountsAccumulator:
    """Splink's stopping rule on the counts: the probe alone when it saw every level often enough,
    else the tenths in order until they did (or all of them)."""
    def chunk_rows(tenth: int | None) -> list[dict[str, Any]]:
        return [row for (c, p), rows in sorted(counts.items()) if (p if tenth is None else c == tenth) for row in rows]

    acc = _MUCountsAccumulator(comparison)
    acc.update_from_chunk_counts(chunk_rows(None))
    if acc.all_levels_meet_min_u_count(MIN_COUNT_PER_LEVEL):
        return acc
    acc = _MUCountsAccumulator(comparison)
    for tenth in range(1, NUM_CHUNKS + 1):
        acc.update_from_chunk_counts(chunk_rows(tenth))
        if acc.all_levels_meet_min_u_count(MIN_COUNT_PER_LEVEL):
            break
    return acc
