// Biases read from memory (issue 4): bias = lowrank(R) (FlashBias) and bias
// = dense through the DSL and builder, the plan JSON, the exact reference
// against a dense-table oracle, the emulation, and the launch checks. The kernels are checked on the GPU
// (tests/gpu/VariantTest.cpp) and compiled for every target in tests/nvrtc.
#include "catch.h"

#include "attngen/Frontend/Builder.h"
#include "attngen/Frontend/Parser.h"
#include "attngen/Frontend/Printer.h"
#include "attngen/Spec/Plan.h"
#include "attngen/reference/Emulate.h"
#include "attngen/reference/Exact.h"
#include "attngen/reference/Inputs.h"
#include "attngen/reference/LowRank.h"
#include "attngen/reference/Metrics.h"
#include "attngen/runtime/Launch.h"
#include "attngen/runtime/Workspace.h"

#include "AttentionOracle.h"
#include "RuntimeTestSupport.h"

#include <algorithm>
#include <cmath>
#include <string>

using namespace attngen;
using namespace attngen::ref;

namespace {

ParseResult parse(const std::string &body) {
  return parseVariants("variant w {\n" + body + "\n}\n", "w.attn");
}

void oneError(const std::string &body, int line, int column, const std::string &message) {
  ParseResult r = parse(body);
  INFO(body << "\n" << r.errors());
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].line == line);
  CHECK(r.diagnostics[0].column == column);
  CHECK(r.diagnostics[0].message.find(message) != std::string::npos);
}

/// Softmax attention with the bias written out as a dense [Nq, Nk] table per
/// head (the factors' product plus the dense table): the oracle of the
/// reference's biases.
AttnOutput denseBias(const AttnInputs &in, double scale) {
  const AttnShape &s = in.shape;
  const int R = in.biasRank;
  return test::biasedAttention(
      in, scale, [](double x) { return x; },
      [&](int b, int h, int i, int j) {
        double bias = 0;
        for (int r = 0; r < R; ++r)
          bias += double(in.biasQ[AttnShape::rowOffset(b, h, i, s.headsQ, s.seqQ, R) + r]) *
                  in.biasK[AttnShape::rowOffset(b, h, j, s.headsQ, s.seqK, R) + r];
        if (!in.biasDense.empty())
          bias += in.biasDense[AttnShape::rowOffset(b, h, i, s.headsQ, s.seqQ, s.seqK) + j];
        return bias;
      });
}

/// The emulation of `v` on `in` is close to the exact reference, finite, and
/// keeps its fully masked rows (LSE = -inf) as they are.
void emulationFollowsExact(const Variant &v, const AttnInputs &in) {
  std::string err;
  auto e = emulate(v, Tiles{64, 64, 4, 2}, 128, in, err);
  INFO(err);
  REQUIRE(e);
  auto x = exactAttention(in, exactOptionsFor(v, in.shape.headsQ), err);
  REQUIRE(x);
  ErrorMetrics m = compare(e->out.o, x->o);
  INFO(m.str());
  CHECK(m.nonFinite == 0);
  CHECK(m.cosine > 0.998);
  for (size_t i = 0; i < x->lse.size(); ++i)
    if (std::isinf(x->lse[i]))
      CHECK(e->out.lse[i] == x->lse[i]);
}

Variant lowRankVariant(int rank, DType pv = DType::E4M3) {
  Variant v;
  v.name = "lr";
  v.pv = pv;
  v.head_dim = 64;
  v.bias = BiasKind::LowRank;
  v.bias_rank = rank;
  return v;
}

} // namespace

TEST_CASE("DSL: bias = lowrank(R) parses, prints and round-trips", "[lowrank][frontend]") {
  ParseResult r = parse("bias = lowrank(16);");
  INFO(r.errors());
  REQUIRE(r.ok());
  const Variant &v = r.variants[0];
  CHECK(v.bias == BiasKind::LowRank);
  CHECK(v.bias_rank == 16);
  const std::string text = printVariant(v);
  CHECK(text.find("  bias = lowrank(16);\n") != std::string::npos);
  ParseResult again = parseVariants(text, "again.attn");
  REQUIRE(again.ok());
  CHECK(again.variants[0] == v);
  // The rank is part of the variant (and so of its cache key).
  ParseResult other = parse("bias = lowrank(8);");
  REQUIRE(other.ok());
  CHECK(other.variants[0] != v);
  CHECK(printVariant(other.variants[0]) != text);
  // Another bias set later drops the rank.
  CHECK(VariantBuilder("a").lowRankBias(8).bias(BiasKind::Alibi).validate().empty());
}

