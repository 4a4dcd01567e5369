"""The C++ API contract (states, argument errors, resolver capacity, message
truncation), checked by micro/tpw_micro/runtime/host/api_test.cc on a converted model."""
import subprocess

from tpw_micro import host_runtime
from tpw_micro.build import RUNTIME_SOURCES, build_dir


def test_api_contract_checks_pass(small_model, tmp_path):
    sanitize = host_runtime.sanitized()
    build = build_dir() / "host"
    subprocess.run(["make", "-s", "-C", str(RUNTIME_SOURCES), "api-test", f"BUILD_DIR={build}",
                    f"SANITIZE={int(sanitize)}"], check=True, capture_output=True)
    (tmp_path / "model.tflite").write_bytes(small_model)
    binary = build / ("api_test_asan" if sanitize else "api_test")
    result = subprocess.run([str(binary), str(tmp_path / "model.tflite")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "ok"
