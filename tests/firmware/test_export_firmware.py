"""``tpw-export --schedule boot --firmware`` end to end: the ledger's firmware slot is the
written file's run, checked against TFLM on its baked twin."""
import json
import subprocess
import sys

from tflite_micro.tensorflow.lite.micro.compression import decode_insert, model_editor


def test_boot_schedule_firmware_slot(tmp_path):
    out = tmp_path / "g.tflite"
    result = subprocess.run(
        [sys.executable, "-m", "tpw_export.cli", "--dataset", "synthetic", "--epochs", "1", "--quiet",
         "-m", "width=8", "-m", "depth=3", "--schedule", "boot", "--firmware", "--out", str(out)],
        capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    ledger = json.loads(out.with_suffix(".ledger.json").read_text())
    slot = ledger["firmware"]
    assert (slot["schedule"], slot["reference"]) == ("boot", "baked file")
    assert "firmware (STM32L475, QEMU), boot file, outputs == TFLM on the baked file" in result.stdout
    size = out.stat().st_size
    assert slot["file_bytes"] == slot["model_array"] == ledger["schedules"]["boot"]["flash_bytes"] == size
    assert slot["baked"]["file_bytes"] == ledger["flatbuffer_bytes"] != size
    operators = model_editor.read(out.read_bytes()).subgraphs[0].operators
    assert slot["decode_ops"] == sum(op.custom_code == decode_insert.DECODE_CUSTOM_OP_NAME for op in operators) > 0
    # The kernels are synthesized before the first inference: what boot costs over the baked file.
    assert slot["decode_boot_instructions"] > max(slot["decode_instructions_per_inference"]) >= 0
