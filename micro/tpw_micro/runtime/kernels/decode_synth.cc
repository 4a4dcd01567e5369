// DECODE type 128, a synthesized kernel (HyperTinyPW, Eq. 1-3): the INT8 kernel
// of a generated pointwise layer is computed from the packed generator side.
//
// Byte layout (written by tpw_export/synthesis.py `encode`, whose docstring is
// the reference): the ancillary data hold what layers share, the DCM then the
// float32 scales of W1, b1, W2, b2 [, B or P] and their codes as one bit
// stream (`bits`-wide two's complement, most significant bit first); the
// encoded data hold the layer's own: the scales of z_l and H_l / A_l / s, then
// their codes as one stream. DCM byte 4 is the type's version (1), byte 5
// `bits`, byte 6 the head (0 full, 1 factorized, 2 shared_basis), uint16
// little-endian d_z at 8, hidden width at 10, d_h at 12, r at 14, and byte 7
// the schedule: 1 (boot) synthesizes the kernel once, in Prepare (i.e. during
// AllocateTensors), into persistent arena memory, so Invoke costs what the
// baked file's does; 0 (lazy) synthesizes it at every Invoke, just before its
// consumer, into the planned output (decode.h). The output is the conv filter
// (Cout, 1, 1, Cin).
//
// Arithmetic: exactly synthesis.py's, float32 in its order (each product and
// sum rounded; the runtime builds with -ffp-contract=off, so no fused
// multiply-add), tanh from + - * /, floorf and ldexpf only; IEEE-754 makes the
// bytes equal on the host and a Cortex-M4. Nothing here depends on the rest of
// the runtime but DecodeOutput, so the same functions could sit behind TFLM's
// custom-decoder registration.
#include <math.h>
#include <string.h>

#include "kernels/decode.h"
#include "kernels/kernel_util.h"

