#include "node_context.h"

namespace tpw {
namespace {

// Operator table fields (TFLite schema).
constexpr int kOperatorBuiltinOptionsType = 3;
constexpr int kOperatorBuiltinOptions = 4;
// Tensor / QuantizationParameters table fields.
constexpr int kTensorQuantization = 4;
constexpr int kTensorShapeSignature = 7;
constexpr int kQuantScale = 2;
constexpr int kQuantZeroPoint = 3;
constexpr int kQuantDimension = 6;

}  // namespace

Status NodeContext::Error(StatusCode code, const char* format, ...) const {
  Status status = Status::Error(code, "%s (node %d): ", op_name(), node_index_);
  va_list args;
  va_start(args, format);
  status.AppendV(format, args);
  va_end(args);
  return status;
}

Status NodeContext::ExpectCounts(int32_t inputs, int32_t outputs) const {
  if (num_inputs() < inputs || num_outputs() != outputs) {
    return Error(StatusCode::kInvalidModel, "expects %d inputs and %d outputs, got %d and %d",
        inputs, outputs, num_inputs(), num_outputs());
  }
  for (int32_t i = 0; i < inputs; ++i) {
    if (input(i) == nullptr) return Error(StatusCode::kInvalidModel, "input %d missing", i);
  }
  for (int32_t i = 0; i < outputs; ++i) {
    if (output(i) == nullptr) return Error(StatusCode::kInvalidModel, "output %d missing", i);
    if (output(i)->is_constant) return Error(StatusCode::kInvalidModel, "output %d is constant", i);
  }
  return Status::Ok();
}

Status NodeContext::ExpectType(const Tensor* tensor, TensorType type, const char* what) const {
  if (tensor->type == type) return Status::Ok();
  return Error(StatusCode::kUnsupported, "%s type %s, expected %s",
      what, TensorTypeName(tensor->type), TensorTypeName(type));
}

Status NodeContext::Options(OptionsType type, fb::Table* out) const {
  TPW_RETURN_IF_ERROR(op_table_.SubTable(kOperatorBuiltinOptions, out));
  if (!out->valid()) return Status::Ok();
  uint8_t stored = 0;
  TPW_RETURN_IF_ERROR(op_table_.Scalar<uint8_t>(kOperatorBuiltinOptionsType, 0, &stored));
  if (stored != static_cast<uint8_t>(type)) {
    return Error(StatusCode::kInvalidModel, "builtin options type %d, expected %d", stored, static_cast<int32_t>(type));
  }
  return Status::Ok();
}

Status NodeContext::InputQuantization(int32_t slot, ChannelQuantization* out) const {
  return Quantization(node_.inputs, slot, "input ", out);
}

Status NodeContext::OutputQuantization(int32_t slot, ChannelQuantization* out) const {
  return Quantization(node_.outputs, slot, "output ", out);
}

Status NodeContext::Quantization(const IntArray* indices, int32_t slot, const char* what,
                                 ChannelQuantization* out) const {
  *out = ChannelQuantization{fb::Vector(), fb::Vector(), 0};
  if (slot < 0 || slot >= indices->size || indices->data[slot] < 0) {
    return Error(StatusCode::kInvalidModel, "%s%d missing", what, slot);
  }
  fb::Table tensor, quantization;
  TPW_RETURN_IF_ERROR(tensor_tables_.TableAt(static_cast<uint32_t>(indices->data[slot]), &tensor));
  TPW_RETURN_IF_ERROR(tensor.SubTable(kTensorQuantization, &quantization));
  if (!quantization.valid()) return Status::Ok();
  TPW_RETURN_IF_ERROR(quantization.VectorField(kQuantScale, 4, &out->scales));
  TPW_RETURN_IF_ERROR(quantization.VectorField(kQuantZeroPoint, 8, &out->zero_points));
  return quantization.Scalar<int32_t>(kQuantDimension, 0, &out->quantized_dimension);
}

Status NodeContext::SetOutputShape(int32_t slot, const int32_t* dims, int32_t rank) {
  Tensor* tensor = output(slot);
  if (tensor == nullptr) return Error(StatusCode::kInvalidModel, "output %d missing", slot);
  const IntArray& stored = *tensor->dims;
  if (stored.size != rank) {
    return Error(StatusCode::kInvalidModel, "output has rank %d, computed %d", stored.size, rank);
  }
  fb::Table table;
  fb::Vector signature;
  TPW_RETURN_IF_ERROR(tensor_tables_.TableAt(static_cast<uint32_t>(node_.outputs->data[slot]), &table));
  TPW_RETURN_IF_ERROR(table.VectorField(kTensorShapeSignature, 4, &signature));
  const bool has_signature = signature.length() == static_cast<uint32_t>(rank);
  bool changed = false;
  size_t elements = 1;
  for (int32_t d = 0; d < rank; ++d) {
    // The same bound as parsing: every product stays below 2^31.
    if (dims[d] < 1 || elements > static_cast<size_t>(INT32_MAX) / static_cast<size_t>(dims[d])) {
      return Error(StatusCode::kUnsupported, "computed output dimension %d is %d", d, dims[d]);
    }
    elements *= static_cast<size_t>(dims[d]);
    if (dims[d] == stored.data[d]) continue;
    const bool dynamic = stored.data[d] == -1 || (has_signature && signature.Get<int32_t>(static_cast<uint32_t>(d)) == -1);
    if (!dynamic) {
      return Error(StatusCode::kInvalidModel,
          "output dimension %d is %d, inputs give %d (not dynamic in shape_signature)", d, stored.data[d], dims[d]);
    }
    changed = true;
  }
  if (!changed) return Status::Ok();
  const size_t element_size = TensorTypeSize(tensor->type);
  if (elements > static_cast<size_t>(INT32_MAX) / element_size) {
    return Error(StatusCode::kUnsupported, "computed output is larger than 2^31 bytes");
  }
  void* memory = nullptr;
  TPW_RETURN_IF_ERROR(AllocatePersistent(sizeof(int32_t) * (1 + static_cast<size_t>(rank)), &memory));
  IntArray* copy = static_cast<IntArray*>(memory);
  copy->size = rank;
  for (int32_t d = 0; d < rank; ++d) copy->data[d] = dims[d];
  tensor->dims = copy;
  tensor->bytes = elements * element_size;
  return Status::Ok();
}

Status NodeContext::AllocatePersistent(size_t bytes, void** out) {
  if (allocator_ == nullptr) return Error(StatusCode::kInvalidArgument, "allocation outside Prepare");
  Status status = allocator_->AllocatePersistent(bytes, out);
  if (!status.ok()) return Error(status.code(), "%s", status.message());
  return Status::Ok();
}

Status NodeContext::AllocateTemporary(size_t bytes, void** out) {
  if (allocator_ == nullptr) return Error(StatusCode::kInvalidArgument, "allocation outside Prepare");
  Status status = allocator_->AllocateTemporary(bytes, out);
  if (!status.ok()) return Error(status.code(), "%s", status.message());
  return Status::Ok();
}

Status NodeContext::RequestScratch(size_t bytes) {
  if (allocator_ == nullptr) return Error(StatusCode::kInvalidArgument, "scratch request outside Prepare");
  if (bytes > UINT32_MAX - kArenaAlignment) {
    Status status = allocator_->TooSmall(bytes);
    return Error(status.code(), "%s", status.message());
  }
  node_.scratch_bytes = static_cast<uint32_t>(bytes);
  return Status::Ok();
}

}  // namespace tpw
