//===- attngen.cuh - Umbrella header of the device templates ---------------===//
//
// The one include of every emitted translation unit: the parameter block,
// the quantization prologues (kv_stats, quant_kv, quant_q) and attention
// (dispatching to the wgmma or mma.sync mainloop by Cfg::kMainloop).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNGEN_ATTNGEN_CUH
#define ATTNGEN_ATTNGEN_CUH

#include "attngen/kernel/attention.cuh"
#include "attngen/kernel/config.h"
#include "attngen/kernel/params.h"
#include "attngen/quant/prologue.cuh"

#endif // ATTNGEN_ATTNGEN_CUH
