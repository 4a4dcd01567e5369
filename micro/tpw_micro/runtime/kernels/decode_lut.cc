// DECODE type 0, look-up tables: every element is a `bits`-wide index into its
// channel's value table. DCM byte 5 holds the index width (bits 2-0, 1-7),
// byte 6 the elements of one channel's table (the stride); the tables follow
// the DCM, one per channel as the output's quantization counts them (TFLM
// reads channels from there, not from the axis in byte 5's high bits).
#include <string.h>

#include "kernels/decode.h"
#include "kernels/kernel_util.h"

namespace tpw {
namespace {

constexpr int kLutParams = 5, kLutStride = 6;
constexpr uint8_t kBitsMask = 0x07;

// `kSize` is the element size, so each copy is one load and one store; the
// layout is tested once, outside the loops.
template <size_t kSize>
void DecodeLut(const DecodeOutput& plan, void* /*scratch*/, uint8_t* out) {
  BitReader indices(plan.encoded, plan.bits);
  const DecodeChannels& layout = plan.layout;
  if (layout.channel_is_inner) {
    // Channels along the last axis: the next table for every element, back to
    // the first after each row of `inner` channels.
    for (int32_t o = 0; o < layout.outer; ++o) {
      const uint8_t* table = plan.values;
      for (int32_t i = 0; i < layout.inner; ++i, table += plan.table_bytes, out += kSize) {
        memcpy(out, table + indices.Next() * kSize, kSize);
      }
    }
    return;
  }
  const uint8_t* table = plan.values;  // channels along axis 0: one table per run
  for (int32_t o = 0; o < layout.outer; ++o, table += plan.table_bytes) {
    for (int32_t i = 0; i < layout.inner; ++i, out += kSize) memcpy(out, table + indices.Next() * kSize, kSize);
  }
}

}  // namespace

Status PrepareLut(NodeContext& node, const DecodeTensors& tensors, DecodeOutput* plan) {
  const uint8_t* dcm = tensors.ancillary->data.uint8;
  const uint8_t bits = dcm[kLutParams] & kBitsMask;
  if (bits < 1) {
    return DecodeError(node, tensors, StatusCode::kInvalidModel, "LUT index width 0 bits, expected 1-7");
  }
  ChannelQuantization quantization;
  TPW_RETURN_IF_ERROR(ReadDecodeChannels(node, tensors, &plan->layout, &quantization));
  const size_t count = static_cast<size_t>(Elements(tensors.output));
  const size_t element = TensorTypeSize(tensors.output->type);
  const size_t stride = dcm[kLutStride];
  // 64-bit sums: on a 32-bit target count * bits and the table sizes below can wrap.
  const uint64_t index_bytes = (static_cast<uint64_t>(count) * bits + 7) / 8;
  if (tensors.encoded->bytes < index_bytes) {
    return DecodeError(node, tensors, StatusCode::kInvalidModel,
        "encoded data has %d bytes, %d indices of %d bits need %d",
        static_cast<int32_t>(tensors.encoded->bytes), static_cast<int32_t>(count), bits,
        static_cast<int32_t>(index_bytes));
  }
  // A per-tensor table under per-channel scales lands here too: TFLM steps to
  // a next table for every channel and would read past the ancillary data.
  const size_t channels = static_cast<size_t>(plan->layout.channels);
  const uint64_t table_bytes = kDcmBytes + static_cast<uint64_t>(channels) * stride * element;
  if (tensors.ancillary->bytes < table_bytes) {
    return DecodeError(node, tensors, StatusCode::kInvalidModel,
        "ancillary data has %d bytes, %d value tables of %d elements need %d",
        static_cast<int32_t>(tensors.ancillary->bytes), static_cast<int32_t>(channels), static_cast<int32_t>(stride),
        static_cast<int32_t>(table_bytes));
  }
  BitReader indices(tensors.encoded->data.uint8, bits);
  for (size_t i = 0; i < count; ++i) {
    const uint32_t index = indices.Next();
    if (index >= stride) {
      return DecodeError(node, tensors, StatusCode::kInvalidModel,
          "index %d of element %d is outside its value table of %d",
          static_cast<int32_t>(index), static_cast<int32_t>(i), static_cast<int32_t>(stride));
    }
  }
  plan->encoded = tensors.encoded->data.uint8;
  plan->values = dcm + kDcmBytes;
  plan->table_bytes = stride * element;
  plan->bits = bits;
  plan->decode = ForElementSize(element, DecodeLut<1>, DecodeLut<2>, DecodeLut<4>, DecodeLut<8>);
  return Status::Ok();
}

}  // namespace tpw
