"""What a layer stores on the device, stated by the layer: the exporter interface.

A layer whose weights the device does not store as one INT8 kernel says what it
stores instead by mixing in :class:`StoresParts`; a layer that export replaces by
a plain 1x1 Conv2D also mixes in :class:`ExpandsToKernel`. Bake packs and the
ledger counts exactly the :class:`StoredPart` s these layers return, so neither
looks for hooks by name.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf


@dataclass(frozen=True)
class StoredPart:
    """One tensor a device stores in place of (part of) an INT8 kernel.

    Attributes:
        group: the ledger component it adds to, e.g. ``"heads"`` or ``"ternary codes"``.
        count: numbers in the tensor (>= 1).
        bits: bits per number; ``None`` means packed at the export's ``--bits``
            (symmetric, with one float32 scale per tensor, ``tpw_export.packing``).
        weight: the variable bake packs; required when ``bits`` is ``None``.

    Raises:
        ValueError: ``count`` < 1, ``bits`` < 1, or ``bits=None`` without a ``weight``.
    """

    group: str
    count: int
    bits: int | None = None
    # A variable compares element-wise, so it takes no part in equality.
    weight: tf.Variable | None = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        if self.count < 1:
            raise ValueError(f"StoredPart '{self.group}': count must be >= 1. Received: count={self.count!r}")
        if self.bits is not None and self.bits < 1:
            raise ValueError(f"StoredPart '{self.group}': bits must be >= 1 or None. Received: bits={self.bits!r}")
        if self.bits is None and self.weight is None:
            raise ValueError(f"StoredPart '{self.group}': a part packed at the export's bits needs its "
                             "weight. Received: weight=None")

    @classmethod
    def packed(cls, group: str, weight) -> StoredPart:
        """``weight``, all of it, packed at the export's ``--bits``."""
        return cls(group, int(weight.shape.num_elements()), None, weight)


class StoresParts:
    """Mixin of a layer that states what the device stores for it.

    Attributes:
        stored_kind: the ledger ``kind`` of its parts: ``"generated"`` for the
            generator side (generator, codes, heads, channel scales), which
            the boot and lazy schedules store packed.
    """

    stored_kind = "generated"

    def stored_parts(self) -> list[StoredPart]:
        """The tensors the device stores for this layer (its built weights).

        Parts with ``bits=None`` are exactly the weights bake packs; a bias that
        becomes the baked convolution's bias is not a part (the ledger counts
        it with the baked model).
        """
        raise NotImplementedError(f"{type(self).__name__} must implement stored_parts()")


class ExpandsToKernel(StoresParts):
    """Mixin of a layer that export replaces by a plain 1x1 ``Conv2D(filters)``.

    The layer is called once, on ``x`` ``(batch, 1, T, Cin)`` or on
    ``[x, *kernel_inputs]``; kernel inputs must not depend on ``x``'s values (they
    come from generator-side layers), so export evaluates them once.

    Attributes:
        filters: output channels ``Cout`` of the replacing convolution.
    """

    filters: int

    def baked_kernel(self, *kernel_inputs) -> tuple[np.ndarray, np.ndarray | None]:
        """``(kernel (1, 1, Cin, Cout) float32, bias (Cout,) or None)`` for the plain Conv2D,
        given the evaluated kernel inputs (none for a layer called on ``x`` alone)."""
        raise NotImplementedError(f"{type(self).__name__} must implement baked_kernel()")
