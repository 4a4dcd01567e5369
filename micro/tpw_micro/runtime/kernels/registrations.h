// The registration of every op this runtime implements, each defined in the
// op's own file under kernels/ (one constant OpRegistration each, so a
// resolver only stores pointers). AllOpsResolver (all_ops_resolver.cc)
// registers them all; a firmware may register only the ops its model uses.
#ifndef TPW_MICRO_RUNTIME_KERNELS_REGISTRATIONS_H_
#define TPW_MICRO_RUNTIME_KERNELS_REGISTRATIONS_H_

#include "op_resolver.h"

namespace tpw {

const OpRegistration* Register_ADD();
const OpRegistration* Register_AVERAGE_POOL_2D();
const OpRegistration* Register_BATCH_TO_SPACE_ND();
const OpRegistration* Register_CONCATENATION();
const OpRegistration* Register_CONV_2D();
const OpRegistration* Register_DECODE();  // the custom operator "TFLM_DECODE"
const OpRegistration* Register_DEPTHWISE_CONV_2D();
const OpRegistration* Register_DEQUANTIZE();
const OpRegistration* Register_EXPAND_DIMS();
const OpRegistration* Register_FULLY_CONNECTED();
const OpRegistration* Register_LOGISTIC();
const OpRegistration* Register_MAX_POOL_2D();
const OpRegistration* Register_MEAN();
const OpRegistration* Register_MUL();
const OpRegistration* Register_PACK();
const OpRegistration* Register_PAD();
const OpRegistration* Register_QUANTIZE();
const OpRegistration* Register_RELU();
const OpRegistration* Register_RELU6();
const OpRegistration* Register_RESHAPE();
const OpRegistration* Register_SHAPE();
const OpRegistration* Register_SOFTMAX();
const OpRegistration* Register_SPACE_TO_BATCH_ND();
const OpRegistration* Register_SQUEEZE();
const OpRegistration* Register_STRIDED_SLICE();

}  // namespace tpw

#endif  // TPW_MICRO_RUNTIME_KERNELS_REGISTRATIONS_H_