TEST_CASE("DSL: bad low-rank biases are refused with a position", "[lowrank][frontend]") {
  oneError("bias = lowrank;", 2, 15, "expected '(' and the rank after 'lowrank'");
  oneError("bias = lowrank(0);", 2, 16, "the bias rank must be in [1, 64], got 0");
  oneError("bias = lowrank(65);", 2, 16, "the bias rank must be in [1, 64], got 65");
  oneError("bias = lowrank(2.5);", 2, 16, "must be an integer");
  oneError("bias = lowrank(r);", 2, 16, "expected the rank of the bias factors");
  oneError("bias = lowrank(4;", 2, 17, "expected ')' after the rank");
}

TEST_CASE("builder: the rank belongs to a low-rank bias", "[lowrank][frontend]") {
  CHECK(VariantBuilder("a").lowRankBias(32).validate().empty());
  CHECK(VariantBuilder("a").lowRankBias(0).validate().size() == 1);
  CHECK(VariantBuilder("a").lowRankBias(kMaxBiasRank + 1).validate().size() == 1);
  Variant v = lowRankVariant(4);
  v.bias = BiasKind::Alibi; // a rank left behind
  std::vector<Diagnostic> d = validateVariant(v);
  REQUIRE(d.size() == 1);
  CHECK(d[0].message.find("bias_rank is 4 but the bias is alibi") != std::string::npos);
}

TEST_CASE("plan JSON carries the bias rank", "[lowrank][spec]") {
  KernelPlan plan = test::defaultPlan();
  plan.variant.bias = BiasKind::LowRank;
  plan.variant.bias_rank = 24;
  const std::string json = toJson(plan);
  CHECK(json.find("\"bias\": \"lowrank\"") != std::string::npos);
  CHECK(json.find("\"bias_rank\": 24") != std::string::npos);
  std::string err;
  auto back = planFromJson(json, err);
  INFO(err);
  REQUIRE(back);
  CHECK(back->variant == plan.variant);
}

TEST_CASE("exact reference: the factored bias equals the dense table", "[lowrank][reference]") {
  AttnShape s{2, 4, 2, 70, 130, 64};
  AttnInputs in = randomNormal(s, 3);
  addLowRankBias(in, 7, 4);
  std::string err;
  auto got = exactAttention(in, ExactOptions{0.125}, err);
  INFO(err);
  REQUIRE(got);
  AttnOutput want = denseBias(in, 0.125);
  ErrorMetrics m = compare(got->o, want.o);
  INFO(m.str());
  CHECK(m.maxAbs < 1e-5);
  // The bias matters: without it the result moves.
  AttnInputs plain = in;
  plain.biasRank = 0;
  plain.biasQ.clear();
  plain.biasK.clear();
  auto unbiased = exactAttention(plain, ExactOptions{0.125}, err);
  REQUIRE(unbiased);
  CHECK(compare(unbiased->o, want.o).maxAbs > 1e-2);
  // A bias constant along each row (kb_j = 1) is invisible to softmax.
  AttnInputs rowConst = plain;
  rowConst.biasRank = 1;
  rowConst.biasQ.assign(size_t(s.batch) * s.headsQ * s.seqQ, 0.f);
  rowConst.biasK.assign(size_t(s.batch) * s.headsQ * s.seqK, 1.f);
  for (size_t i = 0; i < rowConst.biasQ.size(); ++i)
    rowConst.biasQ[i] = float(i % 13) - 6.f;
  auto shifted = exactAttention(rowConst, ExactOptions{0.125}, err);
  REQUIRE(shifted);
  CHECK(compare(shifted->o, unbiased->o).maxAbs < 1e-5);
}

TEST_CASE("emulation: the low-rank bias follows the exact reference", "[lowrank][reference]") {
  AttnShape s{1, 2, 2, 150, 230, 64};
  for (int rank : {1, 5, 16, 40})
    for (DType pv : {DType::E4M3, DType::I8, DType::BF16}) {
      AttnInputs in = randomNormal(s, 11);
      addLowRankBias(in, rank, 12);
      Variant v = lowRankVariant(rank, pv);
      for (bool causal : {false, true}) {
        v.mask = causal ? MaskKind::Causal : MaskKind::None;
        INFO("rank " << rank << " pv=" << toString(pv) << " causal " << causal);
        emulationFollowsExact(v, in);
      }
    }
}

