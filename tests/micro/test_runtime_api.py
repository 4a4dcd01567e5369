"""The C++ API contract (states, argument errors, resolver capacity, message
truncation), checked by micro/runtime/host/api_test.cc on a converted model."""
import subprocess

from tpw_export import micro_runtime


def test_api_contract_checks_pass(small_model, tmp_path):
    sanitize = micro_runtime.sanitized()
    build = micro_runtime.build_dir()
    subprocess.run(["make", "-s", "-C", str(micro_runtime.RUNTIME_DIR), "api-test", f"BUILD_DIR={build}",
                    f"SANITIZE={int(sanitize)}"], check=True, capture_output=True)
    (tmp_path / "model.tflite").write_bytes(small_model)
    binary = build / ("api_test_asan" if sanitize else "api_test")
    result = subprocess.run([str(binary), str(tmp_path / "model.tflite")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "ok"
