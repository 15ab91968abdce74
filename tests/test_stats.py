"Clustered statistics (para_wb.analysis.significance, nbs/analysis/03_significance.ipynb): exact p values, seed and position resampling, Wilson ends."
import numpy as np
import pytest
from scipy.stats import binom

from para_wb.analysis.significance import (_enumerated_sign_flip_count, compare_models, cluster_bootstrap_ci, cluster_bootstrap_rate,
                           paired_permutation_test, position_differences, wilson_interval)


def one_rollout_each(a_only, b_only, both, neither, a="A", b="B"):
    pattern = [(1, 0)] * a_only + [(0, 1)] * b_only + [(1, 1)] * both + [(0, 0)] * neither
    return [dict(model=m, seed=0, position=p, success=s[i]) for p, s in enumerate(pattern) for i, m in enumerate((a, b))]


def test_exact_p_matches_brute_force_on_ragged_counts():
    for trial in range(20):
        rng = np.random.default_rng(trial)
        n_pos = int(rng.integers(3, 11))
        recs = [dict(model=m, seed=s, position=p, success=bool(rng.random() < 0.5)) for m in ("A", "B")
                for p in range(n_pos) for s in range(int(rng.integers(1, 4))) for _ in range(int(rng.integers(1, 3)))]
        d = position_differences(recs, "A", "B").to_numpy(float)
        d = d[d != 0]
        want = 1.0 if len(d) == 0 else (lambda c, t: c / t)(*_enumerated_sign_flip_count(d, abs(d.sum()), 1e-9))
        got = paired_permutation_test(recs, "A", "B")
        assert got["method"] == "exact" and got["p_value"] == pytest.approx(want, abs=1e-12), trial


@pytest.mark.parametrize("a_only,b_only", [(25, 5), (16, 6), (40, 20), (3, 2), (7, 0)])
def test_exact_p_is_the_sign_test_with_one_rollout_per_position(a_only, b_only):
    m, obs = a_only + b_only, abs(a_only - b_only)
    want = min(1.0, binom.sf((m + obs) / 2 - 1, m, 0.5) + binom.cdf((m - obs) / 2, m, 0.5))
    r = paired_permutation_test(one_rollout_each(a_only, b_only, 2, 3), "A", "B")
    assert r["method"] == "exact" and r["p_value"] == pytest.approx(want, rel=1e-12, abs=1e-15)


def test_issue_numbers_near_far_and_hemisphere():
    "Near → Far (PARA 29/40, ACT 1/40 at a position PARA solved): 2/2^28; hemisphere (23/64 vs 5/64, 3 shared): 1.2e-4."
    nf = compare_models(one_rollout_each(28, 0, 1, 11, "PARA", "ACT"), "PARA", "ACT", n_boot=200)
    assert nf["method"] == "exact" and nf["p_value"] == 2 / 2**28 and "p = 7.45e-09" in nf["verdict"]
    hemi = paired_permutation_test(one_rollout_each(20, 2, 3, 39), "A", "B")
    assert hemi["p_value"] == 2 * (1 + 22 + 231) / 2**22


def test_permutation_p_dominance_and_symmetry():
    dom = [dict(model=m, seed=s, position=p, success=m == "A") for m in "AB" for s in range(3) for p in range(12)]
    r, rr = paired_permutation_test(dom, "A", "B"), paired_permutation_test(dom, "B", "A")
    assert r["p_value"] == rr["p_value"] == 2 / 2**12 and r["diff"] == 1.0 and rr["diff"] == -1.0
    same = [dict(model=m, seed=0, position=p, success=p % 2 == 0) for m in "AB" for p in range(12)]
    assert paired_permutation_test(same, "A", "B")["p_value"] == 1.0


def test_monte_carlo_agrees_with_exact():
    rng = np.random.default_rng(1)
    recs = [dict(model=m, seed=s, position=p, success=bool(rng.random() < (0.6 if m == "A" else 0.4)))
            for m in "AB" for s in range(3) for p in range(14)]
    ex = paired_permutation_test(recs, "A", "B")
    mc = paired_permutation_test(recs, "A", "B", method="monte carlo", n_resamples=50_000, seed=2)
    assert ex["method"] == "exact" and abs(ex["p_value"] - mc["p_value"]) < 0.015