TEST_CASE("emulation refuses factors that do not fit", "[lowrank][reference]") {
  AttnShape s{1, 2, 2, 64, 64, 64};
  AttnInputs in = randomNormal(s, 1);
  std::string err;
  // No factors for a rank-8 variant.
  CHECK_FALSE(emulate(lowRankVariant(8), Tiles{64, 64, 4, 2}, 128, in, err));
  CHECK(err.find("factors have rank 0") != std::string::npos);
  // Factors of another rank.
  addLowRankBias(in, 4, 2);
  CHECK_FALSE(emulate(lowRankVariant(8), Tiles{64, 64, 4, 2}, 128, in, err));
  CHECK(err.find("factors have rank 4") != std::string::npos);
  // Factors of the wrong size.
  in.biasK.pop_back();
  CHECK_FALSE(emulate(lowRankVariant(4), Tiles{64, 64, 4, 2}, 128, in, err));
  CHECK(err.find("the shape needs [B, Hq, Nq, R]") != std::string::npos);
  CHECK_FALSE(exactAttention(in, ExactOptions{}, err));
  // Factors for a variant without the bias.
  addLowRankBias(in, 4, 2);
  Variant none = lowRankVariant(4);
  none.bias = BiasKind::None;
  none.bias_rank = 0;
  CHECK_FALSE(emulate(none, Tiles{64, 64, 4, 2}, 128, in, err));
  CHECK(err.find("no low-rank bias") != std::string::npos);
}

TEST_CASE("a launch of a low-rank variant checks its factors", "[lowrank][launch]") {
  KernelPlan plan = test::defaultPlan();
  plan.variant.bias = BiasKind::LowRank;
  plan.variant.bias_rank = 16;
  test::LaunchCase c(plan, Problem{2, 8, 8, 256, 300});
  Tensors t = c.tensors;

  Status st = c.check(t);
  CHECK(st.message().find("lowrank(16) but the factors have rank 0") != std::string::npos);
  t.bias_rank = 16;
  st = c.check(t);
  CHECK(st.message().find("bias tensor qb is null") != std::string::npos);
  t.bias_q = reinterpret_cast<const void *>(uintptr_t(0x500000));
  t.bias_k = reinterpret_cast<const void *>(uintptr_t(0x600000));
  // Head-shared factors: zero batch and head strides are fine.
  t.bias_q_stride[2] = t.bias_k_stride[2] = 16;
  st = c.check(t);
  INFO(st.message());
  CHECK(st);
  auto params = c.params(t);
  REQUIRE(params);
  CHECK(params->bias_q == t.bias_q);
  CHECK(params->bias_k_stride[2] == 16);

  Tensors bad = t;
  bad.bias_k = reinterpret_cast<const void *>(uintptr_t(0x600002));
  CHECK(c.check(bad).message().find("bias tensor kb at") != std::string::npos);
  bad = t;
  bad.bias_q_stride[2] = 20; // rank 16 stages kb in 16-byte pieces: multiples of 8
  CHECK(c.check(bad).message().find("must be a multiple of 8") != std::string::npos);
  bad = t;
  bad.bias_k = reinterpret_cast<const void *>(uintptr_t(0x600008));
  CHECK(c.check(bad).message().find("not 16-byte aligned") != std::string::npos);
  bad = t;
  bad.bias_k_stride[1] = -1;
  CHECK(c.check(bad).message().find("negative") != std::string::npos);
  // An odd rank reads 16-bit halves: 2-byte alignment and odd strides are fine.
  c.plan.variant.bias_rank = 5;
  bad = t;
  bad.bias_rank = 5;
  bad.bias_q = reinterpret_cast<const void *>(uintptr_t(0x500002));
  bad.bias_q_stride[2] = bad.bias_k_stride[2] = 5;
  CHECK(c.check(bad));
  // Without the bias the factors are not passed on.
  c.plan.variant.bias = BiasKind::None;
  c.plan.variant.bias_rank = 0;
  params = c.params(t);
  REQUIRE(params);
  CHECK(params->bias_q == nullptr);
}

