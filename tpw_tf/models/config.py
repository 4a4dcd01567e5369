"""Config checking shared by the zoo builders: one place, one message format."""
from __future__ import annotations

from numbers import Integral, Real

from tpw_tf.errors import TpwError


def resolve(model: str, defaults: dict, config: dict, *, zero_ok: tuple = ()) -> dict:
    """Merge ``config`` over ``defaults`` and check every value against its default's type.

    Keys with an int default must be ints >= 1 (>= 0 for keys in ``zero_ok``); keys
    with a tuple default tuples of such ints (empty only if the default is); keys
    with a float default (rates, loss weights) reals >= 0. Raises TpwError naming
    the model, the key and the received value.
    """
    unknown = sorted(set(config) - set(defaults))
    if unknown:
        raise TpwError(f"model '{model}': unknown config keys {unknown}; known: {sorted(defaults)}")
    cfg = {**defaults, **config}
    for key, default in defaults.items():
        value = cfg[key]
        if isinstance(default, tuple):
            value = tuple(value) if isinstance(value, (list, tuple)) else (value,)
            # An empty default (optional hidden layers) allows an empty list.
            if (default and not value) or any(not _positive_int(v) for v in value):
                raise TpwError(f"model '{model}': {key} must be a {'non-empty ' if default else ''}"
                               f"list of positive ints, got {cfg[key]}")
            cfg[key] = tuple(int(v) for v in value)
        elif isinstance(default, int) and not _positive_int(value, minimum=int(key not in zero_ok)):
            raise TpwError(f"model '{model}': {key} must be an int >= {int(key not in zero_ok)}, "
                           f"got {value}")
        elif isinstance(default, int):
            cfg[key] = int(value)
        elif isinstance(default, float) and not (isinstance(value, Real) and value >= 0):
            raise TpwError(f"model '{model}': {key} must be a number >= 0, got {value}")
    return cfg


def _positive_int(value, minimum: int = 1) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool) and value >= minimum
