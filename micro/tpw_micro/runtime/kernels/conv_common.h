// Prepare and Eval shared by CONV_2D and DEPTHWISE_CONV_2D: [N, H, W, C] int8
// tensors, stride / dilation / padding / activation from the op's options, the
// output shape check, per-channel multipliers and the optional int32 bias.
//
// Eval walks output rows; in each, the outputs whose window lies wholly inside
// the input (the interior, found in Prepare) go to one interior-row variant
// chosen in Prepare (SelectInteriorRow, the functions named
// op_shape_dtype_variant below), and the few at the padded border skip the
// taps that fall outside, as TFLM does; a whole-row variant (depthwise) takes
// the row's padding itself. Variants: conv_wide.cc and depthwise_pairs.cc
// (built for speed), the others in conv_common.cc (built for size).
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

// The interior-row kernels (declared below), each named as its function.
#define TPW_CONV_ROW_KERNELS(X) \
  X(conv_nxk_s8_generic) X(conv_1xk_s8_wide_2x2) X(conv_1xk_s8_2x2) X(depthwise_1xk_s8_pairs) X(conv_1xk_s8_c1_pairs)
#define TPW_CONV_ROW_ENUMERATOR(name) name,
enum class ConvRowKernel : uint8_t { TPW_CONV_ROW_KERNELS(TPW_CONV_ROW_ENUMERATOR) };
#undef TPW_CONV_ROW_ENUMERATOR
// Its function's name, e.g. "conv_1xk_s8_wide_2x2".
const char* ConvRowKernelName(ConvRowKernel kernel);

struct ConvParams {
  SpatialDim height, width;
  int32_t stride_h, stride_w, dilation_h, dilation_w;
  int32_t act_min, act_max;
  int32_t* multipliers;
  int8_t* shifts;
  // Outputs [y_begin, y_end) x [x_begin, x_end) have every tap inside the input.
  int32_t y_begin, y_end, x_begin, x_end;
  WindowWalk walk;  // meaningful when the interior is not empty
  ChannelLayout channels;
  void (*interior_row)(const ConvParams& p, const ConvRow& row);  // set by SelectInteriorRow
  ConvRowKernel kernel;  // which one it is
  // The variant takes whole output rows, padding included (a row's x is the
  // input row's first element, its count every output of the row).
  bool whole_rows;
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
  uint32_t* scratch;     // the node's scratch (SelectInteriorRow sizes it), nullptr if none
  int32_t in_w;          // input positions of the row (whole-row variants)
};

