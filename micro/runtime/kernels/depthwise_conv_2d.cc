// DEPTHWISE_CONV_2D, int8 activations with per-channel int8 weights and int32
// bias. Shapes: input [N, H, W, Cin], filter [1, KH, KW, Cin * M],
// output [N, OH, OW, Cin * M] (TFLM's reference DepthwiseConvPerChannel).
#include "kernels/kernel_util.h"

namespace tpw {
namespace {

enum { kInput = 0, kFilter = 1, kBias = 2 };
// DepthwiseConv2DOptions fields.
enum { kPaddingField = 0, kStrideW = 1, kStrideH = 2, kActivationField = 4, kDilationW = 5, kDilationH = 6 };

struct DepthwiseData {
  SpatialDim height, width;
  int32_t stride_h, stride_w, dilation_h, dilation_w;
  int32_t act_min, act_max;
  int32_t* multipliers;
  int32_t* shifts;
};

Status Prepare(NodeContext& node) {
  TPW_RETURN_IF_ERROR(node.ExpectCounts(2, 1));
  const Tensor* input = node.input(kInput);
  const Tensor* filter = node.input(kFilter);
  const Tensor* output = node.output(0);
  TPW_RETURN_IF_ERROR(ExpectQuantizedInt8(node, input, "input"));
  TPW_RETURN_IF_ERROR(node.ExpectType(filter, TensorType::kInt8, "filter"));
  TPW_RETURN_IF_ERROR(ExpectQuantizedInt8(node, output, "output"));
  TPW_RETURN_IF_ERROR(ExpectRank(node, input, 4, "input"));
  TPW_RETURN_IF_ERROR(ExpectRank(node, filter, 4, "filter"));
  TPW_RETURN_IF_ERROR(ExpectRank(node, output, 4, "output"));
  const int32_t channels = Dim(filter, 3);
  TPW_RETURN_IF_ERROR(ExpectBias(node, kBias, channels));
  if (Dim(filter, 0) != 1 || channels % Dim(input, 3) != 0 || Dim(output, 3) != channels ||
      Dim(output, 0) != Dim(input, 0)) {
    return node.Error(StatusCode::kInvalidModel).Add("input, filter and output channels disagree");
  }
  fb::Table options;
  TPW_RETURN_IF_ERROR(node.Options(OptionsType::kDepthwiseConv2D, &options));
  int8_t padding = 0, activation = 0;
  DepthwiseData* data = nullptr;
  TPW_RETURN_IF_ERROR(node.AllocateOpData(&data));
  TPW_RETURN_IF_ERROR(options.Scalar<int8_t>(kPaddingField, 0, &padding));
  TPW_RETURN_IF_ERROR(options.Scalar<int8_t>(kActivationField, 0, &activation));
  TPW_RETURN_IF_ERROR(options.Scalar<int32_t>(kStrideW, 0, &data->stride_w));
  TPW_RETURN_IF_ERROR(options.Scalar<int32_t>(kStrideH, 0, &data->stride_h));
  TPW_RETURN_IF_ERROR(options.Scalar<int32_t>(kDilationW, 1, &data->dilation_w));
  TPW_RETURN_IF_ERROR(options.Scalar<int32_t>(kDilationH, 1, &data->dilation_h));
  TPW_RETURN_IF_ERROR(ComputeSpatialDim(node, padding, Dim(input, 1), Dim(filter, 1), data->stride_h,
                                        data->dilation_h, &data->height));
  TPW_RETURN_IF_ERROR(ComputeSpatialDim(node, padding, Dim(input, 2), Dim(filter, 2), data->stride_w,
                                        data->dilation_w, &data->width));
  if (data->height.out_size != Dim(output, 1) || data->width.out_size != Dim(output, 2)) {
    return node.Error(StatusCode::kInvalidModel).Add("output spatial shape disagrees with options");
  }
  TPW_RETURN_IF_ERROR(ActivationRange(node, activation, output, &data->act_min, &data->act_max));
  return PerChannelMultipliers(node, kFilter, channels, &data->multipliers, &data->shifts);
}

Status Eval(NodeContext& node) {
  const DepthwiseData& p = *node.op_data<DepthwiseData>();
  const Tensor* input = node.input(kInput);
  const Tensor* filter = node.input(kFilter);
  const Tensor* bias = node.input(kBias);
  Tensor* output = node.output(0);
  const int32_t batches = Dim(input, 0), in_h = Dim(input, 1), in_w = Dim(input, 2), in_depth = Dim(input, 3);
  const int32_t filter_h = Dim(filter, 1), filter_w = Dim(filter, 2);
  const int32_t out_h = Dim(output, 1), out_w = Dim(output, 2), out_depth = Dim(output, 3);
  const int32_t depth_multiplier = out_depth / in_depth;
  const int32_t input_offset = -input->params.zero_point;
  const int32_t output_offset = output->params.zero_point;
  const int8_t* in = input->data.int8;
  const int8_t* weights = filter->data.int8;
  int8_t* out = output->data.int8;
  for (int32_t b = 0; b < batches; ++b) {
    for (int32_t oy = 0; oy < out_h; ++oy) {
      const int32_t in_y0 = oy * p.stride_h - p.height.padding;
      for (int32_t ox = 0; ox < out_w; ++ox) {
        const int32_t in_x0 = ox * p.stride_w - p.width.padding;
        for (int32_t oc = 0; oc < out_depth; ++oc) {
          const int32_t ic = oc / depth_multiplier;
          uint32_t sum = 0;  // wraps like TFLM's int32 accumulator, without UB
          for (int32_t fy = 0; fy < filter_h; ++fy) {
            const int32_t in_y = in_y0 + p.dilation_h * fy;
            if (in_y < 0 || in_y >= in_h) continue;
            for (int32_t fx = 0; fx < filter_w; ++fx) {
              const int32_t in_x = in_x0 + p.dilation_w * fx;
              if (in_x < 0 || in_x >= in_w) continue;
              const int32_t value = in[((b * in_h + in_y) * in_w + in_x) * in_depth + ic];
              const int32_t weight = weights[(fy * filter_w + fx) * out_depth + oc];
              sum += static_cast<uint32_t>(weight * (value + input_offset));
            }
          }
          if (bias != nullptr) sum += static_cast<uint32_t>(bias->data.i32[oc]);
          int32_t acc = static_cast<int32_t>(sum);
          acc = MultiplyByQuantizedMultiplier(acc, p.multipliers[oc], p.shifts[oc]) + output_offset;
          acc = acc < p.act_min ? p.act_min : (acc > p.act_max ? p.act_max : acc);
          out[((b * out_h + oy) * out_w + ox) * out_depth + oc] = static_cast<int8_t>(acc);
        }
      }
    }
  }
  return Status::Ok();
}

constexpr OpRegistration kRegistration = {"DEPTHWISE_CONV_2D", Prepare, Eval};

}  // namespace

const OpRegistration* Register_DEPTHWISE_CONV_2D() { return &kRegistration; }

}  // namespace tpw
