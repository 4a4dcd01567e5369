"""The terms of the training loss (Eq. 5), each a small differentiable function.

Every zoo model ends in a softmax, so the classification terms take class
probabilities ``(B, K)`` and work on their logarithm: ``log p`` differs from the
logits by a per-row constant, which softmax (and so temperature scaling)
ignores. :func:`train.train` weights and sums these terms; each term is tested
to move the gradient of the parameters it targets.
"""
from __future__ import annotations

import tensorflow as tf

# Probabilities are clipped before the log so a saturated softmax gives a large
# but finite loss (the NaN guard in training is for real divergence, not this).
_EPS = 1e-7


def log_probs(probs: tf.Tensor) -> tf.Tensor:
    """``log p`` of softmax outputs ``(B, K)``, clipped away from ``log 0``."""
    return tf.math.log(tf.clip_by_value(probs, _EPS, 1.0))


def cross_entropy(labels: tf.Tensor, probs: tf.Tensor, sample_weights: tf.Tensor) -> tf.Tensor:
    """Weighted mean cross-entropy.

    Args:
        labels: int ``(B,)`` class indices.
        probs: ``(B, K)`` softmax outputs.
        sample_weights: ``(B,)`` per-sample weights (class balancing).
    """
    nll = -tf.gather(log_probs(probs), labels, batch_dims=1)
    return tf.reduce_mean(sample_weights * nll)


def focal(labels: tf.Tensor, probs: tf.Tensor, sample_weights: tf.Tensor, gamma: float) -> tf.Tensor:
    """Weighted mean focal loss ``-(1 - p_y)^gamma log p_y`` (Lin et al. 2017); shapes as CE."""
    log_p = tf.gather(log_probs(probs), labels, batch_dims=1)
    modulator = tf.pow(1.0 - tf.exp(log_p), gamma)
    return tf.reduce_mean(sample_weights * -modulator * log_p)


def distillation(student_probs: tf.Tensor, teacher_probs: tf.Tensor, temperature: float) -> tf.Tensor:
    """``T^2 KL(teacher_T || student_T)`` over the batch (Hinton et al. 2015).

    Both ``(B, K)`` probability tensors are softened as ``softmax(log p / T)``;
    the ``T^2`` factor keeps the gradient scale independent of ``T``.
    """
    teacher = tf.nn.softmax(log_probs(teacher_probs) / temperature)
    student_log = tf.nn.log_softmax(log_probs(student_probs) / temperature)
    kl = tf.reduce_sum(teacher * (tf.math.log(tf.clip_by_value(teacher, _EPS, 1.0)) - student_log),
                       axis=-1)
    return temperature ** 2 * tf.reduce_mean(kl)


def feature_matching(student_features: tf.Tensor, teacher_features: tf.Tensor) -> tf.Tensor:
    """Similarity-preserving match of pooled features (Tung and Mori 2019).

    The student ``(B, Cs)`` and teacher ``(B, Ct)`` pooled features usually
    differ in width, so their batch similarity matrices ``(B, B)`` are matched
    instead of the vectors: no projection weights are added to the student.
    """
    def similarity(features):
        gram = tf.matmul(features, features, transpose_b=True)
        return tf.math.l2_normalize(gram, axis=1)

    batch = tf.cast(tf.shape(student_features)[0], tf.float32)
    difference = similarity(student_features) - similarity(teacher_features)
    return tf.reduce_sum(tf.square(difference)) / (batch * batch)


def soft_f1(labels: tf.Tensor, probs: tf.Tensor) -> tf.Tensor:
    """``1 - macro F1`` with probabilities as soft counts; ``(B,)`` labels, ``(B, K)`` probs.

    A class absent from the batch contributes ``1 - 0/(FP + eps)``, i.e. it
    pushes its false positives down, which is what an absent class should do.
    """
    onehot = tf.one_hot(labels, tf.shape(probs)[-1], dtype=probs.dtype)
    tp = tf.reduce_sum(onehot * probs, axis=0)
    fp = tf.reduce_sum((1.0 - onehot) * probs, axis=0)
    fn = tf.reduce_sum(onehot * (1.0 - probs), axis=0)
    f1 = 2.0 * tp / (2.0 * tp + fp + fn + _EPS)
    return 1.0 - tf.reduce_mean(f1)


def spectral(kernels: list[tf.Tensor], iterations: int = 20) -> tf.Tensor:
    """Sum of squared largest singular values of ``kernels``.

    Each kernel is read as a matrix ``(prod(shape[:-1]), shape[-1])`` (a
    ``(Cin, Cout)`` generated pointwise kernel, a ``(d_in, d_out)`` generator
    weight). The largest singular value comes from a fixed number of power
    iterations started from a constant vector, so it is deterministic; the
    iteration vectors are held constant and the gradient flows through
    ``sigma = ||W v||`` (as in spectral normalization, Miyato et al. 2018).

    Args:
        kernels: tensors of rank >= 2 (an empty list gives 0).
        iterations: power iterations per kernel.
    """
    total = tf.constant(0.0)
    for kernel in kernels:
        matrix = tf.reshape(kernel, (-1, kernel.shape[-1]))
        v = tf.fill((matrix.shape[-1], 1), 1.0 / float(matrix.shape[-1]) ** 0.5)
        frozen = tf.stop_gradient(matrix)
        for _ in range(iterations):
            v = tf.math.l2_normalize(tf.matmul(frozen, tf.matmul(frozen, v), transpose_a=True))
        total += tf.reduce_sum(tf.square(tf.matmul(matrix, tf.stop_gradient(v))))
    return total


def l1(weights: list[tf.Tensor]) -> tf.Tensor:
    """Sum of absolute values of ``weights`` (the size penalty on heads and codes)."""
    return tf.add_n([tf.reduce_sum(tf.abs(w)) for w in weights]) if weights else tf.constant(0.0)
