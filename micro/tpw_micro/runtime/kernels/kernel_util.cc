#include "kernels/kernel_util.h"

#include <math.h>

namespace tpw {
namespace {

// Tensor slots the shared checks read: every op's data input and first output,
// and a weighted op's filter.
constexpr int32_t kInputTensor = 0;
constexpr int32_t kFilterTensor = 1;
constexpr int32_t kOutputTensor = 0;

}  // namespace

Status ExpectRank(const NodeContext& node, const Tensor* tensor, int32_t rank, const char* what) {
  if (Rank(tensor) == rank) return Status::Ok();
  return node.Error(StatusCode::kUnsupported, "%s has rank %d, expected %d", what, Rank(tensor), rank);
}

Status SameShapeOutput(NodeContext& node) {
  const IntArray& dims = *node.input(kInputTensor)->dims;
  return node.SetOutputShape(0, dims.data, dims.size);
}

Status ExpectQuantizedInt8(const NodeContext& node, const Tensor* tensor, const char* what, bool zero_scale_ok) {
  TPW_RETURN_IF_ERROR(node.ExpectType(tensor, TensorType::kInt8, what));
  const float scale = tensor->params.scale;
  if (!isfinite(scale) || scale < 0.0f || (scale == 0.0f && !zero_scale_ok)) {
    return node.Error(StatusCode::kInvalidModel, "%s scale is %s%s",
        what, isfinite(scale) ? (scale == 0.0f ? "zero" : "negative") : "not finite",
        zero_scale_ok ? ", expected finite and >= 0" : ", expected finite and > 0");
  }
  if (tensor->params.zero_point < -128 || tensor->params.zero_point > 127) {
    return node.Error(StatusCode::kInvalidModel, "%s zero point %d, expected -128..127",
        what, tensor->params.zero_point);
  }
  return Status::Ok();
}

Status ExpectUnaryInt8(NodeContext& node) {
  TPW_RETURN_IF_ERROR(node.ExpectCounts(1, 1));
  TPW_RETURN_IF_ERROR(ExpectQuantizedInt8(node, node.input(kInputTensor), "input"));
  TPW_RETURN_IF_ERROR(ExpectQuantizedInt8(node, node.output(kOutputTensor), "output"));
  return SameShapeOutput(node);
}

Status ExpectWeightedInt8(const NodeContext& node, int32_t rank) {
  TPW_RETURN_IF_ERROR(node.ExpectCounts(2, 1));
  TPW_RETURN_IF_ERROR(ExpectQuantizedInt8(node, node.input(kInputTensor), "input", /*zero_scale_ok=*/true));
  TPW_RETURN_IF_ERROR(node.ExpectType(node.input(kFilterTensor), TensorType::kInt8, "filter"));
  TPW_RETURN_IF_ERROR(ExpectQuantizedInt8(node, node.output(kOutputTensor), "output"));
  if (rank == 0) return Status::Ok();
  TPW_RETURN_IF_ERROR(ExpectRank(node, node.input(kInputTensor), rank, "input"));
  TPW_RETURN_IF_ERROR(ExpectRank(node, node.input(kFilterTensor), rank, "filter"));
  return ExpectRank(node, node.output(kOutputTensor), rank, "output");
}

Status ExpectConstantInt32(const NodeContext& node, const Tensor* tensor, int32_t count, const char* what) {
  TPW_RETURN_IF_ERROR(node.ExpectType(tensor, TensorType::kInt32, what));
  if (!tensor->is_constant) return node.Error(StatusCode::kUnsupported, "%s must be constant", what);
  if (count >= 0 && Elements(tensor) != count) {
    return node.Error(StatusCode::kInvalidModel, "%s has %d values, expected %d", what, Elements(tensor), count);
  }
  return Status::Ok();
}

Status ActivationRange(const NodeContext& node, int8_t activation, const Tensor* output,
                       int32_t* act_min, int32_t* act_max) {
  const float scale = output->params.scale;
  const int32_t zero_point = output->params.zero_point;
  // Real bounds are at most 6, scale > 0 was checked, so round() fits int32 unless the
  // scale is tiny; the result is clamped to int8 like TFLM.
  auto quantize = [scale, zero_point](float real) {
    float q = roundf(real / scale);
    if (q > 1e9f) q = 1e9f;
    if (q < -1e9f) q = -1e9f;
    return zero_point + static_cast<int32_t>(q);
  };
  int32_t low = -128, high = 127;
  switch (static_cast<Activation>(activation)) {
    case Activation::kNone: break;
    case Activation::kRelu: low = quantize(0.0f); break;
    case Activation::kReluN1To1: low = quantize(-1.0f); high = quantize(1.0f); break;
    case Activation::kRelu6: low = quantize(0.0f); high = quantize(6.0f); break;
    default:
      return node.Error(StatusCode::kUnsupported, "fused activation %d", activation);
  }
  *act_min = low > -128 ? low : -128;
  *act_max = high < 127 ? high : 127;
  return Status::Ok();
}

Status ComputeSpatialDim(const NodeContext& node, int8_t padding, int32_t in_size, int32_t filter_size,
                         int32_t stride, int32_t dilation, SpatialDim* out) {
  if (stride < 1 || dilation < 1 || filter_size < 1 || filter_size > 65535 || dilation > 65535) {
    return node.Error(StatusCode::kInvalidModel, "stride %d, dilation %d, filter %d", stride, dilation, filter_size);
  }
  const int64_t effective_filter = (static_cast<int64_t>(filter_size) - 1) * dilation + 1;
  // Keeps window positions (origin + dilation * tap) far inside int32.
  if (effective_filter > (int64_t{1} << 24)) {
    return node.Error(StatusCode::kUnsupported, "dilated filter spans more than 2^24 positions");
  }
  int64_t out_size = 0;
  if (padding == static_cast<int8_t>(Padding::kSame)) {
    out_size = (static_cast<int64_t>(in_size) + stride - 1) / stride;
  } else if (padding == static_cast<int8_t>(Padding::kValid)) {
    out_size = (static_cast<int64_t>(in_size) + stride - effective_filter) / stride;
  } else {
    return node.Error(StatusCode::kInvalidModel, "padding type %d", padding);
  }
  if (out_size < 1) return node.Error(StatusCode::kInvalidModel, "window larger than the input");
  int64_t total = (out_size - 1) * stride + effective_filter - in_size;
  if (total < 0) total = 0;
  out->out_size = static_cast<int32_t>(out_size);
  out->padding = static_cast<int32_t>(total / 2);
  return Status::Ok();
}

Status Multiplier(const NodeContext& node, double real, const char* what, int32_t* multiplier, int* shift) {
  if (QuantizeMultiplier(real, multiplier, shift)) return Status::Ok();
  return node.Error(StatusCode::kUnsupported, "%s multiplier out of range", what);
}

Status PerChannelMultipliers(NodeContext& node, int32_t filter_slot, int32_t channel_dim, int32_t channels,
                             int32_t** multipliers, int8_t** shifts) {
  ChannelQuantization quantization;
  TPW_RETURN_IF_ERROR(node.InputQuantization(filter_slot, &quantization));
  const uint32_t count = quantization.scales.length();
  if (count != 1 && count != static_cast<uint32_t>(channels)) {
    return node.Error(StatusCode::kInvalidModel, "filter has %d scales for %d channels",
        static_cast<int32_t>(count), channels);
  }
  if (count > 1 && quantization.quantized_dimension != channel_dim) {
    return node.Error(StatusCode::kUnsupported, "filter quantized along dimension %d, expected %d",
        quantization.quantized_dimension, channel_dim);
  }
  void* memory = nullptr;
  TPW_RETURN_IF_ERROR(node.AllocatePersistent((sizeof(int32_t) + 1) * static_cast<size_t>(channels), &memory));
  *multipliers = static_cast<int32_t*>(memory);
  *shifts = reinterpret_cast<int8_t*>(*multipliers + channels);
  const double input_scale = static_cast<double>(node.input(kInputTensor)->params.scale);
  const double output_scale = static_cast<double>(node.output(kOutputTensor)->params.scale);
  for (int32_t c = 0; c < channels; ++c) {
    const float filter_scale = quantization.scales.Get<float>(count == 1 ? 0 : static_cast<uint32_t>(c));
    // A zero scale (an all-zero channel) is TFLM's zero multiplier: that
    // channel's outputs are the output zero point, clamped.
    if (!(filter_scale >= 0.0f) || !isfinite(filter_scale)) {
      return node.Error(StatusCode::kInvalidModel,
          "filter scale of channel %d is negative or not finite, expected finite and >= 0", c);
    }
    int shift = 0;
    TPW_RETURN_IF_ERROR(Multiplier(node, input_scale * static_cast<double>(filter_scale) / output_scale,
                                   "output", &(*multipliers)[c], &shift));
    (*shifts)[c] = static_cast<int8_t>(shift);  // QuantizeMultiplier's shift is in [-31, 30]
  }
  return Status::Ok();
}

Status ExpectBias(const NodeContext& node, int32_t slot, int32_t channels) {
  const Tensor* bias = node.input(slot);
  if (bias == nullptr) return Status::Ok();
  TPW_RETURN_IF_ERROR(node.ExpectType(bias, TensorType::kInt32, "bias"));
  if (Elements(bias) != channels) {
    return node.Error(StatusCode::kInvalidModel, "bias has %d values for %d channels", Elements(bias), channels);
  }
  return Status::Ok();
}

Status BroadcastStrides(const NodeContext& node, const Tensor* shape, const Tensor* output, int32_t* strides) {
  const int32_t out_rank = Rank(output);
  const int32_t rank = Rank(shape);
  if (rank > out_rank) return node.Error(StatusCode::kInvalidModel, "input rank exceeds output rank");
  int32_t stride = 1;
  for (int32_t d = out_rank - 1; d >= 0; --d) {
    const int32_t k = d - (out_rank - rank);  // matching input dim, aligned right
    const int32_t extent = k >= 0 ? Dim(shape, k) : 1;
    if (extent != 1 && extent != Dim(output, d)) {
      return node.Error(StatusCode::kInvalidModel, "shapes do not broadcast at dimension %d", d);
    }
    strides[d] = extent == 1 ? 0 : stride;
    stride *= extent;
  }
  return Status::Ok();
}

Status FoldOutput(NodeContext& node, Status (*compute)(NodeContext& node)) {
  Tensor* output = node.output(kOutputTensor);
  TPW_RETURN_IF_ERROR(node.AllocatePersistent(output->bytes, &output->data.raw));
  TPW_RETURN_IF_ERROR(compute(node));
  output->is_constant = true;
  return Status::Ok();
}

bool IsFolded(const NodeContext& node) { return node.output(kOutputTensor)->is_constant; }

Status FoldIfConstantInt32(NodeContext& node, Status (*compute)(NodeContext& node)) {
  if (node.output(kOutputTensor)->type != TensorType::kInt32) return Status::Ok();
  for (int32_t i = 0; i < node.num_inputs(); ++i) {
    const Tensor* input = node.input(i);
    if (input != nullptr && !input->is_constant) return Status::Ok();
  }
  return FoldOutput(node, compute);
}

}  // namespace tpw
