"""The unit tests beside the kernels (micro/tpw_micro/runtime/kernels/*_test.cc): what the
parity tests cannot reach, e.g. STRIDED_SLICE's index arithmetic on every begin / end /
stride of small axes. `make kernel-tests` builds and runs each; sanitized when the suite is."""
import subprocess

from tpw_micro import host_runtime
from tpw_micro.build import RUNTIME_SOURCES, build_dir


def test_kernel_unit_tests_pass():
    result = subprocess.run(["make", "-s", "-C", str(RUNTIME_SOURCES), "kernel-tests", f"BUILD_DIR={build_dir() / 'host'}",
                             f"SANITIZE={int(host_runtime.sanitized())}"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAILED" not in result.stdout and result.stdout.startswith("ok"), result.stdout
