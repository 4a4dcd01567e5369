"""Metrics against hand counts and brute force; the protocol's three guarantees on plain arrays."""
import itertools

import numpy as np
import pytest

from tpw_tf import metrics

rng = np.random.default_rng(0)


def test_macro_f1_accuracy_and_balanced_accuracy_by_hand():
    y = np.array([0, 0, 0, 0, 1, 1, 2, 2])
    p = np.array([0, 0, 1, 2, 1, 0, 2, 2])
    # class 0: tp 2, fp 1, fn 2 -> 4/7; class 1: tp 1, fp 1, fn 1 -> 1/2; class 2: tp 2, fp 1, fn 0 -> 4/5
    assert metrics.macro_f1(y, p, 3) == pytest.approx((4 / 7 + 1 / 2 + 4 / 5) / 3)
    assert metrics.accuracy(y, p) == pytest.approx(5 / 8)
    assert metrics.balanced_accuracy(y, p, 3) == pytest.approx((2 / 4 + 1 / 2 + 2 / 2) / 3)
    # class 3 is neither true nor predicted: it has no F1 and no recall, so it is left out
    assert metrics.macro_f1(y, p, 4) == metrics.macro_f1(y, p, 3)
    assert metrics.balanced_accuracy(y, p, 4) == metrics.balanced_accuracy(y, p, 3)


def _pairwise_auc(positive, scores):
    pos, neg = scores[positive], scores[~positive]
    wins = [(a > b) + 0.5 * (a == b) for a, b in itertools.product(pos, neg)]
    return np.mean(wins)


def test_auc_equals_pair_counting_with_ties():
    y = rng.integers(0, 2, 60)
    scores = rng.integers(0, 8, 60) / 8 + 0.1 * y  # few distinct values: many ties
    assert metrics.binary_auc(y == 1, scores) == pytest.approx(_pairwise_auc(y == 1, scores))
    assert metrics.auc(y, np.stack([1 - scores, scores], 1)) == pytest.approx(_pairwise_auc(y == 1, scores))
    assert np.isnan(metrics.binary_auc(np.ones(5, bool), scores[:5]))


def test_multiclass_auc_is_mean_one_vs_rest():
    y = rng.integers(0, 3, 45)
    scores = rng.dirichlet(np.ones(3), 45)
    expected = np.mean([_pairwise_auc(y == k, scores[:, k]) for k in range(3)])
    assert metrics.auc(y, scores) == pytest.approx(expected)


def test_threshold_is_the_best_candidate_by_brute_force():
    y = rng.integers(0, 2, 200)
    s = np.round(np.clip(0.3 * y + rng.uniform(0, 0.7, 200), 0, 1), 2)
    scores = np.stack([1 - s, s], 1)
    best = max(np.unique(s), key=lambda t: (metrics.macro_f1(y, (s >= t).astype(int), 2), -abs(t - 0.5)))
    assert metrics.tune_threshold(y, scores) == best


def test_median_filter_stays_inside_each_record_in_time_order():
    a = np.array([0.0, 1.0, 0.0, 1.0, 1.0])
    b = np.array([9.0, 9.0, -9.0])
    # records interleaved in the array, and record a stored in reverse time order
    scores = np.array([a[4], b[0], a[3], b[1], a[2], a[1], b[2], a[0]])
    groups = np.array(["a", "b", "a", "b", "a", "a", "b", "a"])
    order = np.array([4, 0, 3, 1, 2, 1, 2, 0])
    smoothed = metrics.median_filter(scores, groups, 3, order)
    # a in time order 0,1,0,1,1 -> medians over [0,1],[0,1,0],[1,0,1],[0,1,1],[1,1]
    np.testing.assert_array_equal(smoothed[groups == "a"][::-1], [0.5, 0.0, 1.0, 1.0, 1.0])
    np.testing.assert_array_equal(smoothed[groups == "b"], [9.0, 9.0, 0.0])
    with pytest.raises(ValueError, match="odd"):
        metrics.median_filter(scores, groups, 2)


def test_bootstrap_resamples_whole_groups():
    groups = np.repeat([f"r{i}" for i in range(10)], 7)
    for index in metrics.group_resamples(groups, 50, seed=3):
        assert len(index) == 70
        counts = np.unique(groups[index], return_counts=True)[1]
        assert np.all(counts % 7 == 0)


def test_group_bootstrap_interval_reflects_group_correlation():
    # 10 records of 100 windows: every window of records 0-4 right, of records 5-9 wrong.
    groups = np.repeat(np.arange(10), 100)
    y = np.zeros(1000, np.int64)
    right = groups < 5
    scores = np.stack([right, ~right], 1).astype(float)
    report = metrics.scores_report(y, scores, groups, threshold=None, resamples=1000, seed=0)
    acc = report["accuracy"]
    assert acc["value"] == 0.5
    # Resampling records gives accuracies k/10 only; an i.i.d. bootstrap of 1000 windows would
    # give an interval about +-0.03 wide, this one spans several records.
    assert acc["ci_low"] * 10 == pytest.approx(round(acc["ci_low"] * 10))
    assert acc["ci_high"] - acc["ci_low"] >= 0.4
    assert report["threshold"] is None
