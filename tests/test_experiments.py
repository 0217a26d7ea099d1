"""Every config in experiments/ runs at its [tiny] size and yields its table and figures, and
the tiny results already show what each experiment is about."""

from __future__ import annotations

import csv

import pytest

from nnmf_research.reproduce import (experiment_cells, list_experiments, load_experiment,
                                    run_experiment)
from nnmf_research.reproduce.metrics import NOT_APPLICABLE

CONFIGS = list_experiments()
NOT_NUMBERS = {"dataset", "method", "label", "kind", "k", "rep", "status", "key"}


def test_the_five_paper_comparisons_are_configured():
    assert set(CONFIGS) >= {"lee_seung_1999_faces", "donoho_stodden_2003_swimmer",
                            "lee_seung_2001_updates", "bench_approximate_nmf",
                            "dpp_compile_once"}


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    runs = {}
    for name, path in CONFIGS.items():
        exp = load_experiment(path, tiny=True)
        runs[name] = (exp, run_experiment(exp, root / "results", root / "figures",
                                          progress=False))
    return runs


def _rows(report):
    with open(report.table) as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_tiny_run_writes_a_complete_table_and_png_figures(tiny_runs, name):
    exp, report = tiny_runs[name]
    assert not report.failures, report.failures
    rows = _rows(report)
    assert len(rows) == len(experiment_cells(exp))
    for row in rows:
        if row["status"] != "ok":
            assert row["status"].startswith("skipped: ")
            continue
        for metric in exp.metrics:
            if row[metric] == "" and (metric in exp.summary.get("partial_metrics", ())
                                      or row["kind"] in NOT_APPLICABLE.get(metric, ())):
                continue   # defined only for some cells (the config or the metric says which)
            assert row[metric] not in ("", "nan"), (row["method"], metric)
            float(row[metric])
    assert len(report.figures) == len(exp.figures) >= 1
    for path in report.figures:
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def _mean(rows, method, metric, **match):
    vals = [float(r[metric]) for r in rows if r["method"] == method and r["status"] == "ok"
            and all(r[k] == str(v) for k, v in match.items())]
    return sum(vals) / len(vals)


def test_faces_nmf_basis_is_sparser_than_pca(tiny_runs):
    rows = _rows(tiny_runs["lee_seung_1999_faces"][1])
    assert _mean(rows, "nmf", "hoyer_basis") > _mean(rows, "pca", "hoyer_basis") + 0.05
    assert _mean(rows, "nmf", "sparsity_basis") > 10 * _mean(rows, "pca", "sparsity_basis")


def test_every_update_trace_is_monotone(tiny_runs):
    rows = _rows(tiny_runs["lee_seung_2001_updates"][1])
    assert rows and all(float(r["max_loss_increase"]) <= 1e-12 for r in rows)


def test_swimmer_counts_are_within_the_16_limbs(tiny_runs):
    rows = _rows(tiny_runs["donoho_stodden_2003_swimmer"][1])
    counts = [float(r["limbs_recovered"]) for r in rows]
    assert all(0 <= c <= 16 for c in counts) and max(counts) >= 6


def test_benchmark_reports_time_to_target_ratios_against_sklearn_cd(tiny_runs):
    pytest.importorskip("sklearn")
    rows = _rows(tiny_runs["bench_approximate_nmf"][1])
    cd = [r for r in rows if r["method"] == "sklearn_cd" and r["time_to_0.01"]]
    assert cd and all(float(r["ratio_to_sklearn_cd_0.01"]) == 1.0 for r in cd)
    reached = [r for r in rows if r["time_to_0.01"]]
    assert len({r["method"] for r in reached}) >= 2
    assert any(r["method"] == "nimfa" for r in rows)  # skipped with its reason, or run


def test_rank_bounds_pivot_table_brackets_every_known_rank_plus(tiny_runs):
    exp, report = tiny_runs["gillis_rank_bounds"]
    with open(report.table.parent / "pivot_bound.csv") as f:
        table = {row["dataset"]: row for row in csv.DictReader(f)}
    lower = [exp.label(m) for m in exp.methods if m not in ("restricted_rank3", "exact_nmf")]
    upper = [exp.label("restricted_rank3"), exp.label("exact_nmf")]
    for name, row in table.items():
        if not row["rank_plus"]:
            continue
        rank_plus = int(row["rank_plus"])
        for col in lower:
            assert row[col] == "-" or int(row[col]) <= rank_plus, (name, col)
        for col in upper:
            assert row[col] == "-" or int(row[col]) >= rank_plus, (name, col)
    assert table["ngon6"][exp.label("rectangle_cover")] == "5"
    assert table["edm5"][exp.label("geometric")] == "5"
    assert table["thomas"][exp.label("fooling_set")] == "4"


