"""tpw_micro: the device side. It takes a ``.tflite`` and gives results.

* :mod:`tpw_micro.host_runtime` - the C++ micro runtime (``runtime/``) built and run on the host;
* :mod:`tpw_micro.firmware` - the STM32L4 harness (``firmware/stm32l4/``) built for a model and
  run on QEMU (:mod:`tpw_micro.qemu`, instruction counts from the plugin in ``sim/``),
  its sizes read from the ELF (:mod:`tpw_micro.elf`);
* :mod:`tpw_micro.cli` - ``tpw-micro-run`` and ``tpw-sim``.

It imports no training or export code, nor TensorFlow or the TFLite runtimes.
"""
