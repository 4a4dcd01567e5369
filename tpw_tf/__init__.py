"""Keras side of tpw: generator layers, model zoo, dataset loaders and training.

tensorflow-model-optimization only works with the Keras 2 API, so the whole
project runs on ``tf_keras``; the variable must be set before TensorFlow loads.
"""
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
