// Model reader: turns a TFLite flatbuffer into a Subgraph, checking every
// offset, index, size and alignment on the way (see flatbuffer.h).
//
// ReadSubgraph allocates the Tensor and NodeRecord arrays from the arena tail.
// A structural fault is kInvalidModel; kUnsupported is returned only after the
// whole file was found well-formed, so callers may hand such a file to TFLM.
#ifndef TPW_MICRO_RUNTIME_MODEL_READER_H_
#define TPW_MICRO_RUNTIME_MODEL_READER_H_

#include <stddef.h>
#include <stdint.h>

#include "arena_allocator.h"
#include "flatbuffer.h"
#include "op_resolver.h"
#include "status.h"
#include "subgraph.h"

namespace tpw {

// The model's root table and the vectors every step needs.
struct ModelView {
  fb::Vector opcodes, buffers, tensors, operators, inputs, outputs;
};

// Checks the root, file identifier, schema version and the single subgraph.
Status OpenModel(const uint8_t* data, size_t size, ModelView* view);

// Parses every tensor and operator of the model's subgraph into `graph`;
// each node's registration comes from `resolver`.
Status ReadSubgraph(const uint8_t* data, size_t size, const OpResolver& resolver,
                    ArenaAllocator& allocator, Subgraph* graph);

}  // namespace tpw

#endif  // TPW_MICRO_RUNTIME_MODEL_READER_H_
