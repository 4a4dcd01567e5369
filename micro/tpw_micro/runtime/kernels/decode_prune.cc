// DECODE type 2, pruning: the encoded tensor is a mask of one bit per element
// (most significant first); a set bit takes the next kept value, stored in
// order after the DCM, a clear bit the element's zero point. Only int8 keeps a
// zero point per channel; TFLM requires every other type's zero points to be 0.
#include <string.h>

#include "kernels/decode.h"
#include "kernels/kernel_util.h"

namespace tpw {
namespace {

template <size_t kSize>
void DecodePrune(const DecodeOutput& plan, void* /*scratch*/, uint8_t* out) {
  BitReader mask(plan.encoded, 1);
  const uint8_t* kept = plan.values;
  const DecodeChannels& layout = plan.layout;
  for (int32_t o = 0; o < layout.outer; ++o) {
    for (int32_t i = 0; i < layout.inner; ++i) {
      if (mask.Next() != 0) {
        memcpy(out, kept, kSize);
        kept += kSize;
      } else if (kSize == 1) {
        *out = static_cast<uint8_t>(plan.zero_points[layout.channel_is_inner ? i : o]);
      } else {
        memset(out, 0, kSize);
      }
      out += kSize;
    }
  }
}

}  // namespace

Status PreparePrune(NodeContext& node, const DecodeTensors& tensors, DecodeOutput* plan) {
  ChannelQuantization quantization;
  TPW_RETURN_IF_ERROR(ReadDecodeChannels(node, tensors, &plan->layout, &quantization));
  const size_t count = static_cast<size_t>(Elements(tensors.output));
  const size_t element = TensorTypeSize(tensors.output->type);
  const size_t mask_bytes = (count + 7) / 8;
  if (tensors.encoded->bytes < mask_bytes) {
    return DecodeError(node, tensors, StatusCode::kInvalidModel, "encoded mask has %d bytes, %d elements need %d",
        static_cast<int32_t>(tensors.encoded->bytes), static_cast<int32_t>(count), static_cast<int32_t>(mask_bytes));
  }
  size_t kept = 0;
  BitReader mask(tensors.encoded->data.uint8, 1);
  for (size_t i = 0; i < count; ++i) kept += mask.Next();
  const size_t value_bytes = kDcmBytes + kept * element;
  if (tensors.ancillary->bytes < value_bytes) {
    return DecodeError(node, tensors, StatusCode::kInvalidModel, "ancillary data has %d bytes, %d kept values need %d",
        static_cast<int32_t>(tensors.ancillary->bytes), static_cast<int32_t>(kept), static_cast<int32_t>(value_bytes));
  }
  // One zero point per channel (a single stored one is shared, none is 0).
  const int32_t channels = plan->layout.channels;
  const uint32_t stored = quantization.zero_points.length();
  int8_t* zero_points = nullptr;
  TPW_RETURN_IF_ERROR(node.AllocatePersistent(static_cast<size_t>(channels), reinterpret_cast<void**>(&zero_points)));
  for (int32_t c = 0; c < channels; ++c) {
    const uint32_t entry = stored == 1 ? 0 : static_cast<uint32_t>(c);
    const int64_t zero_point = stored == 0 ? 0 : quantization.zero_points.Get<int64_t>(entry);
    if (zero_point != 0 && tensors.output->type != TensorType::kInt8) {
      return DecodeError(node, tensors, StatusCode::kUnsupported,
          "zero point of channel %d is not 0; TFLM prunes only int8 with other zero points", c);
    }
    if (zero_point < INT8_MIN || zero_point > INT8_MAX) {
      return DecodeError(node, tensors, StatusCode::kInvalidModel, "zero point of channel %d is outside int8", c);
    }
    zero_points[c] = static_cast<int8_t>(zero_point);
  }
  plan->encoded = tensors.encoded->data.uint8;
  plan->values = tensors.ancillary->data.uint8 + kDcmBytes;
  plan->zero_points = zero_points;
  plan->decode = ForElementSize(element, DecodePrune<1>, DecodePrune<2>, DecodePrune<4>, DecodePrune<8>);
  return Status::Ok();
}

}  // namespace tpw
