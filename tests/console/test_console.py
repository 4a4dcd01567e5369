"""The one console-script ending: exit statuses and the single error line."""
from __future__ import annotations

import pytest

from tpw_tf.console import INTERRUPTED, run_command
from tpw_tf.errors import DataError


def _raise(error):
    def body():
        raise error
    return body


def test_a_body_that_returns_exits_with_its_status():
    assert run_command(lambda: None) == 0
    assert run_command(lambda: 3) == 3


@pytest.mark.parametrize("status", [1, 2])
def test_a_tpw_error_is_one_line_and_the_commands_status(capsys, status):
    assert run_command(_raise(DataError("x.dat: bad header")), error_status=status) == status
    assert capsys.readouterr().err == "error: x.dat: bad header\n"


def test_ctrl_c_exits_130_with_one_line(capsys):
    assert run_command(_raise(KeyboardInterrupt())) == INTERRUPTED == 130
    assert capsys.readouterr().err == "error: interrupted; no output written\n"


def test_a_bug_keeps_its_traceback():
    with pytest.raises(ZeroDivisionError):
        run_command(lambda: 1 / 0)