TEST_CASE("DSL: bias = dense parses and prints", "[densebias][frontend]") {
  ParseResult r = parse("mask = causal;\nbias = dense;");
  INFO(r.errors());
  REQUIRE(r.ok());
  CHECK(r.variants[0].bias == BiasKind::Dense);
  CHECK(r.variants[0].bias_rank == 0);
  const std::string text = printVariant(r.variants[0]);
  CHECK(text.find("  bias = dense;\n") != std::string::npos);
  ParseResult again = parseVariants(text, "again.attn");
  REQUIRE(again.ok());
  CHECK(again.variants[0] == r.variants[0]);
  ParseResult withRank = parse("bias = dense(4);");
  REQUIRE_FALSE(withRank.diagnostics.empty());
  CHECK(withRank.diagnostics[0].column == 13);
  CHECK(withRank.diagnostics[0].message.find("expected ';'") != std::string::npos);
}

TEST_CASE("exact reference: the dense bias, its -inf entries and a fully masked row",
          "[densebias][reference]") {
  AttnShape s{2, 4, 2, 70, 131, 64};
  AttnInputs in = randomNormal(s, 5);
  addDenseBias(in, 6);
  std::string err;
  auto got = exactAttention(in, ExactOptions{0.125}, err);
  INFO(err);
  REQUIRE(got);
  AttnOutput want = denseBias(in, 0.125);
  ErrorMetrics m = compare(got->o, want.o);
  INFO(m.str());
  CHECK(m.nonFinite == 0);
  CHECK(m.maxAbs < 1e-5);
  // Row Nq / 3 is masked everywhere: O = 0 and LSE = -inf, no NaN anywhere.
  const int masked = s.seqQ / 3;
  for (int h = 0; h < s.headsQ; ++h) {
    CHECK(std::isinf(got->lse[size_t(h) * s.seqQ + masked]));
    for (int d = 0; d < s.headDim; ++d)
      CHECK(got->o[AttnShape::rowOffset(0, h, masked, s.headsQ, s.seqQ, s.headDim) + d] == 0.f);
  }
}

TEST_CASE("emulation: the dense bias follows the exact reference", "[densebias][reference]") {
  AttnShape s{1, 2, 2, 150, 231, 64};
  for (DType pv : {DType::E4M3, DType::I8, DType::BF16})
    for (bool causal : {false, true}) {
      AttnInputs in = randomNormal(s, 21);
      addDenseBias(in, 22);
      Variant v = lowRankVariant(1, pv);
      v.bias = BiasKind::Dense;
      v.bias_rank = 0;
      v.mask = causal ? MaskKind::Causal : MaskKind::None;
      INFO("pv=" << toString(pv) << " causal " << causal);
      emulationFollowsExact(v, in);
      std::string err;
      // A table for a variant without one, and none for one with it, are refused.
      Variant none = v;
      none.bias = BiasKind::None;
      CHECK_FALSE(emulate(none, Tiles{64, 64, 4, 2}, 128, in, err));
      CHECK(err.find("carry a dense bias table") != std::string::npos);
      in.biasDense.clear();
      CHECK_FALSE(emulate(v, Tiles{64, 64, 4, 2}, 128, in, err));
      CHECK(err.find("no table") != std::string::npos);
    }
}

TEST_CASE("a launch of a dense-bias variant checks its table", "[densebias][launch]") {
  KernelPlan plan = test::defaultPlan();
  plan.variant.bias = BiasKind::Dense;
  test::LaunchCase c(plan, Problem{1, 8, 8, 256, 300});
  Tensors t = c.tensors;
  CHECK(c.check(t).message().find("bias tensor bias_dense is null") != std::string::npos);
  t.bias_dense = reinterpret_cast<const void *>(uintptr_t(0x800000));
  t.bias_dense_stride[2] = 304; // broadcast over batch and heads; rows of 16-byte pieces
  Status st = c.check(t);
  INFO(st.message());
  CHECK(st);
  auto params = c.params(t);
  REQUIRE(params);
  CHECK(params->bias_dense == t.bias_dense);
  CHECK(params->bias_dense_stride[2] == 304);
  Tensors bad = t;
  bad.bias_dense_stride[2] = 300;
  CHECK(c.check(bad).message().find("must be a multiple of 8") != std::string::npos);
  bad = t;
  bad.bias_dense = reinterpret_cast<const void *>(uintptr_t(0x800008));
  CHECK(c.check(bad).message().find("not 16-byte aligned") != std::string::npos);
}

