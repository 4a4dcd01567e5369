"""tpw_eval: what an exported INT8 flatbuffer scores (``tpw-eval``) and sweeps of whole exports (``tpw-sweep``)."""
