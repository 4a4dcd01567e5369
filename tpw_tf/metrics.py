"""Classification metrics and the evaluation protocol, in plain numpy.

No TensorFlow here, so the INT8 evaluator's TensorFlow-free child can use these.
Labels are int ``(N,)`` class indices; scores are ``(N, K)`` class probabilities;
groups are ``(N,)`` record / patient / speaker ids.

The protocol: a binary decision threshold is tuned on validation scores only
(:func:`tune_threshold`); scores may be smoothed within one record in time
order (:func:`median_filter`); 95% confidence intervals come from a bootstrap
that resamples whole groups (:func:`group_bootstrap`), because windows of one
record are correlated and an i.i.d. bootstrap would make the intervals too narrow.
"""
from __future__ import annotations

import numpy as np

METRICS = ("macro_f1", "accuracy", "balanced_accuracy", "auc")


def confusion(labels: np.ndarray, predictions: np.ndarray, num_classes: int) -> np.ndarray:
    """``(K, K)`` counts, rows = true class, columns = predicted class."""
    return np.bincount(num_classes * np.asarray(labels, np.int64) + np.asarray(predictions, np.int64),
                       minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def macro_f1(labels: np.ndarray, predictions: np.ndarray, num_classes: int) -> float:
    """Mean F1 over the classes present in ``labels`` or ``predictions``.

    A class that is neither true nor predicted anywhere has no defined F1 and
    is left out (scikit-learn would count it as 0 with a warning).
    """
    cm = confusion(labels, predictions, num_classes)
    tp = np.diag(cm).astype(np.float64)
    fp, fn = cm.sum(axis=0) - tp, cm.sum(axis=1) - tp
    seen = (tp + fp + fn) > 0
    return float(np.mean(2 * tp[seen] / (2 * tp[seen] + fp[seen] + fn[seen]))) if seen.any() else float("nan")


def accuracy(labels: np.ndarray, predictions: np.ndarray) -> float:
    return float(np.mean(np.asarray(labels) == np.asarray(predictions))) if len(labels) else float("nan")


def balanced_accuracy(labels: np.ndarray, predictions: np.ndarray, num_classes: int) -> float:
    """Mean recall over the classes present in ``labels``."""
    cm = confusion(labels, predictions, num_classes)
    support = cm.sum(axis=1)
    present = support > 0
    return float(np.mean(np.diag(cm)[present] / support[present])) if present.any() else float("nan")


def binary_auc(positive: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC: P(score of a random positive > that of a random negative), ties counting one half.

    Computed from average ranks (Mann-Whitney U). NaN when one side is empty.
    """
    positive = np.asarray(positive, bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = np.asarray(scores)[order]
    # Average 1-based rank of each run of tied scores.
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    ends = np.r_[starts[1:], len(scores)]
    ranks = np.empty(len(scores))
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC of ``(N, K)`` scores: of class 1 when K = 2, else the mean one-vs-rest AUC.

    Classes without both positives and negatives are left out of the mean.
    """
    scores = np.asarray(scores)
    if scores.shape[1] == 2:
        return binary_auc(labels == 1, scores[:, 1])
    values = [binary_auc(labels == k, scores[:, k]) for k in range(scores.shape[1])]
    values = [v for v in values if not np.isnan(v)]
    return float(np.mean(values)) if values else float("nan")


def decide(scores: np.ndarray, threshold: float | None) -> np.ndarray:
    """Class decisions: ``score_1 >= threshold`` for binary scores with a threshold, else argmax."""
    if threshold is None:
        return np.asarray(scores).argmax(axis=1)
    return (np.asarray(scores)[:, 1] >= threshold).astype(np.int64)


def tune_threshold(labels: np.ndarray, scores: np.ndarray) -> float:
    """The threshold on ``scores[:, 1]`` that maximizes macro-F1 on these (validation) windows.

    Every distinct score is a candidate (deciding ``score >= t``); among equal
    best candidates the one nearest 0.5 wins, so a flat optimum does not drift
    to an extreme. Binary ``(N, 2)`` scores only.
    """
    scores = np.asarray(scores)
    if scores.ndim != 2 or scores.shape[1] != 2:
        raise ValueError(f"tune_threshold needs (N, 2) scores, got {scores.shape}")
    positive = np.asarray(labels) == 1
    candidates = np.unique(scores[:, 1])
    # Windows at or above each candidate, counted by binary search instead of one pass per candidate.
    tp = positive.sum() - np.searchsorted(np.sort(scores[positive, 1]), candidates, side="left")
    fp = (~positive).sum() - np.searchsorted(np.sort(scores[~positive, 1]), candidates, side="left")
    fn = positive.sum() - tp
    tn = (~positive).sum() - fp
    with np.errstate(invalid="ignore", divide="ignore"):
        # A class neither true nor predicted gives 0/0 and is left out, as in macro_f1.
        f1 = np.nanmean([2 * tp / (2 * tp + fp + fn), 2 * tn / (2 * tn + fn + fp)], axis=0)
    best = candidates[f1 == f1.max()]
    return float(best[np.argmin(np.abs(best - 0.5))])


def median_filter(scores: np.ndarray, groups: np.ndarray, width: int,
                  order: np.ndarray | None = None) -> np.ndarray:
    """Running median of ``scores`` ``(N, ...)`` along time, within each group only.

    Args:
        scores: values to smooth (each column separately).
        groups: ``(N,)`` record ids; a window's median only reads windows of its own record.
        width: odd window length in windows; 1 returns a copy. Near a record's
            ends the window shrinks to what the record has.
        order: ``(N,)`` time position of each window within its record; by
            default the position in the array (loaders emit a record's windows in time order).

    Returns:
        The smoothed scores in the input's order.
    """
    if width < 1 or width % 2 == 0:
        raise ValueError(f"median filter width must be an odd positive int, got {width}")
    scores = np.asarray(scores)
    order = np.arange(len(scores)) if order is None else np.asarray(order)
    smoothed = scores.astype(np.float64, copy=True)
    half = width // 2
    for group in np.unique(groups):
        members = np.flatnonzero(groups == group)
        members = members[np.argsort(order[members], kind="mergesort")]
        values = scores[members]
        for i, index in enumerate(members):
            smoothed[index] = np.median(values[max(0, i - half):i + half + 1], axis=0)
    return smoothed


def group_resamples(groups: np.ndarray, resamples: int, seed: int):
    """Yield ``resamples`` index arrays, each the windows of groups drawn with replacement.

    Each resample draws as many groups as there are, uniformly with
    replacement, and takes all windows of every drawn group.
    """
    names, inverse = np.unique(groups, return_inverse=True)
    members = [np.flatnonzero(inverse == g) for g in range(len(names))]
    rng = np.random.default_rng(seed)
    for _ in range(resamples):
        yield np.concatenate([members[g] for g in rng.integers(0, len(names), size=len(names))])


def scores_report(labels: np.ndarray, scores: np.ndarray, groups: np.ndarray, *,
                  threshold: float | None, resamples: int = 1000, seed: int = 0,
                  level: float = 0.95) -> dict:
    """Every metric of :data:`METRICS` as ``{value, ci_low, ci_high}``, plus ``threshold``.

    Args:
        labels: ``(N,)`` true classes.
        scores: ``(N, K)`` class probabilities (of the INT8 model).
        groups: ``(N,)`` ids resampled as units by the bootstrap.
        threshold: binary decision threshold (tuned elsewhere, on validation),
            or None for argmax decisions.
        resamples: bootstrap resamples.
        seed: bootstrap seed.
        level: confidence level of the percentile interval.
    """
    num_classes = scores.shape[1]

    def evaluate(index):
        y, s = labels[index], scores[index]
        predicted = decide(s, threshold)
        return {"macro_f1": macro_f1(y, predicted, num_classes), "accuracy": accuracy(y, predicted),
                "balanced_accuracy": balanced_accuracy(y, predicted, num_classes), "auc": auc(y, s)}

    point = evaluate(np.arange(len(labels)))
    samples = [evaluate(index) for index in group_resamples(groups, resamples, seed)]
    tail = 100 * (1 - level) / 2
    report = {}
    for name in METRICS:
        values = np.array([s[name] for s in samples])
        values = values[~np.isnan(values)]  # e.g. AUC of a resample holding one class only
        low, high = (np.percentile(values, [tail, 100 - tail]) if len(values) else (np.nan, np.nan))
        report[name] = {"value": point[name], "ci_low": float(low), "ci_high": float(high)}
    report["threshold"] = threshold
    return report
