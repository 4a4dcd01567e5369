"""Custom Keras layers of tpw (all ``tf_keras``, all serializable)."""
from tpw_tf.layers.generated_pointwise import HEADS, GeneratedPointwise
from tpw_tf.layers.layer_code import LayerCode
from tpw_tf.layers.pointwise_generator import PointwiseGenerator

__all__ = ["HEADS", "GeneratedPointwise", "LayerCode", "PointwiseGenerator"]
