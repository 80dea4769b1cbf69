//===- main.cpp - The attngen command-line tool ---------------------------===//

#include "Cli.h"

#include <fmt/format.h>

#include <cstring>

using namespace attngen::cli;

static const char *kUsageText = R"(attngen - a kernel generator for quantized attention

usage: attngen <command> [options]

commands:
  list FILE...                 the variants of DSL files, one line each
  emit FILE                    generate: --ir | --plan-ir | --plan | --cuda (default) |
                               --ptx | --cubin OUT | --sass; or --package DIR /
                               --package-dir DIR (one package per variant)
  compile FILE                 JIT-compile through the caches; cold and warm latency
  compile-packages DIR         compile every package under DIR into the disk cache
  explain FILE [--shape S]     tiles, kernels, shared memory, registers, FLOPs, bytes,
                               and the roofline floors of a shape
  run FILE|--package DIR       run on the GPU against the CPU reference: error metrics
                               and time (--shape, --inputs random|activation, --seed)
  bench FILE|--package DIR     time on the GPU over shapes (--shapes S;S;...)
  cache ls|clear               the on-disk kernel cache
  demo FILE                    the main job: IR, plan, resources, compile, run
  tune FILE|--package DIR      sweep the legal tiles on the GPU (--shapes S;S;...), keep
                               the fastest correct per shape bucket in the tuning database
                               (--db PATH; --dry-run / --precompile need no GPU)
  fit-bias TABLE|--swin HxW     low-rank factors of a dense bias table (.npy, or raw
                               float32 .bin with --rows/--cols) for bias = lowrank(R):
                               --energy E | --error E | --rank R, --max-rank K,
                               --out PREFIX (PREFIX.qb.npy, PREFIX.kb.npy); no GPU

common options:
  --variant NAME   pick a variant of a file with several (--all: every one)
  --target T       sm_80 | sm_86 | sm_89 | sm_90 | sm_90a (default: this GPU, else sm_90a)
  --shape S        B,H,N (self-attention) or B,Hq,Hkv,Nq,Nk
  --tuning-db P    (emit, explain, run, bench) tiles from this tuning database, bucketed
                   by the shape
  --tiles BM,BN,W,S  (emit, explain) the attention tiles by hand (block_m, block_n,
                   warps, stages), checked by the tuner's rules

exit codes: 0 ok, 1 failure, 2 usage error, 3 needs a GPU and none is present
)";

int main(int argc, char **argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    fmt::print("{}", kUsageText);
    return argc < 2 ? kUsage : kOk;
  }
  const std::string cmd = argv[1];
  struct Entry {
    const char *name;
    int (*fn)(int, char **);
  };
  static const Entry commands[] = {
      {"list", cmdList},       {"emit", cmdEmit},   {"compile", cmdCompile},
      {"compile-packages", cmdCompilePackages},     {"explain", cmdExplain},
      {"run", cmdRun},         {"bench", cmdBench}, {"cache", cmdCache},
      {"demo", cmdDemo},       {"tune", cmdTune},   {"fit-bias", cmdFitBias},
  };
  for (const Entry &e : commands)
    if (cmd == e.name)
      return e.fn(argc - 2, argv + 2);
  fmt::print(stderr, "attngen: unknown command '{}'\n\n{}", cmd, kUsageText);
  return kUsage;
}
