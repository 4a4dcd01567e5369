"""The firmware report that stands beside the ledger: the exported file run on the simulated
STM32L4 (:mod:`tpw_micro`), checked against TFLM, with its sizes and instruction counts.

``tpw-export --firmware`` writes it into the ledger file's ``firmware`` slot; the ledger
itself (:func:`tpw_export.ledger.build_ledger`) knows nothing of it.
"""
from __future__ import annotations

from tpw_export.convert import operators
from tpw_export.errors import ExportError
from tpw_export.tflm import quantize_inputs, run_tflm
from tpw_micro.firmware import run_firmware
from tpw_micro.qemu import DEFAULT_TIMEOUT_S

DECODE_OP = "TFLM_DECODE"
# What one firmware run contributes to the report, besides the ELF's section sizes.
_RUN_FIELDS = ("instructions_per_inference", "boot_instructions", "arena_used_bytes", "sram_used_bytes")


def firmware_report(file: bytes, dataset, *, schedule: str = "baked", baked: bytes | None = None,
                    synthesized: bool = False, windows: int = 4,
                    timeout: float = DEFAULT_TIMEOUT_S) -> dict:
    """The ledger's ``firmware`` slot for an exported model (what ``tpw-export --firmware`` writes).

    Runs the first ``windows`` test windows of ``dataset`` (train windows if the test
    split is empty) through the firmware built for ``file`` on QEMU, and checks its
    outputs against TFLM's: on ``baked`` when ``synthesized`` (stock TFLM has no decoder
    for tpw's type 128), else on ``file`` itself. A written DECODE schedule (``baked``
    given) is run beside its baked file on the same windows; what the DECODE operators
    cost is the difference of the two exact counts (``decode_*`` keys), since both files
    run the same kernels on the same shapes and differ only by the DECODEs.

    Args:
        file: the written INT8 ``.tflite`` (``Exported.file``).
        dataset: a ``tpw_tf.data.Dataset`` whose windows are ``(N, 1, T, C)`` float32.
        schedule: which schedule ``file`` is (``baked``, ``boot`` or ``lazy``).
        baked: the baked file of a ``boot`` / ``lazy`` ``file`` (``Exported.flatbuffer``),
            None when ``file`` is the baked schedule.
        synthesized: ``file``'s kernels are type-128 DECODEs (``Exported.synthesized``).
        windows: how many windows to run.
        timeout: seconds each simulator run may take.

    Returns:
        ``section_sizes`` of the ELF (text, rodata, data, bss, stack, arena, model_array,
        runtime_code, flash, sram; bytes) plus ``schedule``, ``file_bytes``, ``reference``
        (which file TFLM ran), ``windows``, ``decode_ops`` (DECODE operators in ``file``),
        ``instructions_per_inference`` (one int per window), ``boot_instructions`` (reset
        to the first inference: setup, AllocateTensors, and boot synthesis),
        ``arena_used_bytes`` and ``sram_used_bytes`` (static SRAM with the arena as used).
        With ``baked``: ``baked`` (the baked file's run: the keys above but ``reference``
        and ``decode_ops``), ``decode_instructions_per_inference`` (per window, this run's
        count minus the baked run's) and ``decode_boot_instructions`` (the same for
        ``boot_instructions``).

    Raises:
        ExportError: ``synthesized`` without ``baked``; TpwError (MicroError) the firmware
            fails; ExportError any output differs from TFLM's.
    """
    if synthesized and baked is None:
        raise ExportError(f"firmware: the {schedule} file synthesizes its kernels; TFLM needs its baked file "
                          "as the reference")
    reference = baked if synthesized else file
    split = dataset.splits["test"] if len(dataset.splits["test"]) else dataset.splits["train"]
    x = quantize_inputs(reference, split.x[:windows])
    outputs, report = _run(file, x, timeout)
    expected = run_tflm(reference, x).reshape(len(x), -1)
    mismatched = [i for i, out in enumerate(outputs) if out != expected[i].tolist()]
    if mismatched:
        i = mismatched[0]
        raise ExportError(f"firmware: the {schedule} file's outputs differ from TFLM's on "
                          f"{'the baked file' if synthesized else 'it'} on {len(mismatched)} of {len(x)} "
                          f"windows, first window {i}: {outputs[i]} != {expected[i].tolist()}")
    report.update(schedule=schedule, reference="baked file" if synthesized else f"{schedule} file",
                  windows=len(x), decode_ops=sum(op["op_name"] == DECODE_OP for op in operators(file)))
    if baked is not None:
        _, beside = _run(baked, x, timeout)
        report.update(
            baked=beside,
            decode_instructions_per_inference=[
                ours - theirs for ours, theirs in zip(report["instructions_per_inference"],
                                                      beside["instructions_per_inference"])],
            decode_boot_instructions=report["boot_instructions"] - beside["boot_instructions"])
    return report


def _run(flatbuffer: bytes, x, timeout: float) -> tuple[list, dict]:
    """One firmware run of ``flatbuffer`` on int8 ``x``: its outputs, and its figures (section
    sizes, file bytes, counts, arena and SRAM used)."""
    result = run_firmware(flatbuffer, x, timeout=timeout)
    return result["outputs"], {**result["firmware"], "file_bytes": len(flatbuffer),
                               **{key: result[key] for key in _RUN_FIELDS}}


def format_report(report: dict) -> str:
    """The report as lines for people."""
    lines = [f"firmware (STM32L475, QEMU), {report['schedule']} file, outputs == TFLM on the "
             f"{report['reference']}: flash {report['flash']:,} B (runtime code {report['runtime_code']:,} B, "
             f"model {report['model_array']:,} B), SRAM {report['sram_used_bytes']:,} B used "
             f"(arena {report['arena_used_bytes']:,} B), {max(report['instructions_per_inference']):,} "
             f"instructions per inference, {report['boot_instructions']:,} at boot"]
    if "baked" in report:
        baked = report["baked"]
        decode = max(report["decode_instructions_per_inference"])
        per_op = f", {decode / report['decode_ops']:,.0f} a DECODE" if report["decode_ops"] else ""
        lines.append(f"  beside the baked file: flash {baked['flash']:,} B, SRAM {baked['sram_used_bytes']:,} B, "
                     f"{max(baked['instructions_per_inference']):,} instructions per inference, "
                     f"{baked['boot_instructions']:,} at boot; {report['decode_ops']} DECODE ops cost "
                     f"{decode:+,} per inference{per_op} and {report['decode_boot_instructions']:+,} at boot")
    return "\n".join(lines)
