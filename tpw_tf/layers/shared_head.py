"""The head projection that several generated layers share (``B`` of Eq. 3, or a shared basis)."""
from __future__ import annotations

import tf_keras as keras

from tpw_tf.layers.stored import StoredPart, StoresParts


@keras.utils.register_keras_serializable(package="tpw")
class SharedHead(StoresParts, keras.layers.Dense):
    """A ``Dense`` projection of the latent ``h_l`` shared by generated layers.

    It is an ordinary ``Dense`` (same arguments, same maths); what it adds is the
    statement that the device stores its weights packed (ledger group ``heads``).
    ``hypertinypw`` uses one bias-free instance as the factorized head's ``B``
    (``(d_h, r)``) and one per kernel shape as the ``shared_basis`` projection
    (``(d_h, Cin*Cout)``).

    Input shape: ``(1, d_h)``.
    Output shape: ``(1, units)``.
    """

    def stored_parts(self) -> list[StoredPart]:
        return [StoredPart.packed("heads", weight) for weight in self.weights]
