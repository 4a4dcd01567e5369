#include "micro_interpreter.h"

#include <string.h>

#include "arena_allocator.h"
#include "flatbuffer.h"
#include "memory_planner.h"
#include "node_context.h"

namespace tpw {
namespace {

// Field numbers of the TFLite schema tables we read.
constexpr int kModelVersion = 0, kModelOperatorCodes = 1, kModelSubgraphs = 2, kModelBuffers = 4;
constexpr int kOpCodeDeprecatedBuiltin = 0, kOpCodeBuiltin = 3;
constexpr int kSubgraphTensors = 0, kSubgraphInputs = 1, kSubgraphOutputs = 2, kSubgraphOperators = 3;
constexpr int kTensorShape = 0, kTensorType = 1, kTensorBuffer = 2, kTensorQuantization = 4,
              kTensorIsVariable = 5, kTensorSparsity = 6;
constexpr int kBufferData = 0, kBufferOffset = 1;
constexpr int kQuantScale = 2, kQuantZeroPoint = 3;
constexpr int kOperatorOpcodeIndex = 0, kOperatorInputs = 1, kOperatorOutputs = 2;

constexpr uint32_t kSchemaVersion = 3;
constexpr int32_t kMaxRank = 6;
constexpr int32_t kCustomOpCode = 32;

const IntArray kScalarShape = {0};  // also the empty index list

Status Invalid() { return Status::Error(StatusCode::kInvalidModel); }

// The model's root table and the vectors every step needs.
struct ModelView {
  fb::Vector opcodes, buffers, tensors, operators, inputs, outputs;
};

Status OpenModel(const uint8_t* data, size_t size, ModelView* view) {
  fb::Table model, subgraph;
  fb::Vector subgraphs;
  TPW_RETURN_IF_ERROR(fb::Table::OpenRoot(data, size, &model));
  // OpenRoot guarantees 8 bytes: the root offset, then the file identifier.
  if (memcmp(data + 4, "TFL3", 4) != 0) return Invalid().Add("missing TFL3 file identifier");
  uint32_t version = 0;
  TPW_RETURN_IF_ERROR(model.Scalar<uint32_t>(kModelVersion, 0, &version));
  if (version != kSchemaVersion) {
    return Invalid().Add("schema version ").Add(static_cast<int32_t>(version)).Add(", expected 3");
  }
  TPW_RETURN_IF_ERROR(model.VectorField(kModelOperatorCodes, 4, &view->opcodes));
  TPW_RETURN_IF_ERROR(model.VectorField(kModelBuffers, 4, &view->buffers));
  TPW_RETURN_IF_ERROR(model.VectorField(kModelSubgraphs, 4, &subgraphs));
  if (subgraphs.length() != 1) {
    return Status::Error(StatusCode::kUnsupported)
        .Add("model has ").Add(static_cast<int32_t>(subgraphs.length())).Add(" subgraphs, expected 1");
  }
  TPW_RETURN_IF_ERROR(subgraphs.TableAt(0, &subgraph));
  TPW_RETURN_IF_ERROR(subgraph.VectorField(kSubgraphTensors, 4, &view->tensors));
  TPW_RETURN_IF_ERROR(subgraph.VectorField(kSubgraphOperators, 4, &view->operators));
  TPW_RETURN_IF_ERROR(subgraph.VectorField(kSubgraphInputs, 4, &view->inputs));
  return subgraph.VectorField(kSubgraphOutputs, 4, &view->outputs);
}

// An int32 vector seen as an IntArray (same layout: length word, then values);
// an absent vector has no length word in the buffer, so it maps to kScalarShape.
const IntArray* AsIntArray(const fb::Vector& vector) {
  if (vector.length() == 0) return &kScalarShape;
  return reinterpret_cast<const IntArray*>(vector.data() - 4);
}

// Checks every entry of a tensor index list: -1 (omitted) only if allowed.
Status CheckIndices(const fb::Vector& indices, int32_t num_tensors, bool allow_omitted, const char* what) {
  for (uint32_t i = 0; i < indices.length(); ++i) {
    int32_t index = indices.Get<int32_t>(i);
    if ((index == -1 && allow_omitted) || (index >= 0 && index < num_tensors)) continue;
    return Invalid().Add(what).Add(" refers to tensor ").Add(index).Add(" of ").Add(num_tensors);
  }
  return Status::Ok();
}

// A stored extent of -1 is a dimension the model leaves to runtime (TFLM's
// RESHAPE stretches it); such a tensor has no size until a kernel's Prepare
// computes its shape, and bytes stays 0 until then.
Status ParseShape(const fb::Table& table, int32_t index, Tensor* tensor, size_t* elements) {
  fb::Vector shape;
  TPW_RETURN_IF_ERROR(table.VectorField(kTensorShape, 4, &shape));
  if (shape.length() > static_cast<uint32_t>(kMaxRank)) {
    return Status::Error(StatusCode::kUnsupported)
        .Add("tensor ").Add(index).Add(" has rank ").Add(static_cast<int32_t>(shape.length()))
        .Add(", expected at most ").Add(kMaxRank);
  }
  tensor->dims = AsIntArray(shape);
  *elements = 1;
  bool known = true;
  for (uint32_t d = 0; d < shape.length(); ++d) {
    int32_t extent = shape.Get<int32_t>(d);
    if (extent == -1) {
      known = false;
      continue;
    }
    // Products stay below 2^31 so kernels can index with int32.
    if (extent < 1 || *elements > static_cast<size_t>(INT32_MAX) / static_cast<size_t>(extent)) {
      return Status::Error(StatusCode::kUnsupported)
          .Add("tensor ").Add(index).Add(" dimension ").Add(static_cast<int32_t>(d)).Add(" is ").Add(extent)
          .Add(", expected -1 or a positive extent (product < 2^31)");
    }
    *elements *= static_cast<size_t>(extent);
  }
  if (!known) *elements = 0;
  return Status::Ok();
}

Status ParseQuantization(const fb::Table& table, int32_t index, Tensor* tensor) {
  fb::Table quantization;
  fb::Vector scales, zero_points;
  TPW_RETURN_IF_ERROR(table.SubTable(kTensorQuantization, &quantization));
  if (!quantization.valid()) return Status::Ok();
  TPW_RETURN_IF_ERROR(quantization.VectorField(kQuantScale, 4, &scales));
  TPW_RETURN_IF_ERROR(quantization.VectorField(kQuantZeroPoint, 8, &zero_points));
  if (scales.length() == 0) return Status::Ok();
  // TFLM also takes one zero point shared by every per-channel scale.
  if (zero_points.length() > 1 && zero_points.length() != scales.length()) {
    return Invalid().Add("tensor ").Add(index).Add(" has ").Add(static_cast<int32_t>(zero_points.length()))
        .Add(" zero points for ").Add(static_cast<int32_t>(scales.length())).Add(" scales, expected 0, 1 or as many");
  }
  tensor->params.scale = scales.Get<float>(0);
  int64_t zero_point = zero_points.length() == 0 ? 0 : zero_points.Get<int64_t>(0);
  if (zero_point < INT32_MIN || zero_point > INT32_MAX) {
    return Invalid().Add("tensor ").Add(index).Add(": zero point out of int32 range");
  }
  tensor->params.zero_point = static_cast<int32_t>(zero_point);
  return Status::Ok();
}

// Points a constant tensor at its buffer, checking size and alignment.
Status ParseBuffer(const fb::Table& table, const ModelView& model, int32_t index, Tensor* tensor) {
  uint32_t buffer_index = 0;
  TPW_RETURN_IF_ERROR(table.Scalar<uint32_t>(kTensorBuffer, 0, &buffer_index));
  if (buffer_index >= model.buffers.length()) {
    if (buffer_index == 0) return Status::Ok();  // a model may omit the empty sentinel buffer
    return Invalid().Add("tensor ").Add(index).Add(" uses missing buffer ").Add(static_cast<int32_t>(buffer_index));
  }
  fb::Table buffer;
  fb::Vector data;
  TPW_RETURN_IF_ERROR(model.buffers.TableAt(buffer_index, &buffer));
  if (buffer.Has(kBufferOffset)) {
    return Status::Error(StatusCode::kUnsupported).Add("tensor ").Add(index).Add(": external buffer data");
  }
  TPW_RETURN_IF_ERROR(buffer.VectorField(kBufferData, 1, &data));
  if (data.length() == 0) return Status::Ok();
  if (!ShapeKnown(*tensor->dims)) {
    return Invalid().Add("constant tensor ").Add(index).Add(" has a -1 dimension, expected a fixed shape");
  }
  if (data.length() != tensor->bytes) {
    return Invalid().Add("tensor ").Add(index).Add(" has ").Add(static_cast<int32_t>(data.length()))
        .Add(" data bytes, shape needs ").Add(static_cast<int32_t>(tensor->bytes));
  }
  if (reinterpret_cast<uintptr_t>(data.data()) % TensorTypeSize(tensor->type) != 0) {
    return Invalid().Add("tensor ").Add(index).Add(": misaligned constant data");
  }
  tensor->data.raw = const_cast<uint8_t*>(data.data());  // never written: constants are read-only inputs
  tensor->is_constant = true;
  return Status::Ok();
}

Status ParseTensor(const ModelView& model, int32_t index, Tensor* tensor) {
  fb::Table table;
  TPW_RETURN_IF_ERROR(model.tensors.TableAt(static_cast<uint32_t>(index), &table));
  int8_t type = 0;
  uint8_t is_variable = 0;  // a bool field, read as a byte: any non-zero value is true
  TPW_RETURN_IF_ERROR(table.Scalar<int8_t>(kTensorType, 0, &type));
  TPW_RETURN_IF_ERROR(table.Scalar<uint8_t>(kTensorIsVariable, 0, &is_variable));
  tensor->type = static_cast<TensorType>(type);
  if (TensorTypeSize(tensor->type) == 0) {
    return Status::Error(StatusCode::kUnsupported).Add("tensor ").Add(index).Add(" has type code ").Add(type);
  }
  if (is_variable != 0 || table.Has(kTensorSparsity)) {
    return Status::Error(StatusCode::kUnsupported).Add("tensor ").Add(index).Add(" is variable or sparse");
  }
  size_t elements = 0;
  TPW_RETURN_IF_ERROR(ParseShape(table, index, tensor, &elements));
  if (elements > INT32_MAX / TensorTypeSize(tensor->type)) {
    return Status::Error(StatusCode::kUnsupported).Add("tensor ").Add(index).Add(" too large");
  }
  tensor->bytes = elements * TensorTypeSize(tensor->type);
  TPW_RETURN_IF_ERROR(ParseQuantization(table, index, tensor));
  return ParseBuffer(table, model, index, tensor);
}

Status ParseOperator(const ModelView& model, const OpResolver& resolver, int32_t index,
                     int32_t num_tensors, NodeRecord* node) {
  fb::Table op, opcode;
  fb::Vector inputs, outputs;
  TPW_RETURN_IF_ERROR(model.operators.TableAt(static_cast<uint32_t>(index), &op));
  uint32_t opcode_index = 0;
  TPW_RETURN_IF_ERROR(op.Scalar<uint32_t>(kOperatorOpcodeIndex, 0, &opcode_index));
  if (opcode_index >= model.opcodes.length()) {
    return Invalid().Add("node ").Add(index).Add(" uses missing opcode ").Add(static_cast<int32_t>(opcode_index));
  }
  TPW_RETURN_IF_ERROR(model.opcodes.TableAt(opcode_index, &opcode));
  int8_t deprecated_code = 0;
  int32_t code = 0;
  TPW_RETURN_IF_ERROR(opcode.Scalar<int8_t>(kOpCodeDeprecatedBuiltin, 0, &deprecated_code));
  TPW_RETURN_IF_ERROR(opcode.Scalar<int32_t>(kOpCodeBuiltin, 0, &code));
  // Schema rule: the real code is the larger of the two fields.
  if (deprecated_code > code) code = deprecated_code;
  node->builtin_code = code;
  // Structure first: an op we do not run is reported only for a well-formed node.
  TPW_RETURN_IF_ERROR(op.VectorField(kOperatorInputs, 4, &inputs));
  TPW_RETURN_IF_ERROR(op.VectorField(kOperatorOutputs, 4, &outputs));
  TPW_RETURN_IF_ERROR(CheckIndices(inputs, num_tensors, true, "operator input"));
  TPW_RETURN_IF_ERROR(CheckIndices(outputs, num_tensors, false, "operator output"));
  node->inputs = AsIntArray(inputs);
  node->outputs = AsIntArray(outputs);
  TPW_RETURN_IF_ERROR(resolver.Lookup(opcode, code, &node->registration));
  if (node->registration == nullptr) {
    Status status = Status::Error(StatusCode::kUnsupported).Add("node ").Add(index);
    if (code == kCustomOpCode) return status.Add(": custom operators are not supported");
    return status.Add(": builtin operator ").Add(code).Add(" is not supported");
  }
  return Status::Ok();
}

// Widens [first, last] of `request` to include node `at`.
void Touch(BufferRequest* request, int32_t at) {
  if (request->first_use < 0 || at < request->first_use) request->first_use = at;
  if (at > request->last_use) request->last_use = at;
}

}  // namespace

MicroInterpreter::MicroInterpreter(const uint8_t* model_data, size_t model_size,
                                   const OpResolver& resolver, uint8_t* arena, size_t arena_size)
    : model_data_(model_data), model_size_(model_size), resolver_(resolver), arena_(arena),
      arena_size_(arena_size), tensors_(nullptr), num_tensors_(0), nodes_(nullptr), num_nodes_(0),
      inputs_(nullptr), outputs_(nullptr), num_inputs_(0), num_outputs_(0), used_bytes_(0),
      ready_(false) {}

Status MicroInterpreter::AllocateTensors() {
  ready_ = false;
  if (model_data_ == nullptr || arena_ == nullptr) {
    return Status::Error(StatusCode::kInvalidArgument).Add("model data or arena is null");
  }
  if (reinterpret_cast<uintptr_t>(model_data_) % 4 != 0) {
    return Status::Error(StatusCode::kInvalidArgument).Add("model data must be 4-byte aligned");
  }
  ArenaAllocator allocator(arena_, arena_size_);
  TPW_RETURN_IF_ERROR(Parse(allocator));
  TPW_RETURN_IF_ERROR(PrepareNodes(allocator));
  TPW_RETURN_IF_ERROR(PlanMemory(allocator));
  ready_ = true;
  return Status::Ok();
}

Status MicroInterpreter::Parse(ArenaAllocator& allocator) {
  ModelView model;
  TPW_RETURN_IF_ERROR(OpenModel(model_data_, model_size_, &model));
  num_tensors_ = static_cast<int32_t>(model.tensors.length());
  num_nodes_ = static_cast<int32_t>(model.operators.length());
  TPW_RETURN_IF_ERROR(allocator.AllocateArray(static_cast<size_t>(num_tensors_), &tensors_));
  TPW_RETURN_IF_ERROR(allocator.AllocateArray(static_cast<size_t>(num_nodes_), &nodes_));
  for (int32_t i = 0; i < num_tensors_; ++i) TPW_RETURN_IF_ERROR(ParseTensor(model, i, &tensors_[i]));
  TPW_RETURN_IF_ERROR(CheckIndices(model.inputs, num_tensors_, false, "subgraph input"));
  TPW_RETURN_IF_ERROR(CheckIndices(model.outputs, num_tensors_, false, "subgraph output"));
  // Every part is checked for structure before anything is refused as unsupported, so
  // kUnsupported means a well-formed file (tpw then lets TFLM, in a child, try it).
  Status unsupported = Status::Ok();
  for (uint32_t i = 0; i < model.inputs.length(); ++i) {
    const Tensor& input = tensors_[model.inputs.Get<int32_t>(i)];
    if (input.is_constant) {
      return Invalid().Add("subgraph input ").Add(static_cast<int32_t>(i)).Add(" is a constant tensor");
    }
    if (!ShapeKnown(*input.dims) && unsupported.ok()) {
      unsupported = Status::Error(StatusCode::kUnsupported).Add("subgraph input ").Add(static_cast<int32_t>(i))
          .Add(" has a -1 dimension, expected a fixed shape");
    }
  }
  inputs_ = AsIntArray(model.inputs)->data;
  outputs_ = AsIntArray(model.outputs)->data;
  num_inputs_ = model.inputs.length();
  num_outputs_ = model.outputs.length();
  for (int32_t i = 0; i < num_nodes_; ++i) {
    Status status = ParseOperator(model, resolver_, i, num_tensors_, &nodes_[i]);
    if (status.code() != StatusCode::kUnsupported) {
      TPW_RETURN_IF_ERROR(status);
    } else if (unsupported.ok()) {
      unsupported = status;
    }
  }
  return unsupported;
}

Status MicroInterpreter::PrepareNodes(ArenaAllocator& allocator) {
  ModelView model;
  TPW_RETURN_IF_ERROR(OpenModel(model_data_, model_size_, &model));
  for (int32_t i = 0; i < num_nodes_; ++i) {
    fb::Table op;
    TPW_RETURN_IF_ERROR(model.operators.TableAt(static_cast<uint32_t>(i), &op));
    NodeContext context(nodes_[i], i, op, model.tensors, tensors_, &allocator);
    TPW_RETURN_IF_ERROR(nodes_[i].registration->prepare(context));
    // A -1 left in an output shape means the kernel does not compute that
    // shape; planning needs every size, so refuse here, naming the op.
    for (int32_t k = 0; k < context.num_outputs(); ++k) {
      if (!ShapeKnown(*context.output(k)->dims)) {
        return context.Error(StatusCode::kUnsupported).Add("output ").Add(k)
            .Add(" has a -1 dimension this op does not compute");
      }
    }
  }
  return Status::Ok();
}

Status MicroInterpreter::PlanMemory(ArenaAllocator& allocator) {
  // Planner records sit in the free middle of the arena while planning; the
  // planned tensors overwrite them afterwards.
  size_t record_bytes = static_cast<size_t>(num_tensors_) * (sizeof(BufferRequest) + 2 * sizeof(int32_t));
  if (record_bytes > allocator.free_bytes()) return allocator.TooSmall(record_bytes);
  BufferRequest* requests = reinterpret_cast<BufferRequest*>(allocator.head());
  int32_t* order = reinterpret_cast<int32_t*>(requests + num_tensors_);
  int32_t* ids = order + num_tensors_;  // tensor index of each planned buffer
  for (int32_t t = 0; t < num_tensors_; ++t) {
    requests[t] = BufferRequest{static_cast<uint32_t>(AlignUp(tensors_[t].bytes, kArenaAlignment)), -1, -1, 0};
  }
  const int32_t end = num_nodes_;  // subgraph inputs/outputs are alive across all nodes
  for (size_t i = 0; i < num_inputs_; ++i) Touch(&requests[inputs_[i]], 0);
  for (size_t i = 0; i < num_outputs_; ++i) Touch(&requests[outputs_[i]], end);
  for (int32_t n = 0; n < num_nodes_; ++n) {
    const NodeRecord& node = nodes_[n];
    for (int32_t k = 0; k < node.inputs->size; ++k) {
      int32_t t = node.inputs->data[k];
      if (t < 0 || tensors_[t].is_constant) continue;
      if (requests[t].first_use < 0) {
        return Invalid().Add("node ").Add(n).Add(" reads tensor ").Add(t).Add(" before it is written");
      }
      Touch(&requests[t], n);
    }
    for (int32_t k = 0; k < node.outputs->size; ++k) {
      int32_t t = node.outputs->data[k];
      if (requests[t].first_use >= 0 && requests[t].first_use < n) {
        return Invalid().Add("node ").Add(n).Add(" writes tensor ").Add(t).Add(" that already has a value");
      }
      Touch(&requests[t], n);
    }
  }
  // Unused and constant tensors get no arena memory: plan only the live ones.
  int32_t live = 0;
  for (int32_t t = 0; t < num_tensors_; ++t) {
    if (tensors_[t].is_constant || requests[t].first_use < 0) continue;
    requests[live] = requests[t];
    ids[live] = t;
    ++live;
  }
  size_t head = PlanBuffers(requests, live, order);
  if (head > allocator.free_bytes()) return allocator.TooSmall(head);
  for (int32_t i = 0; i < live; ++i) tensors_[ids[i]].data.raw = allocator.head() + requests[i].offset;
  size_t peak = head > record_bytes ? head : record_bytes;
  used_bytes_ = AlignUp(peak, kArenaAlignment) + allocator.persistent_bytes();
  return Status::Ok();
}

Tensor* MicroInterpreter::input(size_t index) {
  return ready_ && index < num_inputs_ ? &tensors_[inputs_[index]] : nullptr;
}

Tensor* MicroInterpreter::output(size_t index) {
  return ready_ && index < num_outputs_ ? &tensors_[outputs_[index]] : nullptr;
}

Status MicroInterpreter::Invoke() {
  if (!ready_) return Status::Error(StatusCode::kNotReady).Add("Invoke() before a successful AllocateTensors()");
  fb::Table no_options;
  fb::Vector no_tensors;
  for (int32_t i = 0; i < num_nodes_; ++i) {
    NodeContext context(nodes_[i], i, no_options, no_tensors, tensors_, nullptr);
    TPW_RETURN_IF_ERROR(nodes_[i].registration->eval(context));
  }
  return Status::Ok();
}

}  // namespace tpw