TEST_CASE("a dense table's block map: geometry, broadcasting and launch checks",
          "[densebias][blockmap][launch]") {
  KernelPlan plan = test::defaultPlan(); // tiles 128 x 128
  test::LaunchCase c(plan, Problem{2, 8, 8, 300, 1000});
  Tensors t = c.tensors;
  t.bias_dense = reinterpret_cast<const void *>(uintptr_t(0x800000));
  t.bias_block_map = reinterpret_cast<const void *>(uintptr_t(0x900000));

  // Without a dense bias there is no map, and a launch that passes one is refused.
  auto none = blockMapGeometry(c.plan, c.problem, t);
  REQUIRE(!none);
  CHECK(none.message().find("has no dense bias") != std::string::npos);
  Status refused = c.check(t);
  CHECK(refused.message().find("bias_block_map is given but variant") != std::string::npos);

  c.plan.variant.bias = BiasKind::Dense;
  // A full [B, H, Nq, Nk] table: a map per batch and head, ceil(300 / 128) = 3
  // row blocks of ceil(1000 / 128) = 8 tiles.
  t.bias_dense_stride[0] = 8 * 300 * 1000;
  t.bias_dense_stride[1] = 300 * 1000;
  t.bias_dense_stride[2] = 1000;
  auto full = blockMapGeometry(c.plan, c.problem, t);
  REQUIRE(full);
  CHECK(full->batches == 2);
  CHECK(full->heads == 8);
  CHECK(full->rows == 3);
  CHECK(full->cols == 8);
  CHECK(full->stride[1] == 24);
  CHECK(full->stride[0] == 8 * 24);
  CHECK(full->bytes == size_t(2 * 8 * 24));
  auto params = c.params(t);
  REQUIRE(params);
  CHECK(params->bias_map == t.bias_block_map);
  CHECK(params->bias_map_stride[0] == 8 * 24);
  CHECK(params->bias_map_stride[1] == 24);
  CHECK(params->bias_map_cols == 8);

  // A table broadcast over the batch: one map per head, batch stride 0.
  t.bias_dense_stride[0] = 0;
  auto perHead = blockMapGeometry(c.plan, c.problem, t);
  REQUIRE(perHead);
  CHECK(perHead->batches == 1);
  CHECK(perHead->stride[0] == 0);
  CHECK(perHead->bytes == size_t(8 * 24));
  // Broadcast over both: one map.
  t.bias_dense_stride[1] = 0;
  auto one = blockMapGeometry(c.plan, c.problem, t);
  REQUIRE(one);
  CHECK(one->bytes == 24);
  CHECK(one->stride[0] == 0);
  CHECK(one->stride[1] == 0);

  // The builder's buffer: null or short is refused with the size it needs.
  std::vector<unsigned char> host(24);
  CHECK(buildBlockMapParams(c.plan, c.problem, t, nullptr, 24).message().find("null") !=
        std::string::npos);
  auto shortBuf = buildBlockMapParams(c.plan, c.problem, t, host.data(), 23);
  CHECK(shortBuf.message().find("has 23 bytes but this table needs 24") != std::string::npos);
  auto built = buildBlockMapParams(c.plan, c.problem, t, host.data(), 24);
  REQUIRE(built);
  CHECK(built->bias_map_cols == 8);
  CHECK(gridForBlockMap(*one).x == 8);
  CHECK(gridForBlockMap(*one).y == 3);
  CHECK(gridForBlockMap(*full).z == 16);
  // The table itself is checked as at launch.
  t.bias_dense = nullptr;
  CHECK(blockMapGeometry(c.plan, c.problem, t).message().find("bias_dense is null") !=
        std::string::npos);
}