def test_bootstrap_resamples_seeds():
    "Seed 0 solves everything, seed 1 nothing: only resampling seeds makes the interval reach 0 and 1."
    recs = [dict(model="A", seed=s, position=p, success=s == 0) for s in (0, 1) for p in range(10)] + \
           [dict(model="B", seed=s, position=p, success=False) for s in (0, 1) for p in range(10)]
    assert cluster_bootstrap_rate(recs, "A", n_boot=2000) == (0.5, 0.0, 1.0)
    ci = cluster_bootstrap_ci(recs, "A", "B", n_boot=2000)
    assert (ci["diff"], ci["ci_low"], ci["ci_high"]) == (0.5, 0.0, 1.0)
    ci_ba = cluster_bootstrap_ci(recs, "B", "A", n_boot=2000)
    assert (ci_ba["diff"], ci_ba["ci_low"], ci_ba["ci_high"]) == (-0.5, -1.0, 0.0)


def test_bootstrap_resamples_positions_jointly():
    "One deciding position among 10, every seed: the interval reaches 0; a dominant model's interval is the point 1."
    recs = [dict(model=m, seed=s, position=p, success=(p < 3) if m == "A" else (p < 2)) for m in "AB" for s in range(4) for p in range(10)]
    ci = cluster_bootstrap_ci(recs, "A", "B", n_boot=2000)
    assert ci["diff"] == pytest.approx(0.1) and ci["ci_low"] == 0.0 and 0.15 < ci["ci_high"] < 0.35
    rate, lo, hi = cluster_bootstrap_rate(recs, "A", n_boot=2000)
    assert rate == pytest.approx(0.3) and lo < 0.15 and hi > 0.5      # 3 positions of 10, not 12 of 40 rollouts
    dom = [dict(model=m, seed=s, position=p, success=m == "A") for m in "AB" for s in range(2) for p in range(6)]
    assert cluster_bootstrap_ci(dom, "A", "B", n_boot=500) == dict(diff=1.0, ci_low=1.0, ci_high=1.0, n_boot=500)


def test_bootstrap_ci_width_and_seeding():
    rng = np.random.default_rng(4)
    p_a, p_b = rng.uniform(0.3, 0.9, 20), rng.uniform(0.1, 0.6, 20)
    recs = [dict(model=m, seed=s, position=p, success=bool(rng.random() < (p_a if m == "A" else p_b)[p]))
            for m in "AB" for s in range(3) for p in range(20)]
    ci = cluster_bootstrap_ci(recs, "A", "B", n_boot=1000, seed=1)
    assert ci["ci_low"] < ci["diff"] < ci["ci_high"] and 0.1 < ci["ci_high"] - ci["ci_low"] < 0.8
    assert ci == cluster_bootstrap_ci(recs, "A", "B", n_boot=1000, seed=1) != cluster_bootstrap_ci(recs, "A", "B", n_boot=1000, seed=2)


def test_wilson_interval_values():
    assert wilson_interval(0, 10)[0] == 0 and wilson_interval(0, 10)[1] == pytest.approx(0.2775, abs=1e-4)
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson_interval(10, 10) == (pytest.approx(0.7225, abs=1e-4), 1.0)
    assert wilson_interval(3, 40) == pytest.approx((0.0258, 0.1986), abs=1e-4)
    lo, hi = wilson_interval(3, 40, z=2.576)
    assert lo < 0.0258 and hi > 0.1986
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError, match="0 <= k <= n"): wilson_interval(3, 2)


def test_monte_carlo_never_reports_zero_and_stat_has_a_sign():
    dom = [dict(model=m, seed=0, position=p, success=m == "A") for m in "AB" for p in range(20)]
    mc = paired_permutation_test(dom, "A", "B", method="monte carlo", n_resamples=1000, seed=0)
    assert mc["p_value"] == 1 / 1001 and mc["method"] == "monte carlo"
    assert paired_permutation_test(dom, "B", "A")["stat"] == -1.0 and paired_permutation_test(dom, "A", "B")["stat"] == 1.0


def test_bootstrap_pairs_positions_across_models():
    "Identical per-position outcomes for both models: with one shared position draw every replicate difference is 0."
    recs = [dict(model=m, seed=s, position=p, success=p % 3 == 0) for m in "AB" for s in range(2) for p in range(12)]
    ci = cluster_bootstrap_ci(recs, "A", "B", n_boot=500)
    assert (ci["diff"], ci["ci_low"], ci["ci_high"]) == (0.0, 0.0, 0.0)
