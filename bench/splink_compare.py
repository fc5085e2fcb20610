"""Splink as the fuzzy scorer, on the engine's own blocking: the measured comparison behind the
engine's choice of its own scoring (docs/screening.md, "Why not Splink").

    python bench/splink_compare.py DATA_DIR [--as-of YYYY-MM-DD] [--truth TRUTH.csv]

The engine runs as usual (reading, validation, normalisation, the candidate pass over the
registries, exact-ID matches, the five rules). For the fuzzy part, the same blocked candidate
pairs are also handed to Splink 5 (DuckDB backend, same connection): a Fellegi-Sunter model with
term-frequency-adjusted names and ID, birth-date and region comparisons built from the same
features, u estimated by random sampling and m by expectation maximisation. Splink's links above
a threshold replace the engine's fuzzy matches, the five rules run again on them, and both
results are scored against the truth file. Printed: time of the engine's fuzzy scoring vs
Splink's training + prediction, and precision/recall per rule for the engine and for Splink at
several thresholds (the best threshold is reported, which favours Splink).
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))

THRESHOLDS = (0.5, 0.8, 0.9, 0.95, 0.99, 0.999)

# One schema for both sides of the link (Splink's link_only wants the same columns).
PEOPLE_SQL = """
SELECT pid AS unique_id, name_n, birth_n, id_n, CASE WHEN id_n IS NULL THEN 'none' ELSE 'valid' END AS id_kind,
       id_n AS idc, CAST(NULL AS VARCHAR) AS m_head, CAST(NULL AS VARCHAR) AS m_tail, CAST(NULL AS INTEGER) AS m_vis,
       substr(id_n, 1, 6) AS region, substr(id_n, 15, 4) AS l4,
       replace(birth_n, '-', '') AS b8
FROM people WHERE name_n <> ''"""

REGISTRY_SQL = """
SELECT rec AS unique_id, name_n, reg_birth AS birth_n, id_n, id_kind, idc, m_head, m_tail, m_vis, region,
       CASE WHEN id_kind = 'masked' AND length(m_tail) >= 4 THEN substr(m_tail, length(m_tail) - 3, 4)
            WHEN id_kind = 'invalid' AND length(idc) = 18 THEN substr(idc, 15, 4) END AS l4,
       CASE WHEN id_kind = 'invalid' AND length(idc) = 18 THEN substr(idc, 7, 8)
            ELSE replace(reg_birth, '-', '') END AS b8
