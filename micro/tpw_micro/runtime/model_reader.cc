#include "model_reader.h"

#include <string.h>

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

const IntArray kScalarShape = {0};  // also the empty index list

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
    return Status::Error(StatusCode::kInvalidModel, "%s refers to tensor %d of %d", what, index, num_tensors);
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
    return Status::Error(StatusCode::kUnsupported, "tensor %d has rank %d, expected at most %d",
        index, static_cast<int32_t>(shape.length()), kMaxRank);
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
      return Status::Error(StatusCode::kUnsupported,
          "tensor %d dimension %d is %d, expected -1 or a positive extent (product < 2^31)",
          index, static_cast<int32_t>(d), extent);
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
    return Status::Error(StatusCode::kInvalidModel,
        "tensor %d has %d zero points for %d scales, expected 0, 1 or as many",
        index, static_cast<int32_t>(zero_points.length()), static_cast<int32_t>(scales.length()));
  }
  tensor->params.scale = scales.Get<float>(0);
  int64_t zero_point = zero_points.length() == 0 ? 0 : zero_points.Get<int64_t>(0);
  if (zero_point < INT32_MIN || zero_point > INT32_MAX) {
    return Status::Error(StatusCode::kInvalidModel, "tensor %d: zero point out of int32 range", index);
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
    return Status::Error(StatusCode::kInvalidModel, "tensor %d uses missing buffer %d",
        index, static_cast<int32_t>(buffer_index));
  }
  fb::Table buffer;
  fb::Vector data;
  TPW_RETURN_IF_ERROR(model.buffers.TableAt(buffer_index, &buffer));
  if (buffer.Has(kBufferOffset)) {
    return Status::Error(StatusCode::kUnsupported, "tensor %d: external buffer data", index);
  }
  TPW_RETURN_IF_ERROR(buffer.VectorField(kBufferData, 1, &data));
  if (data.length() == 0) return Status::Ok();
  if (!ShapeKnown(*tensor->dims)) {
    return Status::Error(StatusCode::kInvalidModel, "constant tensor %d has a -1 dimension, expected a fixed shape",
        index);
  }
  if (data.length() != tensor->bytes) {
    return Status::Error(StatusCode::kInvalidModel, "tensor %d has %d data bytes, shape needs %d",
        index, static_cast<int32_t>(data.length()), static_cast<int32_t>(tensor->bytes));
  }
  if (reinterpret_cast<uintptr_t>(data.data()) % TensorTypeSize(tensor->type) != 0) {
    return Status::Error(StatusCode::kInvalidModel, "tensor %d: misaligned constant data", index);
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
    return Status::Error(StatusCode::kUnsupported, "tensor %d has type code %d", index, type);
  }
  if (is_variable != 0 || table.Has(kTensorSparsity)) {
    return Status::Error(StatusCode::kUnsupported, "tensor %d is variable or sparse", index);
  }
  size_t elements = 0;
  TPW_RETURN_IF_ERROR(ParseShape(table, index, tensor, &elements));
  if (elements > INT32_MAX / TensorTypeSize(tensor->type)) {
    return Status::Error(StatusCode::kUnsupported, "tensor %d too large", index);
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
    return Status::Error(StatusCode::kInvalidModel, "node %d uses missing opcode %d",
        index, static_cast<int32_t>(opcode_index));
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
    if (code == kCustomOperatorCode) {
      return Status::Error(StatusCode::kUnsupported, "node %d: custom operators are not supported", index);
    }
    return Status::Error(StatusCode::kUnsupported, "node %d: builtin operator %d is not supported", index, code);
  }
  return Status::Ok();
}

}  // namespace