def test_the_plsi_hybrid_is_never_worse_than_nmf_or_plsi_alone_and_the_identity_holds(tiny_runs):
    rows = _rows(tiny_runs["ding_li_peng_2006"][1])
    hybrid = [r for r in rows if r["method"] == "hybrid" and r["status"] == "ok"]
    assert hybrid and all(float(r["hybrid_not_worse"]) == 1.0 for r in hybrid)
    assert all(float(r["kl_loss"]) <= min(float(r["nmf_alone"]), float(r["plsi_alone"]))
               for r in hybrid)
    for r in rows:   # J = −L + Σ X log(X/N) wherever ΣWH = ΣX: after every MU or EM step
        if r["status"] == "ok" and r["method"] in ("mu", "plsi", "hybrid", "chi_square"):
            assert float(r["identity_gap"]) < 1e-8, (r["dataset"], r["method"])
    ours = {r["dataset"]: float(r["kl_loss"]) for r in rows if r["method"] == "mu"}
    theirs = {r["dataset"]: float(r["kl_loss"]) for r in rows if r["method"] == "sklearn_mu"}
    for name in ours:   # the same Lee–Seung iterates from the same start, two implementations
        assert ours[name] == pytest.approx(theirs[name], rel=1e-6)


def test_ding_li_jordan_tiny_reproduces_k_means_and_orders_the_residuals(tiny_runs):
    rows = [r for r in _rows(tiny_runs["ding_li_jordan_2010"][1]) if r["status"] == "ok"]
    value = {(r["dataset"], r["method"]): r for r in rows}
    # scikit-learn's KMeans on standardized iris: the reference accuracy 0.833
    assert round(float(value["iris", "kmeans"]["accuracy"]), 3) == 0.833
    for dataset in {r["dataset"] for r in rows}:
        loss = {m: float(value[dataset, m]["loss"]) for d, m in value if d == dataset}
        # Eckart–Young: no rank-k factorization beats the truncated SVD
        assert all(loss["svd"] <= v * (1 + 1e-12) for v in loss.values()), dataset
        # F free can fit what F = XW fits (the MU runs share the k-means start)
        assert loss["semi_mu"] <= loss["convex_mu"], dataset
        # multiplicative iterates are floored at 1e-16: never an exact zero
        assert float(value[dataset, "convex_mu"]["zeros_W"]) == 0.0
    assert ("iris", "nmf") not in value  # plain NMF is skipped on mixed-sign data


def test_gillis_luce_tiny_recovers_every_anchor_without_noise(tiny_runs):
    rows = _rows(tiny_runs["gillis_luce_2014_separable"][1])
    rate = {(r["dataset"], r["method"]): float(r["anchor_recovery"]) for r in rows}
    for method in ("spa", "gillis_luce", "hottopixx"):
        assert rate["noise000_seed0", method] == 1.0  # planted separable: exact recovery
    assert rate["noise020_seed0", "spa"] == rate["noise020_seed0", "gillis_luce"] == 1.0
    assert rate["noise020_seed0", "hottopixx"] < 1.0  # the reference: Hottopixx 0 % at 0.2


def test_open_cases_tiny_brackets_are_consistent_and_certified(tiny_runs):
    exp, report = tiny_runs["open_cases"]
    rows = _rows(report)
    upper = {"restricted_rank3", "exact_nmf"}
    for name in {r["dataset"] for r in rows}:
        got = [r for r in rows if r["dataset"] == name and r["bound"]]
        lows = [float(r["bound"]) for r in got if r["method"] not in upper]
        highs = [float(r["bound"]) for r in got if r["method"] in upper]
        assert max(lows) <= min(highs), name
    cell = {(r["dataset"], r["method"]): r for r in rows}
    assert float(cell["udisj3", "rank_exclusion"]["bound"]) == 8.0    # rank 7, rank₊ 8
    assert float(cell["udisj3", "rank_exclusion"]["certified"]) == 1.0
    assert float(cell["edm9", "geometric_two_sided"]["bound"]) == 7.0
    assert float(cell["edm9", "geometric_two_sided"]["certified"]) == 1.0
