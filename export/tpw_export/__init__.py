"""tpw_export: bake generated kernels, convert to INT8 TFLite, check parity, count bytes."""
import tpw_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
