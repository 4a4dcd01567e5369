"""Shapes and quantization the converter or a user leaves unusual, run as TFLM runs them.

- The shared case `tflite-dynamic-batch-space-to-batch` (a dilated conv
  converted with a None batch): SPACE_TO_BATCH_ND stores the batch-1 shape
  for a tensor whose batch is 2. The runtime computes the shape in Prepare and
  equals tf.lite's reference kernels. TFLM (tflite-micro#3185; its fix #2335
  was reverted) keeps the stored shape and leaves half of BATCH_TO_SPACE_ND's
  output unwritten, so its answer depends on what ran before: the test below
  shows it, and fails once TFLM computes the shape, when TFLM becomes the oracle.
- One zero point shared by per-channel scales, and a zero filter scale: TFLM
  accepts both; the runtime gives its result.
- What the runtime refuses, it names with what it expected.
"""

import numpy as np
import pytest
from tflite_micro.python.tflite_micro import runtime
from tflite_micro.tensorflow.lite.micro.compression import model_editor

import micro_parity as parity
from tpw_micro import host_runtime
from tpw_tf.errors import TpwError  # the host runtime raises MicroError, a TpwError

@pytest.fixture
def dynamic_case(case) -> tuple[bytes, np.ndarray]:
    """The shared dynamic-batch SPACE_TO_BATCH_ND model and its inputs."""
    folder = case("tflite-dynamic-batch-space-to-batch")
    return (folder / "model.tflite").read_bytes(), np.load(folder / "in.npy")


def edited(model: bytes, edit) -> bytes:
    """The model rebuilt by the wheel's model editor after `edit(tensor)` on every tensor."""
    editable = model_editor.read(model)
    for tensor in editable.subgraphs[0].tensors:
        edit(tensor)
    return bytes(editable.build())


def per_channel_weights(tensor) -> bool:
    """An int8 weight tensor with per-channel scales (biases have per-channel scales too, unused)."""
    q = tensor.quantization
    return (tensor.numpy_dtype == np.int8 and q is not None and not isinstance(q.scales, (int, float))
            and len(q.scales) > 1)


def refusal(model: bytes) -> str:
    with pytest.raises(TpwError) as error:
        host_runtime.describe(model)
    assert "(exit" not in str(error.value), str(error.value)
    return str(error.value)


def test_shared_dynamic_batch_space_to_batch_matches_reference_kernels(dynamic_case):
    model, x = dynamic_case
    (ours,) = host_runtime.run(model, [x])
    (reference,) = parity.run_reference(model, [x])
    assert np.array_equal(ours, reference), f"ours\n{ours}\nreference\n{reference}"


def test_tflm_answer_on_the_shared_case_depends_on_the_previous_input(dynamic_case):
    """Why the oracle above is not TFLM. If this fails, TFLM computes the shape: compare with TFLM."""
    model, x = dynamic_case
    interpreter = runtime.Interpreter.from_bytes(model, arena_size=parity.TFLM_ARENA_BYTES)
    answers = []
    for sample in (x[0], x[1], x[0]):
        interpreter.set_input(sample[None], 0)
        interpreter.invoke()
        answers.append(interpreter.get_output(0).copy())
    assert not np.array_equal(answers[0], answers[2])


def test_one_zero_point_for_per_channel_scales_matches_tflm(small_model):
    changed = []

    def share_zero_point(tensor):
        if per_channel_weights(tensor) and not any(tensor.quantization.zero_points):
            tensor.quantization.zero_points = [0]
            changed.append(tensor.name)

    model = edited(small_model, share_zero_point)
    assert changed
    names = [f"{name} (zero points of {', '.join(changed)} shared)" for name in parity.output_case_names(small_model)]
    inputs = parity.random_inputs(small_model, 4, 0)
    assert not parity.compare(model, inputs, names)
    for ours, original in zip(host_runtime.run(model, inputs), host_runtime.run(small_model, inputs)):
        assert np.array_equal(ours, original)


def test_zero_filter_scale_matches_tflm(small_model):
    """An all-zero channel stored with scale 0: TFLM's multiplier is 0, the output the zero point."""
    zeroed = []

    def zero_first_scale(tensor):
        if per_channel_weights(tensor) and not zeroed:
            tensor.quantization.scales = [0.0, *tensor.quantization.scales[1:]]
            zeroed.append(tensor.name)

    model = edited(small_model, zero_first_scale)
    assert zeroed
    names = [f"{name} (scale 0 in {zeroed[0]})" for name in parity.output_case_names(small_model)]
    failures = parity.compare(model, parity.random_inputs(model, 4, 1), names)
    assert not failures, "\n".join(failures)


def test_zero_point_count_refusal_says_what_was_expected(small_model):
    def two_zero_points(tensor):
        if per_channel_weights(tensor) and len(tensor.quantization.scales) > 2:
            tensor.quantization.zero_points = [0, 0]

    message = refusal(edited(small_model, two_zero_points))
    assert "2 zero points for" in message and "expected 0, 1 or as many" in message, message


def test_zero_output_scale_refusal_says_what_was_expected(dynamic_case):
    """TFLM divides by the output scale (an undefined conversion of inf), so the runtime refuses it."""
    model, _ = dynamic_case

    def zero_output_scale(tensor):
        if tensor.name == "StatefulPartitionedCall:0":
            tensor.quantization.scales = [0.0]

    message = refusal(edited(model, zero_output_scale))
    assert "output scale is zero, expected finite and > 0" in message, message


def test_stored_shape_that_is_not_dynamic_is_refused_with_both_values(dynamic_case):
    """Without -1 in shape_signature the stored shape is the model's word: a disagreement is an error."""
    model, _ = dynamic_case

    def fixed_signature(tensor):
        tensor._fb.shapeSignature = None  # the editor has no public field for it

    message = refusal(edited(model, fixed_signature))
    assert "SPACE_TO_BATCH_ND (node 0): output dimension 0 is 1, inputs give 2" in message, message