FROM {reg} WHERE name_n IS NOT NULL AND name_n <> ''"""


def _hamming(a: str, b: str) -> str:
    return "(" + " + ".join(f"CASE WHEN substr({a}, {i}, 1) = substr({b}, {i}, 1) THEN 0 ELSE 1 END"
                            for i in range(1, 19)) + ")"


def _settings():
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator

    mask_agree = ("id_kind_r = 'masked' AND id_n_l IS NOT NULL "
                  "AND substr(id_n_l, 1, length(m_head_r)) = m_head_r "
                  "AND substr(id_n_l, 19 - length(m_tail_r), length(m_tail_r)) = m_tail_r")
    invalid = "id_kind_r = 'invalid' AND length(idc_r) = 18 AND id_n_l IS NOT NULL"
    id_cmp = cl.CustomComparison(
        output_column_name="id_number",
        comparison_levels=[
            cll.CustomLevel("id_n_l IS NULL OR id_kind_r = 'empty' OR (id_kind_r = 'invalid' AND length(idc_r) <> 18)"
                            ).configure(is_null_level=True),
            cll.CustomLevel(f"{mask_agree} AND m_vis_r >= 10", "masked ID: >= 10 visible digits agree"
                            ).configure(u_probability=1e-5, fix_u_probability=True),
            cll.CustomLevel(f"{mask_agree} AND m_vis_r >= 6", "masked ID: 6-9 visible digits agree"
                            ).configure(u_probability=1e-3, fix_u_probability=True),
            cll.CustomLevel(f"{invalid} AND {_hamming('id_n_l', 'idc_r')} <= 1", "bad checksum, 1 digit off"
                            ).configure(u_probability=1e-7, fix_u_probability=True),
            cll.CustomLevel(f"{invalid} AND {_hamming('id_n_l', 'idc_r')} = 2", "bad checksum, 2 digits off"
                            ).configure(u_probability=1e-6, fix_u_probability=True),
            cll.ElseLevel(),
        ])
    birth_cmp = cl.CustomComparison(
        output_column_name="birth",
        comparison_levels=[
            cll.NullLevel("birth_n"),
            cll.ExactMatchLevel("birth_n"),
            cll.ElseLevel(),
        ])
    region_cmp = cl.CustomComparison(
        output_column_name="region",
        comparison_levels=[
            cll.CustomLevel("id_n_l IS NULL OR region_r IS NULL").configure(is_null_level=True),
            cll.CustomLevel("region_r = substr(id_n_l, 1, 6)", "registry region = ID region"),
            cll.ElseLevel(),
        ])
    not_both_valid = "NOT (r.id_kind = 'valid' AND l.id_n IS NOT NULL)"
    return SettingsCreator(
        link_type="link_only",
        comparisons=[cl.ExactMatch("name_n").configure(term_frequency_adjustments=True, m_probabilities=[0.99, 0.01]),
                     id_cmp, birth_cmp,
                     region_cmp],
        blocking_rules_to_generate_predictions=[
            f"l.name_n = r.name_n AND l.l4 = r.l4 AND {not_both_valid}",
            f"l.name_n = r.name_n AND l.b8 = r.b8 AND {not_both_valid}",
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def splink_links(con, reg: str) -> tuple[object, float]:
    """Train Splink on people x {reg} candidates; return (predictions relation, seconds)."""
    import logging

    from splink import DuckDBAPI, Linker, block_on

    logging.getLogger("splink").setLevel(logging.WARNING)
    t0 = time.time()
    con.execute(f"CREATE OR REPLACE TABLE sp_people AS {PEOPLE_SQL}")
    con.execute(f"CREATE OR REPLACE TABLE sp_{reg} AS {REGISTRY_SQL.format(reg=reg)}")
    db = DuckDBAPI(connection=con)
    # Splink puts the dataset whose name sorts first on the left: people are "l", the registry "r"
    left = db.register("sp_people", dataset_display_name="a_people")
    right = db.register(f"sp_{reg}", dataset_display_name=f"b_{reg}")
    linker = Linker([left, right], _settings())
    linker.training.estimate_probability_two_random_records_match(
        ["l.name_n = r.name_n AND l.b8 = r.b8", "l.name_n = r.name_n AND l.l4 = r.l4"], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name_n"), record_sample_proportion=1.0)
    pred = linker.inference.predict(threshold_match_probability=min(THRESHOLDS))
    table = pred.physical_name
    con.execute(f"CREATE OR REPLACE TABLE sp_pred_{reg} AS SELECT unique_id_l AS pid, unique_id_r AS rec, "
                f"match_probability AS p FROM {table}")
    return f"sp_pred_{reg}", time.time() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir")
    ap.add_argument("--as-of", default=None)
    ap.add_argument("--truth", default=None, help="truth.csv (default: DATA_DIR/../truth.csv or DATA_DIR/truth.csv)")
    a = ap.parse_args()
    from zhengdun.screening.engine.contract import RULES, Hit, locate_inputs, sort_key
    from zhengdun.screening.engine.core import write_hits
    from zhengdun.screening.engine.duck import DuckBackend
    from zhengdun.screening.engine.pipeline import active_spellings, active_status_query, build_steps
    from zhengdun.screening.engine.score import format_scores, score_files

    truth = a.truth or next(p for p in (os.path.join(a.data_dir, "truth.csv"),
                                        os.path.join(os.path.dirname(a.data_dir.rstrip("/")), "truth.csv"))
                            if os.path.exists(p))
    as_of = datetime.date.fromisoformat(a.as_of) if a.as_of else datetime.date.today()
    be = DuckBackend()
    paths = locate_inputs(a.data_dir)
    for stem, path in paths.items():
        be.register_source(stem, path)
    active = active_spellings([r[0] for r in be.query(active_status_query())]) if "enterprises" in paths else None
    steps = build_steps(be.dialect, set(paths), list(RULES), as_of, active_values=active)
    fuzzy_time = 0.0
    for st in steps:
        t0 = time.time()
        be.run_step(st)
        if any(st.name.endswith(s) for s in ("_pairs", "_feat", "_freq", "_scored")):
            fuzzy_time += time.time() - t0
    con = be.con

    def hits_to_file(path: str) -> None:
        rows = con.execute("SELECT rule, officer_id, subject, subject_name, registry, record_key, mt, score, "
                           "evidence FROM hits").fetchall()
        hits = sorted((Hit(r[0], str(r[1]), r[2], r[3] or "", r[4], str(r[5]), r[6], round(float(r[7]), 3),
                           r[8] or "") for r in rows), key=sort_key)
        write_hits(hits, path)

    ours = os.path.join(os.path.dirname(truth), "hits-engine.csv")
    hits_to_file(ours)
    print(f"engine fuzzy scoring (pairs, features, frequencies, scores): {fuzzy_time:.2f} s")
    print(format_scores(score_files(truth, ours)))

    regs = [r for r in ("ent", "law") if con.execute(
        f"SELECT count(*) FROM information_schema.tables WHERE table_name = '{r}_m'").fetchone()[0]]
    con.execute("CREATE OR REPLACE TEMP TABLE engine_ent_m AS SELECT * FROM ent_m") if "ent" in regs else None
    con.execute("CREATE OR REPLACE TEMP TABLE engine_law_m AS SELECT * FROM law_m") if "law" in regs else None
    preds, splink_time = {}, 0.0
    for reg in regs:
        preds[reg], sec = splink_links(con, reg)
        splink_time += sec
    print(f"\nSplink training + prediction on the same candidates: {splink_time:.2f} s "
          f"(engine: {fuzzy_time:.2f} s)")
    hits_step = next(s for s in steps if s.name == "hits")
    best = None
    for thr in THRESHOLDS:
        for reg in regs:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {reg}_m AS "
                        f"SELECT * FROM engine_{reg}_m WHERE mt = 'id' UNION ALL "
                        f"SELECT pid, rec, 'fuzzy' AS mt, p AS score, 'splink' AS ev_id FROM {preds[reg]} "
                        f"WHERE p >= {thr}")
        be.run_step(hits_step)
        path = os.path.join(os.path.dirname(truth), f"hits-splink-{thr}.csv")
        hits_to_file(path)
        s = score_files(truth, path)
        f1 = 2 * s["overall"]["precision"] * s["overall"]["recall"] / max(
            s["overall"]["precision"] + s["overall"]["recall"], 1e-9)
        print(f"splink threshold {thr}: precision {s['overall']['precision']:.4f} recall {s['overall']['recall']:.4f}")
        if best is None or f1 > best[0]:
            best = (f1, thr, path)
    print(f"\nSplink at its best threshold ({best[1]}):")
    print(format_scores(score_files(truth, best[2])))
    be.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
