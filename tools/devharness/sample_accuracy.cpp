//===- sample_accuracy.cpp - Accuracy of a variant's emulation vs FP32 ----===//
//
// A CPU study program (no GPU): for each variant file and seed, the CPU
// emulation of the variant (the kernels' arithmetic) against exact FP32
// attention on activation-like inputs (runtime/reference/Inputs.h, rounded
// to bf16), B = 1,
// H = 8, N = 4096, D = the variant's, sm_90a tiles (128 x 128), kvChunk
// 1024. Built against two trees, it compares two quantization contracts (the
// round-4 sampled K/Q statistics against every token, bench/NOTES.md).
//   g++ -std=c++17 -O2 -DFMT_HEADER_ONLY -I<tree>/compiler/include
//       -I<tree>/runtime/include -I<tree>/templates sample_accuracy.cpp
//       <build>/lib/libattngen_{reference,frontend,spec}.a -lpthread
//   ./a.out examples/default.attn examples/sage2_int8_fp8.attn
//
//===----------------------------------------------------------------------===//
#include "attngen/Frontend/Parser.h"
#include "attngen/reference/Emulate.h"
#include "attngen/reference/Exact.h"
#include "attngen/reference/Inputs.h"
#include "attngen/reference/Metrics.h"

#include <cstdio>

using namespace attngen;

int main(int argc, char **argv) {
  int status = 0;
  for (int a = 1; a < argc; ++a) {
    ParseResult parsed = parseVariantFile(argv[a]);
    if (!parsed.ok() || parsed.variants.empty()) {
      std::fprintf(stderr, "%s: %s\n", argv[a], parsed.errors().c_str());
      return 1;
    }
    const Variant &v = parsed.variants.front();
    const ref::AttnShape s{1, 8, 8 / v.gqa, 4096, 4096, v.head_dim};
    for (unsigned seed : {1u, 31u, 77u}) {
      // Rounded to bf16 first, as the GPU tests' problems are: the exact
      // reference then sees what the kernel reads.
      ref::AttnInputs in = ref::activationLike(s, seed);
      ref::roundTo(in.q, DType::BF16);
      ref::roundTo(in.k, DType::BF16);
      ref::roundTo(in.v, DType::BF16);
      std::string err;
      auto emu = ref::emulate(v, Tiles{128, 128, 12, 3}, 1024, in, err);
      ref::ExactOptions eo;
      eo.scale = v.effectiveScale();
      eo.causal = v.mask == MaskKind::Causal;
      auto exact = ref::exactAttention(in, eo, err);
      if (!emu || !exact) {
        std::fprintf(stderr, "%s seed %u: %s\n", argv[a], seed, err.c_str());
        status = 1;
        continue;
      }
      const ref::ErrorMetrics m = ref::compare(emu->out.o, exact->o);
      std::printf("%-16s seed %-3u relL1 %.5f cos %.6f maxAbs %.4f\n", v.name.c_str(), seed,
                  m.relL1, m.cosine, m.maxAbs);
    }
  }
  return status;
}
