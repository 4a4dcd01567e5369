"""Custom Keras layers of tpw (all ``tf_keras``, all serializable)."""
from tpw_tf.layers.generated_pointwise import HEADS, GeneratedPointwise
from tpw_tf.layers.latent_sample import LatentSample
from tpw_tf.layers.layer_code import LayerCode
from tpw_tf.layers.pointwise_generator import PointwiseGenerator
from tpw_tf.layers.ternary import TernaryPointwise

__all__ = ["HEADS", "GeneratedPointwise", "LatentSample", "LayerCode", "PointwiseGenerator",
           "TernaryPointwise"]
