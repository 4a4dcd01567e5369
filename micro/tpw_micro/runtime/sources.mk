# The runtime's portable sources, for any Make-based build (host tools, firmware).
# Include this file, then compile $(TPW_RUNTIME_SRCS) with -I$(TPW_RUNTIME_DIR)
# and $(TPW_RUNTIME_CXXFLAGS) (C++17, no exceptions/RTTI, no FP contraction so
# quantization multipliers match TFLM on host and target).
TPW_RUNTIME_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
TPW_RUNTIME_SRCS := $(sort $(wildcard $(TPW_RUNTIME_DIR)/*.cc) \
    $(filter-out %_test.cc,$(wildcard $(TPW_RUNTIME_DIR)/kernels/*.cc)))
# Unit tests beside the kernels (kernels/<name>_test.cc), each a host program.
TPW_KERNEL_TESTS := $(sort $(wildcard $(TPW_RUNTIME_DIR)/kernels/*_test.cc))
TPW_RUNTIME_CXXFLAGS := -std=c++17 -fno-exceptions -fno-rtti -fno-threadsafe-statics \
    -ffp-contract=off -I$(TPW_RUNTIME_DIR)
