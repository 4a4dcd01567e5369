"""Slim a converted ``.tflite`` to what TFLM reads, and align its buffers.

The converter stores every per-channel zero point of a weight tensor as an int64
(8 bytes each; 922 of them were 7.4 kB of a 27 kB export), quantization min/max,
and a ``CONVERSION_METADATA`` entry; TFLM reads none of them but the zero points,
and for those its allocator expands a one-entry vector to every channel
(``micro_allocator.cc``: "zero point arrays for weights can be reduced to a single
value"). Slimming rewrites, through the ``tflite-micro`` wheel's model editor:

* a per-channel zero-point vector whose entries are all 0 → ``[0]``;
* quantization ``min`` / ``max`` / ``details`` → absent;
* every metadata entry but ``OFFLINE_MEMORY_ALLOCATION`` (the only one TFLM's
  allocator reads) → absent, with its buffer;

then :func:`align` re-lays the file with the wheel's ``tflite_flatbuffer_align``
(the Python flatbuffers builder ignores the schema's ``force_align: 16`` on
buffers, which TFLM needs on device). Tensor shapes, ``shape_signature`` (our
runtime reads it), operators and buffers' bytes are untouched, so TFLM's outputs
are the converter file's outputs; ``pipeline`` checks parity on the slim file.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from tpw_export.errors import ExportError

# The one metadata entry TFLM's allocator reads (offline-planned tensor offsets).
_TFLM_METADATA = {"OFFLINE_MEMORY_ALLOCATION"}


def slim(flatbuffer: bytes) -> bytes:
    """The converter's ``flatbuffer`` without what TFLM does not read, aligned.

    Raises:
        ExportError: the model editor or the aligner cannot read the file.
    """
    from tflite_micro.tensorflow.lite.micro.compression import model_editor

    try:
        model = model_editor.read(flatbuffer)
    except Exception as error:  # the generated schema code raises struct / index errors
        raise ExportError(f"slim: the model editor cannot read the flatbuffer ({error})") from error
    for subgraph in model.subgraphs:
        for tensor in subgraph.tensors:
            quantization = tensor.quantization
            if quantization is not None and isinstance(quantization.zero_points, list) \
                    and len(quantization.zero_points) > 1 and not any(quantization.zero_points):
                quantization.zero_points = [0]
            if tensor._fb.quantization is not None:  # the editor manages scales and zero points only
                tensor._fb.quantization.min = tensor._fb.quantization.max = None
                tensor._fb.quantization.details = None
                tensor._fb.quantization.detailsType = 0
    _drop_metadata(model)
    return align(bytes(model.build()))


def _drop_metadata(model) -> None:
    """Remove metadata TFLM does not read. The editor re-emits ``model.metadata``
    into fresh buffers on build, so the entries' old buffers, which no tensor
    references, are pruned (with the deprecated ``metadata_buffer`` list)."""
    from tflite_micro.tensorflow.lite.micro.compression import model_editor

    model._fb.metadata = None
    model._fb.metadataBuffer = None
    model.metadata = {name: value for name, value in model.metadata.items() if name in _TFLM_METADATA}
    model_editor.prune_buffers(model)


def align(flatbuffer: bytes) -> bytes:
    """``flatbuffer`` re-laid by the wheel's ``tflite_flatbuffer_align`` (16-byte
    aligned buffers). The wrapper reads and writes files only, hence the folder.

    Raises:
        ExportError: the aligner fails (it raises RuntimeError with its reason).
    """
    from tflite_micro.tensorflow.lite.micro.tools import tflite_flatbuffer_align_wrapper as aligner

    with tempfile.TemporaryDirectory(prefix="tpw_align_") as folder:
        source, target = Path(folder) / "in.tflite", Path(folder) / "out.tflite"
        source.write_bytes(flatbuffer)
        try:
            aligner.align_tflite_model(str(source), str(target))
        except Exception as error:  # pybind11 turns the C++ failure into RuntimeError
            raise ExportError(f"slim: tflite_flatbuffer_align failed ({error})") from error
        return target.read_bytes()
