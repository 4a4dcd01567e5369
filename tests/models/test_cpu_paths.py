"""Every zoo configuration trains on both TensorFlow CPU paths: oneDNN on and off.

TensorFlow enables oneDNN by default only on some CPUs; elsewhere its Eigen kernels run,
and those refuse some layer settings oneDNN takes (a DepthwiseConv2D with unequal row
and column strides). A suite that passes on one path proves nothing about the other, so
each setting gets its own process (TensorFlow reads the variable once, at load).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.mark.parametrize("onednn", ["0", "1"])
def test_every_zoo_configuration_trains_a_step(onednn):
    from train_step_every_model import configurations

    env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS=onednn, TF_CPP_MIN_LOG_LEVEL="2",
               PYTHONPATH=os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])))
    child = subprocess.run([sys.executable, str(HERE / "train_step_every_model.py")], env=env,
                           capture_output=True, text=True, timeout=900)
    lines = child.stdout.splitlines()
    assert child.returncode == 0, child.stdout[-3000:] + child.stderr[-2000:]
    assert lines[0] == f"onednn {onednn == '1'}", lines[0]
    assert lines[1:] == [f"ok {label}" for label, _, _ in configurations()]
