"""Classification metrics in plain numpy (no TensorFlow, so tflite-runtime can share the process).

Labels are int ``(N,)`` class indices; scores are ``(N, K)`` class probabilities.
"""
from __future__ import annotations

import numpy as np


def confusion(labels: np.ndarray, predictions: np.ndarray, num_classes: int) -> np.ndarray:
    """``(K, K)`` counts, rows = true class, columns = predicted class."""
    return np.bincount(num_classes * np.asarray(labels, np.int64) + np.asarray(predictions, np.int64),
                       minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def _per_class(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tp = np.diag(cm).astype(np.float64)
    return tp, cm.sum(axis=0) - tp, cm.sum(axis=1) - tp


def macro_f1(labels: np.ndarray, predictions: np.ndarray, num_classes: int) -> float:
    """Mean F1 over the classes present in ``labels`` or ``predictions``.

    A class that is neither true nor predicted anywhere has no defined F1 and
    is left out (scikit-learn would count it as 0 with a warning).
    """
    tp, fp, fn = _per_class(confusion(labels, predictions, num_classes))
    seen = (tp + fp + fn) > 0
    return float(np.mean(2 * tp[seen] / (2 * tp[seen] + fp[seen] + fn[seen]))) if seen.any() else 0.0


def accuracy(labels: np.ndarray, predictions: np.ndarray) -> float:
    return float(np.mean(np.asarray(labels) == np.asarray(predictions))) if len(labels) else 0.0
