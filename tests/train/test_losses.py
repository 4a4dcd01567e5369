"""Each Eq. 5 term: its value against a numpy reference, and that it moves the gradient it targets."""
import numpy as np
import pytest
import tensorflow as tf

from tpw_tf import losses
from tpw_tf.models import build_model
from tpw_tf.train import Recipe, TrainStep, class_weights

from conftest import tiny_cnn, tiny_hypertinypw

rng = np.random.default_rng(0)
PROBS = rng.dirichlet(np.ones(4), size=16).astype(np.float32)
LABELS = rng.integers(0, 4, size=16)
WEIGHTS = rng.uniform(0.5, 2.0, size=16).astype(np.float32)


def _p_true():
    return PROBS[np.arange(16), LABELS].astype(np.float64)


def test_cross_entropy_matches_numpy():
    expected = np.mean(WEIGHTS * -np.log(_p_true()))
    assert losses.cross_entropy(LABELS, PROBS, WEIGHTS).numpy() == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("gamma", [0.0, 2.0])
def test_focal_matches_numpy(gamma):
    p = _p_true()
    expected = np.mean(WEIGHTS * -((1 - p) ** gamma) * np.log(p))
    assert losses.focal(LABELS, PROBS, WEIGHTS, gamma).numpy() == pytest.approx(expected, rel=1e-5)


def test_distillation_is_t_squared_kl_of_softened_distributions():
    teacher = rng.dirichlet(np.ones(4), size=16)
    t = 3.0

    def soften(p):
        z = np.log(p) / t
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    q, s = soften(teacher), soften(PROBS.astype(np.float64))
    expected = t * t * np.mean(np.sum(q * (np.log(q) - np.log(s)), axis=1))
    value = losses.distillation(PROBS, teacher.astype(np.float32), t).numpy()
    assert value == pytest.approx(expected, rel=1e-4)
    assert losses.distillation(PROBS, PROBS, t).numpy() == pytest.approx(0.0, abs=1e-6)


def test_soft_f1_is_zero_when_perfect_and_matches_numpy():
    onehot = np.eye(4, dtype=np.float32)[LABELS]
    assert losses.soft_f1(LABELS, onehot).numpy() == pytest.approx(0.0, abs=1e-6)
    tp = (onehot * PROBS).sum(0)
    fp = ((1 - onehot) * PROBS).sum(0)
    fn = (onehot * (1 - PROBS)).sum(0)
    expected = 1 - np.mean(2 * tp / (2 * tp + fp + fn))
    assert losses.soft_f1(LABELS, PROBS).numpy() == pytest.approx(expected, rel=1e-5)


def test_feature_matching_compares_batch_similarities_across_widths():
    student = rng.normal(size=(8, 5)).astype(np.float32)
    assert losses.feature_matching(student, 3.0 * student).numpy() == pytest.approx(0.0, abs=1e-6)
    teacher = rng.normal(size=(8, 12)).astype(np.float32)
    assert losses.feature_matching(student, teacher).numpy() > 1e-3


def test_spectral_is_sum_of_squared_largest_singular_values_with_their_gradient():
    a = rng.normal(size=(6, 4)).astype(np.float32)
    b = rng.normal(size=(3, 5, 7)).astype(np.float32)
    svd_a = np.linalg.svd(a)
    expected = svd_a[1][0] ** 2 + np.linalg.svd(b.reshape(15, 7), compute_uv=False)[0] ** 2
    variable = tf.Variable(a)
    with tf.GradientTape() as tape:
        value = losses.spectral([variable, tf.constant(b)])
    assert value.numpy() == pytest.approx(expected, rel=1e-4)
    # d sigma^2 / dW = 2 sigma u v^T
    u, s, vt = svd_a
    np.testing.assert_allclose(tape.gradient(value, variable).numpy(),
                               2 * s[0] * np.outer(u[:, 0], vt[0]), atol=1e-3)


def test_l1_sums_absolute_values():
    assert losses.l1([tf.constant([-1.5, 2.0]), tf.constant([[0.25]])]).numpy() == pytest.approx(3.75)
    assert losses.l1([]).numpy() == 0.0


# --- every term reaches the parameters it targets -----------------------------------------------

