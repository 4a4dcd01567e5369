// The op resolver of the embedded model, generated per model by
// tpw_micro.firmware.resolver_source into the firmware's build folder
// (model_resolver.cc): only the kernels the model's operator codes name are
// registered, so the link (--gc-sections) keeps no other kernel.
#ifndef TPW_MICRO_FIRMWARE_STM32L4_MODEL_RESOLVER_H_
#define TPW_MICRO_FIRMWARE_STM32L4_MODEL_RESOLVER_H_

#include "op_resolver.h"
#include "status.h"

namespace tpw {

// Registers the model's ops in `resolver`; an error when it is full or an op
// is registered twice.
Status AddModelOps(OpResolver* resolver);

}  // namespace tpw

#endif  // TPW_MICRO_FIRMWARE_STM32L4_MODEL_RESOLVER_H_
