// Subgraph: the parsed tensors and nodes of a model's one subgraph.
//
// Lifetime: every array lives in the arena tail (Tensor records, NodeRecords)
// or in the model flatbuffer (input/output index lists), so a Subgraph is valid
// while both the model and the interpreter that read it are.
#ifndef TPW_MICRO_RUNTIME_SUBGRAPH_H_
#define TPW_MICRO_RUNTIME_SUBGRAPH_H_

#include <stddef.h>
#include <stdint.h>

#include "tensor.h"

namespace tpw {

struct NodeRecord;  // defined in node_context.h

struct Subgraph {
  Tensor* tensors;
  int32_t num_tensors;
  NodeRecord* nodes;       // in execution order
  int32_t num_nodes;
  const int32_t* inputs;   // subgraph input tensor indices (validated)
  const int32_t* outputs;  // subgraph output tensor indices (validated)
  size_t num_inputs;
  size_t num_outputs;
};

}  // namespace tpw

#endif  // TPW_MICRO_RUNTIME_SUBGRAPH_H_
