"""Custom Keras layers of tpw (all ``tf_keras``, all serializable)."""
