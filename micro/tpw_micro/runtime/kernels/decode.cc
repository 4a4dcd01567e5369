#include "kernels/decode.h"

#include "kernels/kernel_util.h"

namespace tpw {
namespace {

// DCM decode types (byte 0) TFLM defines; 128-255 are application-defined.
constexpr uint8_t kDecodeLut = 0, kDecodeHuffman = 1, kDecodePrune = 2;
constexpr uint8_t kDecodeSynth = 128;  // tpw: a kernel synthesized from the packed generator

Status PreparePair(NodeContext& node, int32_t k, DecodeOutput* plan) {
  const DecodeTensors tensors{k, node.output_index(k), node.input(2 * k), node.input(2 * k + 1), node.output(k)};
  if (!tensors.encoded->is_constant || !tensors.ancillary->is_constant) {
    return DecodeError(node, tensors, StatusCode::kInvalidModel,
        "encoded and ancillary inputs must be constant tensors");
  }
  if (tensors.output->type == TensorType::kUInt8) {
    return DecodeError(node, tensors, StatusCode::kUnsupported, "uint8 output, TFLM decodes none");
  }
  if (tensors.ancillary->bytes < kDcmBytes) {
    return DecodeError(node, tensors, StatusCode::kInvalidModel,
        "ancillary data has %d bytes, shorter than the 16-byte DCM", static_cast<int32_t>(tensors.ancillary->bytes));
  }
  const uint8_t* dcm = tensors.ancillary->data.uint8;
  if (dcm[kDcmVersion] != 1) {
    return DecodeError(node, tensors, StatusCode::kUnsupported, "DCM version %d, expected 1", dcm[kDcmVersion]);
  }
  if ((dcm[kDcmType] == kDecodeLut || dcm[kDcmType] == kDecodePrune) && dcm[kDcmTypeVersion] != 1) {
    return DecodeError(node, tensors, StatusCode::kUnsupported, "decode type version %d in DCM byte 4, expected 1",
        dcm[kDcmTypeVersion]);
  }
  switch (dcm[kDcmType]) {
    case kDecodeLut: return PrepareLut(node, tensors, plan);
    case kDecodePrune: return PreparePrune(node, tensors, plan);
    case kDecodeSynth: return PrepareSynth(node, tensors, plan);
    case kDecodeHuffman:
      return DecodeError(node, tensors, StatusCode::kUnsupported, "Huffman decoding is not supported");
    default:
      return DecodeError(node, tensors, StatusCode::kUnsupported,
          "decode type %d, expected 0 (LUT), 2 (pruning) or 128 (synthesized kernel)", dcm[kDcmType]);
  }
}

// Decodes `plan` into persistent memory now, with temporary scratch, and marks
// the output constant: planning then gives it no head memory and Eval skips it.
Status DecodeOnce(NodeContext& node, const DecodeOutput& plan, Tensor* output) {
  void* scratch = nullptr;
  TPW_RETURN_IF_ERROR(node.AllocatePersistent(output->bytes, &output->data.raw));
  TPW_RETURN_IF_ERROR(node.AllocateTemporary(plan.scratch_bytes, &scratch));
  plan.decode(plan, scratch, output->data.uint8);
  output->is_constant = true;
  return Status::Ok();
}

Status Prepare(NodeContext& node) {
  const int32_t outputs = node.num_outputs();
  // ExpectCounts below then checks every slot is present and outputs are not constant.
  if (outputs < 1 || node.num_inputs() != 2 * outputs) {
    return node.Error(StatusCode::kInvalidModel,
        "has %d inputs and %d outputs, expected two inputs (encoded, ancillary) per output",
        node.num_inputs(), outputs);
  }
  TPW_RETURN_IF_ERROR(node.ExpectCounts(2 * outputs, outputs));
  DecodeOutput* plans = nullptr;
  TPW_RETURN_IF_ERROR(node.AllocateOpData(&plans, static_cast<size_t>(outputs)));
  size_t scratch = 0;  // the most any output decoded at Eval needs
  for (int32_t k = 0; k < outputs; ++k) {
    TPW_RETURN_IF_ERROR(PreparePair(node, k, &plans[k]));
    if (plans[k].once) {
      TPW_RETURN_IF_ERROR(DecodeOnce(node, plans[k], node.output(k)));
    } else if (plans[k].scratch_bytes > scratch) {
      scratch = plans[k].scratch_bytes;
    }
  }
  return scratch > 0 ? node.RequestScratch(scratch) : Status::Ok();
}

Status Eval(NodeContext& node) {
  const DecodeOutput* plans = node.op_data<DecodeOutput>();
  for (int32_t k = 0; k < node.num_outputs(); ++k) {
    Tensor* output = node.output(k);
    if (!output->is_constant) plans[k].decode(plans[k], node.scratch(), output->data.uint8);
  }
  return Status::Ok();
}

const OpRegistration kRegistration = {"DECODE", Prepare, Eval};

}  // namespace

Status DecodeError(const NodeContext& node, const DecodeTensors& tensors, StatusCode code, const char* format, ...) {
  Status status = node.Error(code, "tensor %d: ", tensors.output_index);
  va_list args;
  va_start(args, format);
  status.AppendV(format, args);
  va_end(args);
  return status;
}

Status ReadDecodeChannels(NodeContext& node, const DecodeTensors& tensors, DecodeChannels* layout,
                          ChannelQuantization* quantization) {
  TPW_RETURN_IF_ERROR(node.OutputQuantization(tensors.output_slot, quantization));
  const int32_t count = Elements(tensors.output);
  const int32_t rank = Rank(tensors.output);
  const int32_t scales = static_cast<int32_t>(quantization->scales.length());
  const int32_t axis = quantization->quantized_dimension;
  *layout = DecodeChannels{1, 1, count, false};
  if (scales == 0) return Status::Ok();  // not quantized: one channel
  const bool last = rank > 0 && axis == rank - 1 && scales > 1;
  if (!last && axis != 0) {
    return DecodeError(node, tensors, StatusCode::kUnsupported,
        "quantized dimension %d, TFLM decodes only 0 or the last", axis);
  }
  if (scales > 1 && (rank == 0 || Dim(tensors.output, axis) != scales)) {
    return DecodeError(node, tensors, StatusCode::kInvalidModel,
        "%d scales do not match the extent of quantized dimension %d", scales, axis);
  }
  if (last) {
    *layout = DecodeChannels{scales, count / scales, scales, true};
  } else {
    *layout = DecodeChannels{scales, scales, count / scales, false};
  }
  return Status::Ok();
}

const OpRegistration* Register_DECODE() { return &kRegistration; }

}  // namespace tpw
