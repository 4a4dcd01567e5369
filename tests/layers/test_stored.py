"""StoredPart: what a layer states it stores, validated at construction."""
import pytest
import tensorflow as tf

from tpw_tf.layers import StoredPart, StoresParts


def test_packed_part_counts_its_weight():
    weight = tf.Variable(tf.zeros((3, 4)))
    part = StoredPart.packed("heads", weight)
    assert (part.group, part.count, part.bits, part.weight) == ("heads", 12, None, weight)
    assert part == StoredPart("heads", 12, None, tf.Variable(tf.ones(12)))  # the weight is not compared


@pytest.mark.parametrize("kwargs, message", [
    (dict(group="codes", count=0, bits=2), "count=0"),
    (dict(group="codes", count=4, bits=0), "bits=0"),
    (dict(group="codes", count=4), "Received: weight=None"),
])
def test_bad_parts_name_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=message):
        StoredPart(**kwargs)


def test_a_layer_must_state_its_parts():
    with pytest.raises(NotImplementedError, match="stored_parts"):
        StoresParts().stored_parts()