namespace tpw {

// What synthesis needs, filled by PrepareSynth in persistent memory. Its
// scratch is floats: the tanh layer (hidden), h (d_h), B h (rank), then one
// kernel column (cin; z_l's d_z values before that).
struct SynthPlan {
  uint8_t bits, head;
  int32_t d_z, hidden, d_h, rank, cin, cout;
  const uint8_t* shared_scales;  // float32 W1, b1, W2, b2 [, B or P], unaligned
  const uint8_t* shared_codes;   // their codes, one stream
  const uint8_t* own_scales;     // float32 z_l, own
  const uint8_t* own_codes;
};

namespace {

constexpr int kVersionByte = 4, kBitsByte = 5, kHeadByte = 6, kScheduleByte = 7, kDimsByte = 8;
constexpr uint8_t kHeadFull = 0, kHeadFactorized = 1, kHeadSharedBasis = 2;
constexpr uint8_t kScheduleLazy = 0, kScheduleBoot = 1;
constexpr float kInt8Max = 127.0f;

// Field `index` of a stream of `bits`-wide two's complement codes; reads the
// second byte only when the field crosses into it, so a stream checked for
// ceil(n * bits / 8) bytes is safe for indices below n.
int32_t Code(const uint8_t* stream, size_t index, uint8_t bits) {
  const size_t bit = index * bits;
  const uint32_t shift = static_cast<uint32_t>(bit & 7u);
  uint32_t window = static_cast<uint32_t>(stream[bit >> 3]) << 8;
  if (shift + bits > 8) window |= stream[(bit >> 3) + 1];
  const uint32_t field = (window >> (16u - shift - bits)) & ((1u << bits) - 1u);
  const uint32_t sign = 1u << (bits - 1);
  return static_cast<int32_t>(field ^ sign) - static_cast<int32_t>(sign);
}

float Scale(const uint8_t* scales, int32_t tensor) {
  float scale;
  memcpy(&scale, scales + 4 * tensor, sizeof(scale));
  return scale;
}

// A stored number: float32(code) * scale (synthesis.py, step 1).
struct Packed {
  const uint8_t* stream;
  size_t first;  // index of the tensor's first code in the stream
  float scale;
  uint8_t bits;
  float operator[](size_t i) const { return static_cast<float>(Code(stream, first + i, bits)) * scale; }
};

// sum_k a[k] * w[k * stride + n] from 0.0f in order k (synthesis.dot32).
float Dot(const float* a, int32_t count, const Packed& w, size_t stride, size_t n) {
  float acc = 0.0f;
  for (int32_t k = 0; k < count; ++k) acc = acc + a[k] * w[static_cast<size_t>(k) * stride + n];
  return acc;
}

// synthesis.tanh32, operation for operation.
float Tanh32(float x) {
  const float kSaturates = 9.0f;
  const float a = fminf(fabsf(x), kSaturates);
  const float y = -2.0f * a;
  const float k = floorf(y * 0x1.715476p+0f + 0.5f);
  const float r = (y - k * 0x1.63p-1f) - k * -0x1.bd0106p-13f;
  float p = 0x1.a01a02p-13f;
  p = p * r + 0x1.6c16c2p-10f;
  p = p * r + 0x1.111112p-7f;
  p = p * r + 0x1.555556p-5f;
  p = p * r + 0x1.555556p-3f;
  p = p * r + 0x1p-1f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const float e = ldexpf(p, static_cast<int>(k));
  const float t = a >= kSaturates ? 1.0f : (1.0f - e) / (1.0f + e);
  return copysignf(t, x);
}

// synthesis.round_half_away: |x| - floor|x| is exact, floor(|x| + 0.5) is not.
float RoundHalfAway(float x) {
  const float a = fabsf(x);
  const float whole = floorf(a);
  return copysignf(a - whole >= 0.5f ? whole + 1.0f : whole, x);
}

void DecodeSynth(const DecodeOutput& output, void* scratch, uint8_t* out) {
  const SynthPlan& s = *output.synth;
  float* hidden_values = static_cast<float*>(scratch);
  float* h = hidden_values + s.hidden;
  float* u = h + s.d_h;
  float* column = u + s.rank;
  const Packed w1{s.shared_codes, 0, Scale(s.shared_scales, 0), s.bits};
  const Packed b1{s.shared_codes, w1.first + static_cast<size_t>(s.d_z) * s.hidden, Scale(s.shared_scales, 1), s.bits};
  const Packed w2{s.shared_codes, b1.first + s.hidden, Scale(s.shared_scales, 2), s.bits};
  const Packed b2{s.shared_codes, w2.first + static_cast<size_t>(s.hidden) * s.d_h, Scale(s.shared_scales, 3), s.bits};
  const Packed shared{s.shared_codes, b2.first + s.d_h, Scale(s.shared_scales, 4), s.bits};
  const Packed code{s.own_codes, 0, Scale(s.own_scales, 0), s.bits};
  const Packed own{s.own_codes, static_cast<size_t>(s.d_z), Scale(s.own_scales, 1), s.bits};
  // Eq. 1: h = W2 tanh(W1 z + b1) + b2, z dequantized once.
  for (int32_t k = 0; k < s.d_z; ++k) column[k] = code[k];
  for (int32_t j = 0; j < s.hidden; ++j) hidden_values[j] = Tanh32(Dot(column, s.d_z, w1, s.hidden, j) + b1[j]);
  for (int32_t j = 0; j < s.d_h; ++j) h[j] = Dot(hidden_values, s.hidden, w2, s.d_h, j) + b2[j];
  for (int32_t r = 0; r < s.rank; ++r) u[r] = Dot(h, s.d_h, shared, s.rank, r);  // Eq. 3: B h
  const size_t size = static_cast<size_t>(s.cin) * s.cout;
  int8_t* kernel = reinterpret_cast<int8_t*>(out);
  for (int32_t c = 0; c < s.cout; ++c) {
    float peak = 0.0f;
    for (int32_t i = 0; i < s.cin; ++i) {
      const size_t n = static_cast<size_t>(i) * s.cout + c;  // W (Cin, Cout), row-major
      float w;
      if (s.head == kHeadFull) {
        w = Dot(h, s.d_h, own, size, n);  // Eq. 2: H h
      } else if (s.head == kHeadFactorized) {
        w = Dot(u, s.rank, own, size, n);  // Eq. 3: A (B h)
      } else {
        w = Dot(h, s.d_h, shared, size, n) * own[c];  // diag(s) P h
      }
      column[i] = w;
      peak = fmaxf(peak, fabsf(w));
    }
    // synthesis.int8_kernel: step = peak / 127, q = round_half_away(w / step).
    const float step = peak / kInt8Max;
    for (int32_t i = 0; i < s.cin; ++i) {
      const float q = step > 0.0f ? fminf(fmaxf(RoundHalfAway(column[i] / step), -kInt8Max), kInt8Max) : 0.0f;
      kernel[static_cast<size_t>(c) * s.cin + i] = static_cast<int8_t>(q);
    }
  }
}

uint16_t Dim16(const uint8_t* dcm, int field) {
  return static_cast<uint16_t>(dcm[kDimsByte + 2 * field] | (dcm[kDimsByte + 2 * field + 1] << 8));
}

// ceil(count * bits / 8), the bytes of one code stream (Eq. 4).
uint64_t StreamBytes(uint64_t count, uint8_t bits) { return (count * bits + 7) / 8; }

Status Short(const NodeContext& node, const DecodeTensors& tensors, const char* what, size_t has, uint64_t needs) {
  return DecodeError(node, tensors, StatusCode::kInvalidModel,
      "%s has %d bytes, the synthesized kernel's parts need %d",
      what, static_cast<int32_t>(has), static_cast<int32_t>(needs));
}

}  // namespace

Status PrepareSynth(NodeContext& node, const DecodeTensors& tensors, DecodeOutput* plan) {
  const uint8_t* dcm = tensors.ancillary->data.uint8;
  const Tensor* output = tensors.output;
  if (output->type != TensorType::kInt8 || Rank(output) != 4 || Dim(output, 1) != 1 || Dim(output, 2) != 1) {
    return DecodeError(node, tensors, StatusCode::kInvalidModel,
        "a synthesized kernel is an int8 (Cout, 1, 1, Cin) conv filter");
  }
  if (dcm[kVersionByte] != 1) {
    return DecodeError(node, tensors, StatusCode::kUnsupported, "decode type version %d in DCM byte 4, expected 1",
        dcm[kVersionByte]);
  }
  const uint8_t bits = dcm[kBitsByte], head = dcm[kHeadByte], schedule = dcm[kScheduleByte];
  if (schedule != kScheduleLazy && schedule != kScheduleBoot) {
    return DecodeError(node, tensors, StatusCode::kInvalidModel,
        "schedule %d in DCM byte 7, expected 0 (lazy) or 1 (boot)", schedule);
  }
  if (bits < 2 || bits > 8) {
    return DecodeError(node, tensors, StatusCode::kInvalidModel, "packed at %d bits, expected 2-8", bits);
  }
  if (head > kHeadSharedBasis) {
    return DecodeError(node, tensors, StatusCode::kInvalidModel,
        "head %d, expected 0 (full), 1 (factorized) or 2 (shared_basis)", head);
  }
  const int32_t d_z = Dim16(dcm, 0), hidden = Dim16(dcm, 1), d_h = Dim16(dcm, 2), rank = Dim16(dcm, 3);
  if (d_z == 0 || hidden == 0 || d_h == 0 || (rank == 0) == (head == kHeadFactorized)) {
    return DecodeError(node, tensors, StatusCode::kInvalidModel,
        "generator dimensions d_z %d, hidden %d, d_h %d, r %d: "
        "all but r must be positive, and r exactly for the factorized head",
        d_z, hidden, d_h, rank);
  }
  const uint64_t cout = static_cast<uint64_t>(Dim(output, 0)), cin = static_cast<uint64_t>(Dim(output, 3));
  const uint64_t size = cin * cout;
  const uint64_t generator = static_cast<uint64_t>(d_z) * hidden + hidden + static_cast<uint64_t>(hidden) * d_h + d_h;
  const uint64_t shared = head == kHeadFull ? 0 : d_h * (head == kHeadFactorized ? static_cast<uint64_t>(rank) : size);
  const uint64_t own = head == kHeadFull ? d_h * size : head == kHeadFactorized ? rank * size : cout;
  const uint64_t shared_scales = head == kHeadFull ? 4 : 5;
  const uint64_t ancillary = kDcmBytes + 4 * shared_scales + StreamBytes(generator + shared, bits);
  if (tensors.ancillary->bytes < ancillary) return Short(node, tensors, "ancillary data", tensors.ancillary->bytes, ancillary);
  const uint64_t encoded = 2 * 4 + StreamBytes(d_z + own, bits);
  if (tensors.encoded->bytes < encoded) return Short(node, tensors, "encoded data", tensors.encoded->bytes, encoded);
  SynthPlan* synth = nullptr;
  TPW_RETURN_IF_ERROR(node.AllocatePersistent(sizeof(SynthPlan), reinterpret_cast<void**>(&synth)));
  const uint8_t* data = tensors.encoded->data.uint8;
  *synth = SynthPlan{bits, head, d_z, hidden, d_h, rank, static_cast<int32_t>(cin), static_cast<int32_t>(cout),
                     dcm + kDcmBytes, dcm + kDcmBytes + 4 * shared_scales, data, data + 8};
  plan->synth = synth;
  plan->decode = DecodeSynth;
  const uint64_t floats = static_cast<uint64_t>(hidden) + d_h + rank + (cin > static_cast<uint64_t>(d_z) ? cin : d_z);
  if (floats > SIZE_MAX / sizeof(float)) {
    return DecodeError(node, tensors, StatusCode::kUnsupported,
        "synthesis scratch of %d floats exceeds the address space",
        static_cast<int32_t>(floats > INT32_MAX ? INT32_MAX : floats));
  }
  plan->scratch_bytes = static_cast<size_t>(floats * sizeof(float));
  plan->once = schedule == kScheduleBoot;
  return Status::Ok();
}

}  // namespace tpw
