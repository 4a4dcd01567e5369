"""The firmware report that stands beside the ledger: the exported file run on the simulated
STM32L4 (:mod:`tpw_micro`), checked against TFLM, with its sizes and instruction counts.

``tpw-export --firmware`` writes it into the ledger file's ``firmware`` slot; the ledger
itself (:func:`tpw_export.ledger.build_ledger`) knows nothing of it.
"""
from __future__ import annotations

from tpw_export.errors import ExportError
from tpw_export.tflm import quantize_inputs, run_tflm
from tpw_micro.firmware import run_firmware
from tpw_micro.qemu import DEFAULT_TIMEOUT_S


def firmware_report(flatbuffer: bytes, dataset, *, windows: int = 4,
                    timeout: float = DEFAULT_TIMEOUT_S) -> dict:
    """The ledger's ``firmware`` slot for an exported model (what ``tpw-export --firmware`` writes).

    Runs the first ``windows`` test windows of ``dataset`` (train windows if the test
    split is empty) through the firmware on QEMU and through TFLM on the host.

    Args:
        flatbuffer: the exported INT8 ``.tflite``.
        dataset: a ``tpw_tf.data.Dataset`` whose windows are ``(N, 1, T, C)`` float32.
        windows: how many windows to run.

    Returns:
        ``section_sizes`` (text, rodata, data, bss, stack, arena, model_array,
        runtime_code, flash, sram) plus ``instructions_per_inference``,
        ``boot_instructions``, ``arena_used_bytes`` and ``windows``.

    Raises:
        ExportError: the firmware fails, or any output differs from TFLM's.
    """
    split = dataset.splits["test"] if len(dataset.splits["test"]) else dataset.splits["train"]
    x = quantize_inputs(flatbuffer, split.x[:windows])
    result = run_firmware(flatbuffer, x, timeout=timeout)
    expected = run_tflm(flatbuffer, x).reshape(len(x), -1)
    mismatched = [i for i, out in enumerate(result["outputs"]) if out != expected[i].tolist()]
    if mismatched:
        i = mismatched[0]
        raise ExportError(f"firmware: outputs differ from TFLM's on {len(mismatched)} of {len(x)} "
                          f"windows, first window {i}: {result['outputs'][i]} != {expected[i].tolist()}")
    return {**result["firmware"],
            "instructions_per_inference": result["instructions_per_inference"],
            "boot_instructions": result["boot_instructions"],
            "arena_used_bytes": result["arena_used_bytes"],
            "windows": len(x)}


def format_report(report: dict) -> str:
    """The report as one line for people."""
    return (f"firmware (STM32L475, QEMU): flash {report['flash']:,} B (runtime code "
            f"{report['runtime_code']:,} B, model {report['model_array']:,} B), SRAM {report['sram']:,} B, "
            f"{max(report['instructions_per_inference']):,} instructions per inference")
