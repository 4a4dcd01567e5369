"""Custom Keras layers of tpw (all ``tf_keras``, all serializable).

A layer whose weights the device does not store as one INT8 kernel states what
it stores (``StoresParts``); one that export replaces by a plain 1x1 Conv2D is
an ``ExpandsToKernel`` (``tpw_tf.layers.stored``).
"""
from tpw_tf.layers.generated_pointwise import HEADS, GeneratedPointwise
from tpw_tf.layers.latent_sample import LatentSample
from tpw_tf.layers.layer_code import LayerCode
from tpw_tf.layers.pointwise_generator import PointwiseGenerator
from tpw_tf.layers.shared_head import SharedHead
from tpw_tf.layers.stored import ExpandsToKernel, StoredPart, StoresParts
from tpw_tf.layers.ternary import TernaryPointwise

__all__ = ["HEADS", "ExpandsToKernel", "GeneratedPointwise", "LatentSample", "LayerCode",
           "PointwiseGenerator", "SharedHead", "StoredPart", "StoresParts", "TernaryPointwise"]
