#include "node_context.h"

namespace tpw {
namespace {

// Operator table fields (TFLite schema).
constexpr int kOperatorBuiltinOptionsType = 3;
constexpr int kOperatorBuiltinOptions = 4;
// Tensor / QuantizationParameters table fields.
constexpr int kTensorQuantization = 4;
constexpr int kQuantScale = 2;
constexpr int kQuantZeroPoint = 3;
constexpr int kQuantDimension = 6;

}  // namespace

Status NodeContext::Error(StatusCode code) const {
  return Status::Error(code).Add(op_name()).Add(" (node ").Add(node_index_).Add("): ");
}

Status NodeContext::ExpectCounts(int32_t inputs, int32_t outputs) const {
  if (num_inputs() < inputs || num_outputs() != outputs) {
    return Error(StatusCode::kInvalidModel)
        .Add("expects ").Add(inputs).Add(" inputs and ").Add(outputs).Add(" outputs, got ")
        .Add(num_inputs()).Add(" and ").Add(num_outputs());
  }
  for (int32_t i = 0; i < inputs; ++i) {
    if (input(i) == nullptr) return Error(StatusCode::kInvalidModel).Add("input ").Add(i).Add(" missing");
  }
  for (int32_t i = 0; i < outputs; ++i) {
    if (output(i) == nullptr) return Error(StatusCode::kInvalidModel).Add("output ").Add(i).Add(" missing");
    if (output(i)->is_constant) return Error(StatusCode::kInvalidModel).Add("output ").Add(i).Add(" is constant");
  }
  return Status::Ok();
}

Status NodeContext::ExpectType(const Tensor* tensor, TensorType type, const char* what) const {
  if (tensor->type == type) return Status::Ok();
  return Error(StatusCode::kUnsupported)
      .Add(what).Add(" type ").Add(TensorTypeName(tensor->type)).Add(", expected ").Add(TensorTypeName(type));
}

Status NodeContext::Options(OptionsType type, fb::Table* out) const {
  TPW_RETURN_IF_ERROR(op_table_.SubTable(kOperatorBuiltinOptions, out));
  if (!out->valid()) return Status::Ok();
  uint8_t stored = 0;
  TPW_RETURN_IF_ERROR(op_table_.Scalar<uint8_t>(kOperatorBuiltinOptionsType, 0, &stored));
  if (stored != static_cast<uint8_t>(type)) {
    return Error(StatusCode::kInvalidModel)
        .Add("builtin options type ").Add(stored).Add(", expected ").Add(static_cast<int32_t>(type));
  }
  return Status::Ok();
}

Status NodeContext::InputQuantization(int32_t slot, ChannelQuantization* out) const {
  *out = ChannelQuantization{fb::Vector(), fb::Vector(), 0};
  if (slot < 0 || slot >= node_.inputs->size || node_.inputs->data[slot] < 0) {
    return Error(StatusCode::kInvalidModel).Add("input ").Add(slot).Add(" missing");
  }
  fb::Table tensor, quantization;
  TPW_RETURN_IF_ERROR(tensor_tables_.TableAt(static_cast<uint32_t>(node_.inputs->data[slot]), &tensor));
  TPW_RETURN_IF_ERROR(tensor.SubTable(kTensorQuantization, &quantization));
  if (!quantization.valid()) return Status::Ok();
  TPW_RETURN_IF_ERROR(quantization.VectorField(kQuantScale, 4, &out->scales));
  TPW_RETURN_IF_ERROR(quantization.VectorField(kQuantZeroPoint, 8, &out->zero_points));
  return quantization.Scalar<int32_t>(kQuantDimension, 0, &out->quantized_dimension);
}

Status NodeContext::AllocatePersistent(size_t bytes, void** out) {
  if (allocator_ == nullptr) return Error(StatusCode::kInvalidArgument).Add("allocation outside Prepare");
  Status status = allocator_->AllocatePersistent(bytes, out);
  if (!status.ok()) return Error(status.code()).Add(status.message());
  return Status::Ok();
}

}  // namespace tpw
