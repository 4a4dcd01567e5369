// FULLY_CONNECTED, int8 with per-tensor or per-channel int8 weights and int32
// bias. Shapes: input [..., depth] flattened to [batches, depth], filter
// [units, depth], output [batches, units] (any shape with that many elements).
#include "kernels/dot_product.h"
#include "kernels/kernel_util.h"

namespace tpw {
namespace {

constexpr int32_t kInputTensor = 0;
constexpr int32_t kFilterTensor = 1;
constexpr int32_t kBiasTensor = 2;
constexpr int32_t kOutputTensor = 0;
// FullyConnectedOptions fields.
enum { kActivationField = 0, kWeightsFormat = 1 };

struct FullyConnectedData {
  int32_t act_min, act_max;
  int32_t* multipliers;
  int8_t* shifts;
};

Status Prepare(NodeContext& node) {
  TPW_RETURN_IF_ERROR(ExpectWeightedInt8(node, 0));
  const Tensor* input = node.input(kInputTensor);
  const Tensor* filter = node.input(kFilterTensor);
  const Tensor* output = node.output(kOutputTensor);
  TPW_RETURN_IF_ERROR(ExpectRank(node, filter, 2, "filter"));
  const int32_t units = Dim(filter, 0), depth = Dim(filter, 1);
  TPW_RETURN_IF_ERROR(ExpectBias(node, kBiasTensor, units));
  if (Elements(input) % depth != 0 || Elements(output) != Elements(input) / depth * units) {
    return node.Error(StatusCode::kInvalidModel, "input, filter and output sizes disagree");
  }
  fb::Table options;
  TPW_RETURN_IF_ERROR(node.Options(OptionsType::kFullyConnected, &options));
  int8_t activation = 0, weights_format = 0;
  TPW_RETURN_IF_ERROR(options.Scalar<int8_t>(kActivationField, 0, &activation));
  TPW_RETURN_IF_ERROR(options.Scalar<int8_t>(kWeightsFormat, 0, &weights_format));
  if (weights_format != 0) return node.Error(StatusCode::kUnsupported, "shuffled weights format");
  FullyConnectedData* data = nullptr;
  TPW_RETURN_IF_ERROR(node.AllocateOpData(&data));
  TPW_RETURN_IF_ERROR(ActivationRange(node, activation, output, &data->act_min, &data->act_max));
  return PerChannelMultipliers(node, kFilterTensor, 0, units, &data->multipliers, &data->shifts);
}

Status Eval(NodeContext& node) {
  const FullyConnectedData& p = *node.op_data<FullyConnectedData>();
  const Tensor* input = node.input(kInputTensor);
  const Tensor* filter = node.input(kFilterTensor);
  const Tensor* bias = node.input(kBiasTensor);
  Tensor* output = node.output(kOutputTensor);
  const int32_t units = Dim(filter, 0), depth = Dim(filter, 1);
  const int32_t batches = Elements(input) / depth;
  const int32_t input_offset = -input->params.zero_point;
  const int32_t filter_offset = -filter->params.zero_point;
  const int32_t output_offset = output->params.zero_point;
  for (int32_t b = 0; b < batches; ++b) {
    const int8_t* in = input->data.int8 + b * depth;
    // sum (w + filter_offset) * (x + input_offset) = sum w * (x + input_offset)
    // + filter_offset * sum (x + input_offset), all modulo 2^32 like TFLM's
    // int32 accumulator; the second sum is shared by every unit.
    uint32_t input_sum = 0;
    if (filter_offset != 0) {
      for (int32_t d = 0; d < depth; ++d) input_sum += static_cast<uint32_t>(in[d] + input_offset);
    }
    const uint32_t offset_term = static_cast<uint32_t>(filter_offset) * input_sum;
    for (int32_t u = 0; u < units; ++u) {
      const uint32_t bias_value = bias != nullptr ? static_cast<uint32_t>(bias->data.i32[u]) : 0u;
      const ChannelRequant requant = {p.multipliers[u], p.shifts[u], output_offset, p.act_min, p.act_max};
      const uint32_t sum = RunDot(filter->data.int8 + u * depth, in, depth, input_offset, bias_value + offset_term);
      output->data.int8[b * units + u] = requant(sum);
    }
  }
  return Status::Ok();
}

constexpr OpRegistration kRegistration = {"FULLY_CONNECTED", Prepare, Eval};

}  // namespace

const OpRegistration* Register_FULLY_CONNECTED() { return &kRegistration; }

}  // namespace tpw