// Interior-row variants (CMSIS-NN naming: op, window shape, dtype, blocking).
// The blocked ones requantize with FastRequant (kernels/requant.h); they are
// chosen only when every channel's shift is one it covers.
// WalkShape::kRun of one filter tap (1x1 pointwise) or of at most
// kMaxWidenedRun values, one group, two channels or more: windows in pairs,
// each widened once to int16 lanes with the input offset in the node's scratch
// (WidenRun, 16 bytes per 4 values of a window), then two channels x two
// windows per dot product block (PairDots).
void conv_1xk_s8_wide_2x2(const ConvParams& p, const ConvRow& row);
constexpr int32_t kMaxWidenedRun = 512;  // a 2 kB scratch
// WalkShape::kRun of longer windows (1xK on many channels), channel pairs in
// one group: the same blocks on the int8 input, sign-extended as loaded, the
// input offset folded into the sums (no scratch: a window of K x Cin values
// would need 4 K x Cin bytes of it, and a larger bound pushed a zoo model's
// arena past TFLM's).
void conv_1xk_s8_2x2(const ConvParams& p, const ConvRow& row);
// WalkShape::kStrided of one filter row, depth multiplier 1, stride 1 or 2,
// no dilation, up to kPairTaps taps, four channels or more, biases up to
// kMaxPairBias, no activation clamp inside the int8 range; whole rows: per group of four channels and tile of outputs
// (80 at stride 1, 40 at 2), the input (with its offset, 0 in the padding) is
// gathered once into the scratch as int16 pairs of neighbouring positions, one
// row of pairs a channel, and each output loads its 4 pairs with one LDM and
// sums them against doubled tap pairs with SMLAD (4 per output of a 1x7
// filter). Stride 1 pairs even outputs with (w0, w1), (w2, w3)... and odd ones
// with (0, w0), (w1, w2)... on the same input pairs.
void depthwise_1xk_s8_pairs(const ConvParams& p, const ConvRow& row);
// WalkShape::kRun of a conv on one input channel (a stem), one filter row,
// stride 1 or 2, no dilation, up to kPairTaps taps, biases and clamp as above;
// whole rows: the channel is gathered into pairs as above once per tile and
// every output channel sums its tap pairs against them (a depthwise row with
// multiplier Cout).
void conv_1xk_s8_c1_pairs(const ConvParams& p, const ConvRow& row);
constexpr int32_t kPairTaps = 7;
// Largest |bias| of those two: they accumulate 2 x with doubled weights and
// bias (no QADD before FastRequant::OfDoubled), and 2 x fits int32 when
// |x| <= 2^29 + kPairTaps * 128 * 255 < 2^30.
constexpr int32_t kMaxPairBias = int32_t{1} << 29;
// Scratch words of depthwise_1xk_s8_pairs and conv_1xk_s8_c1_pairs on rows of
// out_w outputs: one tile of one channel group and a spare word (at most 173
// words, 692 bytes; less on rows shorter than a tile).
int32_t DepthwisePairsScratchWords(int32_t out_w, int32_t stride);
// Any walk, any requantization: one channel, one window.
void conv_nxk_s8_generic(const ConvParams& p, const ConvRow& row);

// The interior-row kernels a build links, ended by an entry whose row is
// nullptr. SelectInteriorRow finds the kernel it picks here, never by a direct
// reference, so a firmware links only the ones its table lists:
// all_ops_resolver.cc defines every one (weak: the host tools, and a firmware
// whose model the host runtime refused); a firmware's generated
// model_resolver.cc defines the ones the host runtime picked for its model
// (tpw_micro_run's `kernel` lines, tpw_micro.firmware.resolver_source), and
// --gc-sections drops the rest.
struct LinkedConvRow {
  ConvRowKernel kernel;
  void (*row)(const ConvParams& p, const ConvRow& row);
};
#define TPW_LINKED_CONV_ROW(name) {ConvRowKernel::name, name},
extern const LinkedConvRow kLinkedConvRows[];
// OpRegistration::kernel of CONV_2D and DEPTHWISE_CONV_2D: the interior-row
// kernel Prepare picked, nullptr when every output crosses the padding.
const char* ConvKernelName(const void* op_data);

// The requantization and bias of output channel oc (TFLM's formula).
inline ChannelRequant RequantOf(const ConvParams& p, const ConvRow& row, int32_t oc) {
  return {p.multipliers[oc], p.shifts[oc], row.output_zero_point, p.act_min, p.act_max};
}
inline uint32_t BiasOf(const ConvRow& row, int32_t oc) {
  return row.bias != nullptr ? static_cast<uint32_t>(row.bias[oc]) : 0u;
}

// Sets p->interior_row from p->walk, p->channels and p->shifts for `out_depth`
// channels and requests the scratch the variant needs.
Status SelectInteriorRow(NodeContext& node, ConvParams* p, int32_t out_depth);

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

// Eval of both ops: fills output [N, OH, OW, C]. Whole rows or the interior
// of each row go to the variant SelectInteriorRow chose; a window crossing the
// padding otherwise skips its taps there (as TFLM does).
Status EvalConv(NodeContext& node);

}  // namespace tpw

#endif  // TPW_MICRO_RUNTIME_KERNELS_CONV_COMMON_H_
