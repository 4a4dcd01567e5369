// Prepare and Eval shared by CONV_2D and DEPTHWISE_CONV_2D: [N, H, W, C] int8
// tensors, stride / dilation / padding / activation from the op's options, the
// output shape check, per-channel multipliers and the optional int32 bias.
//
// Eval walks output rows; in each, the outputs whose window lies wholly inside
// the input (the interior, found in Prepare) go to one interior-row variant
// chosen in Prepare (SelectInteriorRow, the functions named
// op_shape_dtype_variant below), and the few at the padded border skip the
// taps that fall outside, as TFLM does.
#ifndef TPW_MICRO_RUNTIME_KERNELS_CONV_COMMON_H_
#define TPW_MICRO_RUNTIME_KERNELS_CONV_COMMON_H_

#include "kernels/dot_product.h"
#include "kernels/kernel_util.h"

namespace tpw {

// Tensor slots of CONV_2D and DEPTHWISE_CONV_2D.
constexpr int32_t kInputTensor = 0;
constexpr int32_t kFilterTensor = 1;
constexpr int32_t kBiasTensor = 2;  // optional
constexpr int32_t kOutputTensor = 0;

// How an interior window is summed (MakeWindowWalk); SelectInteriorRow picks
// the variant that runs it.
enum class WalkShape : int32_t {
  kRun,      // one contiguous run (1x1 pointwise, 1xK on height-1 inputs)
  kStrided,  // one row of single values `tap` apart (depthwise, one filter row)
  kGeneral,  // rows x taps x runs
};

// One output channel's window in the filter (w) and the input (x), as offsets
// in int8 elements from the channel's first weight and the window's first input:
//   sum over r < rows, t < taps, i < run of w[r*row_w + t*tap_w + i] * x[r*row_x + t*tap_x + i]
// CONV_2D: run = filter depth, or kw * depth with taps = 1 when a row's taps
// are contiguous in the input (dilation_w 1, no groups); DEPTHWISE: run = 1.
struct WindowWalk {
  int32_t rows, row_w, row_x;
  int32_t taps, tap_w, tap_x;
  int32_t run;
  WalkShape shape;
};

// The walk with these extents and strides; its shape is the one that sums it
// with the fewest loop levels.
WindowWalk MakeWindowWalk(int32_t rows, int32_t row_w, int32_t row_x, int32_t taps, int32_t tap_w, int32_t tap_x,
                          int32_t run);

// Where output channel oc's filter and input channels start.
struct ChannelLayout {
  int32_t filter_stride;       // weights of channel oc start at oc * filter_stride
  int32_t channels_per_group;  // its inputs start at channel
  int32_t group_input_stride;  //   (oc / channels_per_group) * group_input_stride
};

struct ConvRow;

struct ConvParams {
  SpatialDim height, width;
  int32_t stride_h, stride_w, dilation_h, dilation_w;
  int32_t act_min, act_max;
  int32_t* multipliers;
  int32_t* shifts;
  // Outputs [y_begin, y_end) x [x_begin, x_end) have every tap inside the input.
  int32_t y_begin, y_end, x_begin, x_end;
  WindowWalk walk;  // meaningful when the interior is not empty
  ChannelLayout channels;
  void (*interior_row)(const ConvParams& p, const ConvRow& row);  // set by SelectInteriorRow
};

// The interior outputs [x_begin, x_end) of one output row, every channel.
struct ConvRow {
  const int8_t* x;       // first window's input, channel 0
  int32_t x_step;        // int8 elements between neighbouring windows
  int32_t count;         // windows
  int8_t* out;           // first window's output, channel 0
  int32_t out_depth;     // output channels, also the step between outputs
  int32_t input_offset;  // -input zero point
  const int8_t* weights;
  const int32_t* bias;   // nullptr when the op has none
  int32_t output_zero_point;
};

// Interior-row variants (CMSIS-NN naming: op, window shape, dtype, blocking).
// The blocked ones requantize with FastRequant (kernels/requant.h) and leave
// the channels that do not fill a block to the generic walk.
// WalkShape::kRun with channel pairs in one group: two channels x two windows
// per dot product block (1x1 pointwise and 1xK on height-1 maps).
void conv_1xk_s8_2x2(const ConvParams& p, const ConvRow& row);
// WalkShape::kStrided, depth multiplier 1 (neighbouring channels read
// neighbouring inputs and weights): four channels per word, one window.
void depthwise_1xk_s8_4x1(const ConvParams& p, const ConvRow& row);
// Any walk, any requantization: one channel, one window.
void conv_nxk_s8_generic(const ConvParams& p, const ConvRow& row);

// Outputs [ox_begin, ox_end) of one output row whose one-row windows
// (walk.rows == 1) cross the left or right padding, each run by the interior
// variant as a window of the taps inside the input. `in_row` is the row's first
// input, `out_row` its first output; `row` gives the rest.
void ClippedColumns(const ConvParams& p, const ConvRow& row, const int8_t* in_row, int32_t in_w, int32_t in_depth,
                    int32_t filter_w, int32_t ox_begin, int32_t ox_end, int8_t* out_row);

// Sets p->interior_row from p->walk and p->channels for `out_depth` channels.
void SelectInteriorRow(ConvParams* p, int32_t out_depth);

// What differs between the two ops: the filter's channel dimension and the
// field numbers of the options table.
struct ConvTraits {
  int32_t channel_dim;
  OptionsType type;
  int padding, stride_w, stride_h, activation, dilation_w, dilation_h;
};

// Allocates the node's ConvParams and fills all but `walk` and `channels`,
// which the op's Prepare sets from its filter layout.
Status PrepareConv(NodeContext& node, const ConvTraits& traits, ConvParams** params);

// True when some output's window lies wholly inside the input; only then is
// `walk` used (and its strides, bounded by the input size, fit int32).
bool HasInterior(const ConvParams& p);

// Calls visit(fy, fx, in_y, in_x) for each filter tap of the window at
// (in_y0, in_x0) that falls inside the in_h x in_w input (taps in the padding
// contribute nothing, as in TFLM).
template <typename Visit>
void ForEachTap(const ConvParams& p, int32_t in_y0, int32_t in_x0, int32_t in_h, int32_t in_w, int32_t filter_h,
                int32_t filter_w, Visit visit) {
  for (int32_t fy = 0; fy < filter_h; ++fy) {
    const int32_t in_y = in_y0 + p.dilation_h * fy;
    if (in_y < 0 || in_y >= in_h) continue;
    for (int32_t fx = 0; fx < filter_w; ++fx) {
      const int32_t in_x = in_x0 + p.dilation_w * fx;
      if (in_x < 0 || in_x >= in_w) continue;
      visit(fy, fx, in_y, in_x);
    }
  }
}

// Fills output [N, OH, OW, C]; border(b, in_y0, in_x0, oc) returns the sum of
// weight * (input - zero_point) over the taps of a window that crosses the
// padding, where ClippedColumns does not apply. Bias, requantization and
// clamping follow.
template <typename Border>
void EvalConv(NodeContext& node, Border border) {
  const ConvParams& p = *node.op_data<ConvParams>();
  const Tensor* input = node.input(kInputTensor);
  const Tensor* bias = node.input(kBiasTensor);
  Tensor* output = node.output(kOutputTensor);
  const int32_t batches = Dim(output, 0), out_h = Dim(output, 1), out_w = Dim(output, 2);
  const int32_t out_depth = Dim(output, 3);
  const int32_t in_h = Dim(input, 1), in_w = Dim(input, 2), in_depth = Dim(input, 3);
  ConvRow row = {nullptr, p.stride_w * in_depth, p.x_end - p.x_begin, nullptr, out_depth,
                 -input->params.zero_point, node.input(kFilterTensor)->data.int8,
                 bias != nullptr ? bias->data.i32 : nullptr, output->params.zero_point};
  // Outputs [ox_begin, ox_end) of row oy, channel oc, whose windows cross the padding.
  auto border_span = [&](int32_t b, int32_t oy, int32_t oc, int32_t ox_begin, int32_t ox_end) {
    const ChannelRequant requant = {p.multipliers[oc], p.shifts[oc], row.output_zero_point, p.act_min, p.act_max};
    const uint32_t bias_value = row.bias != nullptr ? static_cast<uint32_t>(row.bias[oc]) : 0u;
    const int32_t in_y0 = oy * p.stride_h - p.height.padding;
    int8_t* out = output->data.int8 + ((b * out_h + oy) * out_w + ox_begin) * out_depth + oc;
    for (int32_t ox = ox_begin; ox < ox_end; ++ox, out += out_depth) {
      *out = requant(bias_value + border(b, in_y0, ox * p.stride_w - p.width.padding, oc));
    }
  };
  for (int32_t b = 0; b < batches; ++b) {
    for (int32_t oy = 0; oy < out_h; ++oy) {
      if (oy < p.y_begin || oy >= p.y_end || p.x_begin == p.x_end) {
        for (int32_t oc = 0; oc < out_depth; ++oc) border_span(b, oy, oc, 0, out_w);
        continue;
      }
      const int32_t in_y0 = oy * p.stride_h - p.height.padding;
      if (p.walk.rows == 1) {
        const int8_t* in_row = input->data.int8 + (b * in_h + in_y0) * in_w * in_depth;
        int8_t* out_row = output->data.int8 + (b * out_h + oy) * out_w * out_depth;
        const int32_t filter_w = Dim(node.input(kFilterTensor), 2);
        ClippedColumns(p, row, in_row, in_w, in_depth, filter_w, 0, p.x_begin, out_row);
        ClippedColumns(p, row, in_row, in_w, in_depth, filter_w, p.x_end, out_w, out_row);
      } else if (p.x_begin > 0 || p.x_end < out_w) {
        for (int32_t oc = 0; oc < out_depth; ++oc) {
          border_span(b, oy, oc, 0, p.x_begin);
          border_span(b, oy, oc, p.x_end, out_w);
        }
      }
      const int32_t in_x0 = p.x_begin * p.stride_w - p.width.padding;
      row.x = input->data.int8 + ((b * in_h + in_y0) * in_w + in_x0) * in_depth;
      row.out = output->data.int8 + ((b * out_h + oy) * out_w + p.x_begin) * out_depth;
      p.interior_row(p, row);
    }
  }
}

}  // namespace tpw

#endif  // TPW_MICRO_RUNTIME_KERNELS_CONV_COMMON_H_