TEST_CASE("the squared-distance bias as exact factors of rank d + 2", "[lowrank][reference]") {
  // A 2-D grid of queries and a shifted 3 x 5 grid of keys, coordinates in [0, 1].
  const int d = 2, nq = 6 * 6, nk = 15;
  std::vector<float> x(size_t(nq) * d), y(size_t(nk) * d);
  for (int i = 0; i < nq; ++i) {
    x[size_t(i) * d] = float(i / 6) / 5.f;
    x[size_t(i) * d + 1] = float(i % 6) / 5.f;
  }
  for (int j = 0; j < nk; ++j) {
    y[size_t(j) * d] = 0.1f + float(j / 5) / 4.f;
    y[size_t(j) * d + 1] = 0.05f + float(j % 5) / 4.f;
  }
  const double w = 3.0;
  DistanceFactors f = distanceFactors(x.data(), nq, y.data(), nk, d, w);
  REQUIRE(f.rank == d + 2);
  double worst = 0;
  for (int i = 0; i < nq; ++i)
    for (int j = 0; j < nk; ++j) {
      double dot = 0, dist = 0;
      for (int r = 0; r < f.rank; ++r)
        dot += double(f.qb[size_t(i) * f.rank + r]) * f.kb[size_t(j) * f.rank + r];
      for (int c = 0; c < d; ++c) {
        const double delta = double(x[size_t(i) * d + c]) - y[size_t(j) * d + c];
        dist += delta * delta;
      }
      worst = std::max(worst, std::fabs(dot + w * dist));
    }
  CHECK(worst < 1e-5);
  // Attention with these factors equals attention with the dense distance table.
  AttnShape s{1, 1, 1, nq, nk, 64};
  AttnInputs in = randomNormal(s, 9);
  in.biasRank = f.rank;
  in.biasQ = f.qb;
  in.biasK = f.kb;
  std::string err;
  auto got = exactAttention(in, ExactOptions{0.125}, err);
  REQUIRE(got);
  AttnInputs dense = in;
  dense.biasRank = 0;
  dense.biasQ.clear();
  dense.biasK.clear();
  dense.biasDense.resize(size_t(nq) * nk);
  for (int i = 0; i < nq; ++i)
    for (int j = 0; j < nk; ++j) {
      double dist = 0;
      for (int c = 0; c < d; ++c) {
        const double delta = double(x[size_t(i) * d + c]) - y[size_t(j) * d + c];
        dist += delta * delta;
      }
      dense.biasDense[size_t(i) * nk + j] = float(-w * dist);
    }
  auto want = exactAttention(dense, ExactOptions{0.125}, err);
  REQUIRE(want);
  CHECK(compare(got->o, want->o).maxAbs < 1e-5);
}

TEST_CASE("a sequence's key prefix equals masking its later keys", "[keylens][reference]") {
  AttnShape s{2, 4, 2, 40, 90, 64};
  AttnInputs in = randomNormal(s, 31);
  addLowRankBias(in, 3, 32);
  const int b = 1, len = 57;
  AttnInputs one = batchPrefix(in, b, len);
  REQUIRE(validate(one.shape).empty());
  REQUIRE(validateBiasFactors(one).empty());
  CHECK(one.shape.batch == 1);
  CHECK(one.shape.seqK == len);
  std::string err;
  auto got = exactAttention(one, ExactOptions{0.125}, err);
  INFO(err);
  REQUIRE(got);
  // The same sequence with all keys and -inf on keys >= len (a padding mask).
  AttnInputs all = batchPrefix(in, b, s.seqK);
  all.biasDense.assign(size_t(s.headsQ) * s.seqQ * s.seqK, 0.f);
  for (size_t r = 0; r < size_t(s.headsQ) * s.seqQ; ++r)
    for (int j = len; j < s.seqK; ++j)
      all.biasDense[r * s.seqK + j] = -INFINITY;
  auto want = exactAttention(all, ExactOptions{0.125}, err);
  REQUIRE(want);
  ErrorMetrics m = compare(got->o, want->o);
  INFO(m.str());
  CHECK(m.maxAbs < 1e-6);
}

TEST_CASE("a launch checks the key lengths' alignment", "[keylens][launch]") {
  KernelPlan plan = test::defaultPlan();
  test::LaunchCase c(plan, Problem{2, 8, 8, 256, 300});
  Tensors t = c.tensors;
  t.seq_lens_k = reinterpret_cast<const int *>(uintptr_t(0x900002));
  CHECK(c.check(t).message().find(
            "seq_lens_k is not 4-byte aligned") != std::string::npos);
  t.seq_lens_k = reinterpret_cast<const int *>(uintptr_t(0x900000));
  CHECK(c.check(t));
  auto params = c.params(t);
  REQUIRE(params);
  CHECK(params->seq_lens_k == t.seq_lens_k);
}