Status OpenModel(const uint8_t* data, size_t size, ModelView* view) {
  fb::Table model, subgraph;
  fb::Vector subgraphs;
  TPW_RETURN_IF_ERROR(fb::Table::OpenRoot(data, size, &model));
  // OpenRoot guarantees 8 bytes: the root offset, then the file identifier.
  if (memcmp(data + 4, "TFL3", 4) != 0) return Status::Error(StatusCode::kInvalidModel, "missing TFL3 file identifier");
  uint32_t version = 0;
  TPW_RETURN_IF_ERROR(model.Scalar<uint32_t>(kModelVersion, 0, &version));
  if (version != kSchemaVersion) {
    return Status::Error(StatusCode::kInvalidModel, "schema version %d, expected 3", static_cast<int32_t>(version));
  }
  TPW_RETURN_IF_ERROR(model.VectorField(kModelOperatorCodes, 4, &view->opcodes));
  TPW_RETURN_IF_ERROR(model.VectorField(kModelBuffers, 4, &view->buffers));
  TPW_RETURN_IF_ERROR(model.VectorField(kModelSubgraphs, 4, &subgraphs));
  if (subgraphs.length() != 1) {
    return Status::Error(StatusCode::kUnsupported, "model has %d subgraphs, expected 1",
        static_cast<int32_t>(subgraphs.length()));
  }
  TPW_RETURN_IF_ERROR(subgraphs.TableAt(0, &subgraph));
  TPW_RETURN_IF_ERROR(subgraph.VectorField(kSubgraphTensors, 4, &view->tensors));
  TPW_RETURN_IF_ERROR(subgraph.VectorField(kSubgraphOperators, 4, &view->operators));
  TPW_RETURN_IF_ERROR(subgraph.VectorField(kSubgraphInputs, 4, &view->inputs));
  return subgraph.VectorField(kSubgraphOutputs, 4, &view->outputs);
}

Status ReadSubgraph(const uint8_t* data, size_t size, const OpResolver& resolver,
                    ArenaAllocator& allocator, Subgraph* graph) {
  ModelView model;
  TPW_RETURN_IF_ERROR(OpenModel(data, size, &model));
  graph->num_tensors = static_cast<int32_t>(model.tensors.length());
  graph->num_nodes = static_cast<int32_t>(model.operators.length());
  TPW_RETURN_IF_ERROR(allocator.AllocateArray(static_cast<size_t>(graph->num_tensors), &graph->tensors));
  TPW_RETURN_IF_ERROR(allocator.AllocateArray(static_cast<size_t>(graph->num_nodes), &graph->nodes));
  for (int32_t i = 0; i < graph->num_tensors; ++i) TPW_RETURN_IF_ERROR(ParseTensor(model, i, &graph->tensors[i]));
  TPW_RETURN_IF_ERROR(CheckIndices(model.inputs, graph->num_tensors, false, "subgraph input"));
  TPW_RETURN_IF_ERROR(CheckIndices(model.outputs, graph->num_tensors, false, "subgraph output"));
  // Every part is checked for structure before anything is refused as unsupported, so
  // kUnsupported means a well-formed file (tpw then lets TFLM, in a child, try it).
  Status unsupported = Status::Ok();
  for (uint32_t i = 0; i < model.inputs.length(); ++i) {
    const Tensor& input = graph->tensors[model.inputs.Get<int32_t>(i)];
    if (input.is_constant) {
      return Status::Error(StatusCode::kInvalidModel, "subgraph input %d is a constant tensor",
          static_cast<int32_t>(i));
    }
    if (!ShapeKnown(*input.dims) && unsupported.ok()) {
      unsupported = Status::Error(StatusCode::kUnsupported,
          "subgraph input %d has a -1 dimension, expected a fixed shape", static_cast<int32_t>(i));
    }
  }
  graph->inputs = AsIntArray(model.inputs)->data;
  graph->outputs = AsIntArray(model.outputs)->data;
  graph->num_inputs = model.inputs.length();
  graph->num_outputs = model.outputs.length();
  for (int32_t i = 0; i < graph->num_nodes; ++i) {
    Status status = ParseOperator(model, resolver, i, graph->num_tensors, &graph->nodes[i]);
    if (status.code() != StatusCode::kUnsupported) {
      TPW_RETURN_IF_ERROR(status);
    } else if (unsupported.ok()) {
      unsupported = status;
    }
  }
  return unsupported;
}

}  // namespace tpw