def _gradients(model, dataset, teacher=None, **options):
    """Gradient of the Eq. 5 loss for one batch of 32 train windows, by weight name."""
    recipe = Recipe.from_options(clip_norm=1e9, **options)
    split = dataset.splits["train"]
    step = TrainStep(model, recipe, teacher, class_weights(split.y, dataset.num_classes))
    _, grads, finite, _ = step.gradients(tf.constant(split.x[:32]), tf.constant(split.y[:32]))
    assert bool(finite)
    return {v.name: g.numpy() for v, g in zip(model.trainable_variables, grads)}


def _changed(before, after, pattern):
    names = [n for n in before if pattern in n]
    assert names, pattern
    return [n for n in names if not np.allclose(before[n], after[n], rtol=0, atol=1e-9)]


@pytest.mark.parametrize("options, baseline, targets", [
    (dict(ce_weight=1.0), dict(ce_weight=0.0, soft_f1_weight=1.0), ["classifier/kernel", "generator/", "code"]),
    (dict(focal_weight=1.0), {}, ["classifier/kernel", "generator/", "head_B"]),
    (dict(kd_alpha=0.5), {}, ["classifier/kernel", "generator/", "code"]),
    (dict(feature_weight=1.0), {}, ["generator/", "code", "stem_conv"]),
    (dict(soft_f1_weight=1.0), {}, ["classifier/kernel", "generator/", "code"]),
    (dict(spectral_weight=0.1), {}, ["generator/", "head_B", "block2_pw/head_kernel", "code"]),
    (dict(l1_weight=0.01), {}, ["head_B", "block3_pw/head_kernel", "block2_code"]),
])
def test_each_term_changes_the_gradient_of_its_targets(small, options, baseline, targets):
    model = tiny_hypertinypw(small)
    teacher = tiny_cnn(small, seed=1, filters=10)
    before = _gradients(model, small, teacher, **{**baseline})
    after = _gradients(model, small, teacher, **{**baseline, **options})
    for pattern in targets:
        names = [n for n in before if pattern in n]
        assert _changed(before, after, pattern) == names, pattern


def test_feature_matching_leaves_the_classifier_gradient_alone(small):
    model = tiny_hypertinypw(small)
    teacher = tiny_cnn(small, seed=1, filters=10)
    before = _gradients(model, small, teacher)
    after = _gradients(model, small, teacher, feature_weight=1.0)
    assert _changed(before, after, "classifier/") == []


def test_spectral_alone_reaches_only_what_makes_the_generated_kernels(small):
    model = tiny_hypertinypw(small)
    grads = _gradients(model, small, ce_weight=0.0, spectral_weight=1.0)
    moved = {n for n, g in grads.items() if np.any(g != 0)}
    makers = {n for n in grads if any(p in n for p in ("generator/", "head_", "_code/"))}
    assert moved == makers


def test_l1_alone_is_the_sign_of_heads_and_codes(small):
    model = tiny_hypertinypw(small)
    grads = _gradients(model, small, ce_weight=0.0, l1_weight=0.5)
    for v in model.trainable_variables:
        targeted = "head_" in v.name or "code" in v.name
        expected = 0.5 * np.sign(v.numpy()) if targeted else np.zeros(v.shape)
        np.testing.assert_allclose(grads[v.name], expected, atol=1e-7, err_msg=v.name)


def test_a_layer_added_loss_reaches_training(small):
    """The VAE latent's KL, added by its layer with add_loss, is part of the loss:
    with every Eq. 5 weight at zero it alone moves the latent's weights."""
    from tpw_tf.train import seed_everything

    config = dict(width=8, depth=2, stem_filters=8, latent_dim=4)
    grads = {}
    for kl_weight in (0.0, 1.0):
        seed_everything(0)
        model = build_model("tiny_vae_head", small.input_shape, small.num_classes, kl_weight=kl_weight,
                            **config)
        grads[kl_weight] = _gradients(model, small, None, ce_weight=0.0)
    assert not any(np.any(g) for g in grads[0.0].values())
    for branch in ("latent_mu/kernel", "latent_logvar/kernel"):
        assert np.any(grads[1.0][next(n for n in grads[1.0] if branch in n)]), branch
