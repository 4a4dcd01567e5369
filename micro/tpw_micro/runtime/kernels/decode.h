// DECODE: TFLM's custom operator "TFLM_DECODE", which expands compressed
// constant tensors into ordinary tensors just before the op that reads them.
//
// Inputs come in pairs (encoded tensor, ancillary tensor), one pair per
// output. An ancillary tensor starts with the 16-byte DECODE Common Metadata
// (byte 0 the decode type, byte 1 the version, 1; bytes 4-15 for the type)
// followed by the type's data; the wheel's compression/decode.py describes it.
// Each decode type lives in its own file (decode_lut.cc, decode_prune.cc, and
// decode_synth.cc for tpw's type 128, a synthesized kernel) and
// only fills a DecodeOutput in Prepare; DECODE calls the function chosen there.
//
// Lifetime, per output, as its decode type says:
// - every Invoke (TFLM's semantics; LUT, pruning, and type 128 with the lazy
//   flag): the output is a planned arena tensor like any activation, live from
//   the DECODE node to its consumer (the next node), so decoded kernels share
//   memory with everything not alive at the same time, and the decode scratch
//   (DecodeOutput::scratch_bytes, the largest of the node's outputs) is the
//   node's planned scratch, live during the DECODE only;
// - once (type 128 with the boot flag): Prepare, i.e. AllocateTensors, decodes
//   it into persistent arena memory with temporary scratch and marks it
//   constant, so planning gives it no head memory and Eval leaves it alone.
#ifndef TPW_MICRO_RUNTIME_KERNELS_DECODE_H_
#define TPW_MICRO_RUNTIME_KERNELS_DECODE_H_

#include <stddef.h>
#include <stdint.h>

#include "node_context.h"
#include "status.h"
#include "tensor.h"

namespace tpw {

// DECODE Common Metadata: its size and the fields the decode types share
// (TFLM's LUT and pruning types both keep their own version, 1, in byte 4).
constexpr size_t kDcmBytes = 16;
constexpr int kDcmType = 0, kDcmVersion = 1, kDcmTypeVersion = 4;

// How the decoded elements map onto channels, from the output's quantization
// as TFLM reads it: one channel, channels along axis 0 (each a run of
// elements), or channels along the last axis (interleaved).
struct DecodeChannels {
  int32_t channels;
  int32_t outer, inner;  // the element loops: outer * inner elements in order
  bool channel_is_inner; // the channel is the inner index (last axis) or the outer one
};

// Reads fields of `bits` (1-8) packed most significant bit first, the order
// of both the LUT indices and the pruning mask; touches only the bytes that
// hold the fields read, so a stream checked for ceil(n * bits / 8) bytes is
// safe for n reads.
class BitReader {
 public:
  BitReader(const uint8_t* data, uint8_t bits) : data_(data), buffer_(0), held_(0), bits_(bits) {}
  uint32_t Next() {
    if (held_ < bits_) {
      buffer_ = (buffer_ << 8) | *data_++;
      held_ += 8;
    }
    held_ -= bits_;
    return (buffer_ >> held_) & ((1u << bits_) - 1u);
  }

 private:
  const uint8_t* data_;
  uint32_t buffer_;
  uint8_t held_;
  uint8_t bits_;
};

struct DecodeOutput;
struct SynthPlan;  // decode_synth.cc
// Decodes one output into `out` (its bytes), working in `scratch` (plan.scratch_bytes).
using DecodeFunction = void (*)(const DecodeOutput& plan, void* scratch, uint8_t* out);

// What Eval needs to decode one output; filled by a decode type's Prepare.
struct DecodeOutput {
  DecodeFunction decode;       // chosen for the type and element size
  const uint8_t* encoded;      // the encoded tensor's bytes
  const uint8_t* values;       // the ancillary data after the DCM
  const int8_t* zero_points;   // pruning, int8: one per channel
  DecodeChannels layout;
  size_t table_bytes;          // LUT: bytes of one channel's value table
  uint8_t bits;                // LUT: bits per index
  const SynthPlan* synth;      // synthesized kernel: the generator side
  size_t scratch_bytes;        // working memory `decode` needs (8-byte aligned by the arena)
  bool once;                   // decode at AllocateTensors into persistent memory, not every Invoke
};

// The encoded and ancillary tensors and the output of one pair, for Prepare.
struct DecodeTensors {
  int32_t output_slot;
  int32_t output_index;  // tensor index, for messages
  const Tensor* encoded;
  const Tensor* ancillary;
  const Tensor* output;
};

// An error naming the output tensor: "DECODE (node N): tensor T: ", then
// `format` with its arguments (Status::Error's conversions).
Status DecodeError(const NodeContext& node, const DecodeTensors& tensors, StatusCode code, const char* format, ...)
    TPW_PRINTF_FORMAT(4, 5);
// Reads the output's quantization into `layout` (TFLM's rule: several scales
// along the last axis are interleaved channels, along axis 0 runs; any other
// axis is refused); `quantization` keeps the zero points for pruning.
Status ReadDecodeChannels(NodeContext& node, const DecodeTensors& tensors, DecodeChannels* layout,
                          ChannelQuantization* quantization);

// The one of a decode type's instantiations that fits `element_size` (1, 2, 4 or 8 bytes).
inline DecodeFunction ForElementSize(size_t element_size, DecodeFunction size1, DecodeFunction size2,
                                     DecodeFunction size4, DecodeFunction size8) {
  switch (element_size) {
    case 1: return size1;
    case 2: return size2;
    case 4: return size4;
    default: return size8;  // TensorTypeSize gives 1, 2, 4 or 8
  }
}

// Decode types: Prepare checks the ancillary data against the output and fills `plan`.
Status PrepareLut(NodeContext& node, const DecodeTensors& tensors, DecodeOutput* plan);
Status PreparePrune(NodeContext& node, const DecodeTensors& tensors, DecodeOutput* plan);
Status PrepareSynth(NodeContext& node, const DecodeTensors& tensors, DecodeOutput* plan);

}  // namespace tpw

#endif  // TPW_MICRO_RUNTIME_KERNELS_DECODE_H_
