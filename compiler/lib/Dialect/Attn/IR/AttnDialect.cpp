//===- AttnDialect.cpp - The attn dialect: IR, verifiers, legality ---------===//
//
// All of the dialect's IR lives in this one translation unit (each MLIR-heavy
// TU costs about a minute to build on the project's 2-core machine).
//
//===----------------------------------------------------------------------===//
#include "attngen/Dialect/Attn/IR/Attn.h"

#include "attngen/Spec/Plan.h"
#include "attngen/kernel/config.h"
#include "attngen/kernel/tile_size.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;

#include "attngen/Dialect/Attn/IR/AttnEnums.cpp.inc"

#include "attngen/Dialect/Attn/IR/AttnDialect.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "attngen/Dialect/Attn/IR/AttnAttrs.cpp.inc"

#define GET_OP_CLASSES
#include "attngen/Dialect/Attn/IR/AttnOps.cpp.inc"

void AttnDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "attngen/Dialect/Attn/IR/AttnAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "attngen/Dialect/Attn/IR/AttnOps.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Codes shared with the device templates
//===----------------------------------------------------------------------===//

// The ODS enums carry the template codes as their values, so converting is a
// cast; these asserts keep the two lists from drifting apart.
static_assert(static_cast<int>(DType::I4) == attngen::dt::I4 &&
              static_cast<int>(DType::I8) == attngen::dt::I8 &&
              static_cast<int>(DType::E4M3) == attngen::dt::E4M3 &&
              static_cast<int>(DType::F16) == attngen::dt::F16 &&
              static_cast<int>(DType::BF16) == attngen::dt::BF16 &&
              static_cast<int>(DType::F32) == attngen::dt::F32);
static_assert(static_cast<int>(Granularity::Tensor) == attngen::gran::Tensor &&
              static_cast<int>(Granularity::Block) == attngen::gran::Block &&
              static_cast<int>(Granularity::Warp) == attngen::gran::Warp &&
              static_cast<int>(Granularity::Thread) == attngen::gran::Thread &&
              static_cast<int>(Granularity::Token) == attngen::gran::Token &&
              static_cast<int>(Granularity::Channel) == attngen::gran::Channel);

int mlir::attn::toDtCode(DType t) { return static_cast<int>(t); }
int mlir::attn::toGranCode(Granularity g) { return static_cast<int>(g); }
int mlir::attn::toMainloopCode(Mainloop m) { return m == Mainloop::Wgmma ? 1 : 0; }

bool mlir::attn::is8Bit(DType t) { return t == DType::I8 || t == DType::E4M3; }
bool mlir::attn::is16BitFloat(DType t) {
  return t == DType::F16 || t == DType::BF16;
}

StringRef mlir::attn::kernelSymbol(KernelRole role) {
  switch (role) {
  case KernelRole::KVStats:
    return "attngen_kv_stats";
  case KernelRole::QuantKV:
    return "attngen_quant_kv";
  case KernelRole::QuantQ:
    return "attngen_quant_q";
  case KernelRole::Attention:
    return "attngen_attention";
  }
  return "";
}

SmallVector<KernelRole> mlir::attn::planRoles(const VariantFields &v,
                                               Mainloop mainloop) {
  bool quantizedQK = !is16BitFloat(v.qk);
  // KVStats reduces per-channel sums and extrema of K and V over all tokens:
  // the means that smoothing subtracts, V's per-channel scales, and K's
  // per-tensor extrema.
  // Balancing reads the channel extrema of K and of Q from it too.
  bool needsStats = v.smoothK || v.smoothV || (quantizedQK && v.balance) ||
                    (is8Bit(v.pv) && v.vGranularity == Granularity::Channel) ||
                    (quantizedQK && v.kGranularity == Granularity::Tensor);
  SmallVector<KernelRole> roles;
  if (needsStats)
    roles.push_back(KernelRole::KVStats);
  roles.push_back(KernelRole::QuantKV);
  // The wgmma kernel quantizes its Q tile itself (mainloop_sm90.cuh).
  if (mainloop != Mainloop::Wgmma)
    roles.push_back(KernelRole::QuantQ);
  roles.push_back(KernelRole::Attention);
  return roles;
}

//===----------------------------------------------------------------------===//
// Legality
//===----------------------------------------------------------------------===//

LogicalResult mlir::attn::verifyVariant(EmitErrorFn emitError,
                                        const VariantFields &v) {
  if (v.headDim <= 0 || v.headDim % 16 != 0 || v.headDim > 256)
    return emitError() << "head_dim must be a positive multiple of 16 and at "
                          "most 256, got "
                       << v.headDim;
  if (v.qk == DType::F32)
    return emitError() << "qk operand type f32 is not supported (expected "
                          "int4, int8, e4m3, f16 or bf16)";
  if (v.pv == DType::I4)
    return emitError() << "int4 PV is not supported (int4 serves QK only; "
                          "use int8, e4m3, f16 or bf16)";
  if (v.pv == DType::F32)
    return emitError() << "pv operand type f32 is not supported (expected "
                          "int8, e4m3, f16 or bf16)";
  if (is8Bit(v.qk) && v.headDim % 32 != 0)
    return emitError() << "8-bit QK (" << stringifyDType(v.qk)
                       << ") needs head_dim to be a multiple of 32, got "
                       << v.headDim;
  if (v.qk == DType::I4 && v.headDim % 64 != 0)
    return emitError() << "int4 QK needs head_dim to be a multiple of 64, got "
                       << v.headDim;
  if (v.gqa < 1)
    return emitError() << "gqa must be at least 1, got " << v.gqa;
  // The IR describes any multiple of 16; the templates implement three
  // (tile_size.h kernelHeadDim).
  if (!attngen::kernelHeadDim(v.headDim))
    return emitError() << "head_dim " << v.headDim
                       << " is not implemented: the kernels run head_dim 64, "
                          "128 or 256";
  // `!(x > 0)` also rejects NaN.
  if (v.scale && !(*v.scale > 0.0))
    return emitError() << "scale must be positive, got " << *v.scale;
  if (!is16BitFloat(v.input))
    return emitError() << "input must be f16 or bf16, got "
                       << stringifyDType(v.input);
  if (!is16BitFloat(v.output) && v.output != DType::F32)
    return emitError() << "output must be f16, bf16 or f32, got "
                       << stringifyDType(v.output);
  // Granularities only matter for a quantized operand (see attn-canonicalize).
  if (!is16BitFloat(v.qk)) {
    if (v.qGranularity == Granularity::Channel)
      return emitError() << "q granularity cannot be channel (per-channel "
                            "scales are for V)";
    if (v.qGranularity == Granularity::Tensor)
      return emitError()
             << "q granularity cannot be tensor: a per-tensor Q scale needs "
                "a global pass over Q before any tile is quantized (use "
                "block, warp, thread or token)";
    if (v.kGranularity == Granularity::Channel)
      return emitError() << "k granularity cannot be channel (per-channel "
                            "scales are for V)";
  }
  if (is8Bit(v.pv) && v.vGranularity != Granularity::Channel)
    return emitError() << "v granularity must be channel for 8-bit PV, got "
                       << stringifyGranularity(v.vGranularity);
  if (v.windowLeft < -1 || v.windowRight < -1)
    return emitError() << "window sides must be -1 (unbounded) or >= 0, got ("
                       << v.windowLeft << ", " << v.windowRight << ")";
  if (v.mask == MaskKind::Causal && (v.windowLeft != -1 || v.windowRight != -1) &&
      v.windowRight != 0)
    return emitError() << "with mask = causal the window's right side must be 0, got "
                       << v.windowRight;
  if (v.softcap != 0 && !(std::isfinite(v.softcap) && v.softcap > 0))
    return emitError() << "softcap must be a finite number > 0 (0: none), got " << v.softcap;
  if (v.bias == BiasKind::LowRank && (v.biasRank < 1 || v.biasRank > attngen::kMaxBiasRank))
    return emitError() << "lowrank bias rank must be in [1, " << attngen::kMaxBiasRank
                       << "], got " << v.biasRank;
  if (v.bias != BiasKind::LowRank && v.biasRank != 0)
    return emitError() << "bias rank " << v.biasRank << " given for bias = "
                       << stringifyBiasKind(v.bias) << " (only lowrank has a rank)";
  return success();
}

FailureOr<attngen::Target> mlir::attn::parseTarget(EmitErrorFn emitError,
                                                   StringRef target) {
  std::optional<attngen::Target> t =
      attngen::Target::parse(std::string_view(target.data(), target.size()));
  if (!t)
    return emitError() << "unknown target '" << target
                       << "' (expected sm_80, sm_86, sm_89, sm_90 or sm_90a)";
  return *t;
}

LogicalResult mlir::attn::verifyTargetLegality(EmitErrorFn emitError,
                                               const VariantFields &v,
                                               const attngen::Target &target,
                                               std::optional<Mainloop> mainloop) {
  if ((v.qk == DType::E4M3 || v.pv == DType::E4M3) && !target.hasFp8())
    return emitError() << "e4m3 (fp8) operands need sm_89 or newer, target is "
                       << target.name();
  if (mainloop == Mainloop::Wgmma && !target.hasWgmma())
    return emitError() << "the wgmma mainloop needs sm_90a, target is "
                       << target.name();
  if (mainloop == Mainloop::Wgmma && v.qk == DType::I4)
    return emitError() << "the wgmma mainloop has no int4 operands; int4 QK "
                          "needs the mma_sync mainloop";
  if (mainloop == Mainloop::Wgmma && !attngen::wgmmaHeadDim(v.headDim))
    return emitError() << "the wgmma mainloop runs head_dim 64 or 128, got "
                       << v.headDim << "; the mma_sync mainloop runs the others";
  return success();
}

Mainloop mlir::attn::pickMainloop(const VariantFields &v,
                                  const attngen::Target &target) {
  // wgmma takes 8- and 16-bit operands and head dims 64 and 128 only
  // (tile_size.h); int4 and other head dims run on mma.sync.
  if (target.hasWgmma() &&
      attngen::wgmmaSupports(v.headDim, toDtCode(v.qk), toDtCode(v.pv)))
    return Mainloop::Wgmma;
  return Mainloop::MmaSync;
}

int mlir::attn::attentionSmemBytes(const VariantFields &v, Mainloop m,
                                   TilesAttr tiles) {
  return attngen::attentionSmemBytes(toMainloopCode(m), v.headDim,
                                     toDtCode(v.qk), toDtCode(v.pv),
                                     tiles.getBlockM(), tiles.getBlockN(),
                                     tiles.getStages());
}

LogicalResult mlir::attn::verifyTilesLegality(EmitErrorFn emitError,
                                              const VariantFields &v,
                                              Mainloop m, TilesAttr tiles) {
  int blockM = tiles.getBlockM(), warps = tiles.getWarps();
  if (m == Mainloop::Wgmma) {
    // One wgmma covers 64 query rows; a warpgroup is 4 warps.
    if (blockM % 64 != 0)
      return emitError() << "wgmma tiles need block_m to be a multiple of 64, "
                            "got "
                         << blockM;
    if (warps % 4 != 0)
      return emitError() << "wgmma tiles need warps to be a multiple of 4 "
                            "(whole warpgroups), got "
                         << warps;
    // One producer and two or three consumer warpgroups (tile_size.h).
    if (!attngen::sm90WarpLayout(blockM, warps))
      return emitError() << "wgmma tiles need block_m = 128 with 12 warps or "
                            "192 with 16 (1 producer + 2 or 3 consumer "
                            "warpgroups), got block_m = "
                         << blockM << " with " << warps << " warps";
    if (warps == 16 && !attngen::sm90ThreeConsumersFit(
                           v.headDim, toDtCode(v.qk), toDtCode(v.pv)))
      return emitError() << "three consumer warpgroups (16 warps) need "
                            "head_dim = 64 or 128, 8-bit QK and e4m3 PV, got head_dim = "
                         << v.headDim << ", qk = " << stringifyDType(v.qk)
                         << ", pv = " << stringifyDType(v.pv);
  } else if (blockM % (16 * warps) != 0) {
    // Each warp owns 16-row slices of the query tile.
    return emitError() << "mma_sync tiles need block_m to be a multiple of 16 "
                          "* warps = "
                       << 16 * warps << ", got " << blockM;
  }
  if (tiles.getBlockN() % 32 != 0)
    return emitError() << "block_n must be a multiple of 32, got "
                       << tiles.getBlockN();
  int smem = attentionSmemBytes(v, m, tiles);
  if (smem > kMaxSmemBytes)
    return emitError() << "tiles need " << smem
                       << " bytes of shared memory, more than the "
                       << kMaxSmemBytes << " available";
  return success();
}

//===----------------------------------------------------------------------===//
// TilesAttr
//===----------------------------------------------------------------------===//

LogicalResult TilesAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                int blockM, int blockN, int warps, int stages) {
  if (blockM < 1 || blockN < 1 || warps < 1 || stages < 1)
    return emitError() << "tiles must be positive, got block_m = " << blockM
                       << ", block_n = " << blockN << ", warps = " << warps
                       << ", stages = " << stages;
  // 1024 threads per CTA at most.
  if (warps > 32)
    return emitError() << "tiles may have at most 32 warps, got " << warps;
  return success();
}

//===----------------------------------------------------------------------===//
// VariantAttr
//===----------------------------------------------------------------------===//

VariantFields VariantAttr::getFields() const {
  VariantFields f;
  f.qk = getQk();
  f.pv = getPv();
  f.qGranularity = getQGranularity();
  f.kGranularity = getKGranularity();
  f.vGranularity = getVGranularity();
  f.smoothQ = getSmoothQ();
  f.smoothK = getSmoothK();
  f.smoothV = getSmoothV();
  f.balance = getBalance();
  f.mask = getMask();
  f.windowLeft = getWindowLeft();
  f.windowRight = getWindowRight();
  if (FloatAttr c = getSoftcap())
    f.softcap = c.getValueAsDouble();
  f.bias = getBias();
  f.biasRank = getBiasRank();
  f.headDim = getHeadDim();
  f.layout = getLayout();
  f.gqa = getGqa();
  f.input = getInput();
  f.output = getOutput();
  f.lse = getLse();
  if (FloatAttr s = getScale())
    f.scale = s.getValueAsDouble();
  return f;
}

LogicalResult
VariantAttr::verify(function_ref<InFlightDiagnostic()> emitError, DType qk,
                    DType pv, Granularity qGranularity,
                    Granularity kGranularity, Granularity vGranularity,
                    bool smoothQ, bool smoothK, bool smoothV, bool balance,
                    MaskKind mask, int windowLeft, int windowRight, FloatAttr softcap,
                    BiasKind bias, int biasRank, int headDim, Layout layout, int gqa,
                    DType input,
                    DType output, bool lse, FloatAttr scale) {
  VariantFields f{qk,      pv,      qGranularity, kGranularity,
                  vGranularity, smoothQ, smoothK, smoothV,
                  balance, mask,    windowLeft,   windowRight,
                  softcap ? softcap.getValueAsDouble() : 0.0,
                  bias,    biasRank,     headDim,      layout,
                  gqa,     input,   output,       lse,
                  std::nullopt};
  if (scale)
    f.scale = scale.getValueAsDouble();
  return verifyVariant(emitError, f);
}

namespace {
/// Field keys in print order; the parser accepts them in any order.
enum class Key {
  Qk, Pv, Q, K, V, SmoothQ, SmoothK, SmoothV, Balance, Mask, HeadDim, Layout, Gqa,
  Input, Output, Lse, Scale, Window, Softcap, Bias, Count
};
constexpr const char *kKeyNames[] = {
    "qk",   "pv",       "q",      "k",   "v",     "smooth_q", "smooth_k",
    "smooth_v", "balance", "mask", "head_dim", "layout", "gqa", "input", "output",
    "lse",  "scale", "window", "softcap", "bias"};
/// Keys from Scale on are optional (a default applies when absent).
constexpr size_t kFirstOptionalKey = static_cast<size_t>(Key::Scale);
static_assert(std::size(kKeyNames) == static_cast<size_t>(Key::Count));

template <typename EnumT>
ParseResult parseEnumValue(AsmParser &parser,
                           std::optional<EnumT> (*symbolize)(StringRef),
                           EnumT &out, StringRef what) {
  SMLoc loc = parser.getCurrentLocation();
  std::string word;
  if (parser.parseKeywordOrString(&word))
    return failure();
  std::optional<EnumT> value = symbolize(word);
  if (!value)
    return parser.emitError(loc) << "unknown " << what << " '" << word << "'";
  out = *value;
  return success();
}

ParseResult parseBoolValue(AsmParser &parser, bool &out) {
  if (succeeded(parser.parseOptionalKeyword("true"))) {
    out = true;
    return success();
  }
  if (succeeded(parser.parseOptionalKeyword("false"))) {
    out = false;
    return success();
  }
  return parser.emitError(parser.getCurrentLocation(),
                          "expected 'true' or 'false'");
}
} // namespace

Attribute VariantAttr::parse(AsmParser &parser, Type) {
  SMLoc start = parser.getCurrentLocation();
  VariantFields f;
  bool seen[static_cast<size_t>(Key::Count)] = {};
  auto parseField = [&]() -> ParseResult {
    SMLoc loc = parser.getCurrentLocation();
    std::string name;
    if (parser.parseKeywordOrString(&name))
      return failure();
    const auto *it = llvm::find(kKeyNames, StringRef(name));
    if (it == std::end(kKeyNames))
      return parser.emitError(loc) << "unknown variant field '" << name << "'";
    size_t index = it - std::begin(kKeyNames);
    if (seen[index])
      return parser.emitError(loc) << "duplicate variant field '" << name << "'";
    seen[index] = true;
    if (parser.parseEqual())
      return failure();
    switch (static_cast<Key>(index)) {
    case Key::Qk:
      return parseEnumValue(parser, symbolizeDType, f.qk, "dtype");
    case Key::Pv:
      return parseEnumValue(parser, symbolizeDType, f.pv, "dtype");
    case Key::Q:
      return parseEnumValue(parser, symbolizeGranularity, f.qGranularity,
                            "granularity");
    case Key::K:
      return parseEnumValue(parser, symbolizeGranularity, f.kGranularity,
                            "granularity");
    case Key::V:
      return parseEnumValue(parser, symbolizeGranularity, f.vGranularity,
                            "granularity");
    case Key::SmoothQ:
      return parseBoolValue(parser, f.smoothQ);
    case Key::SmoothK:
      return parseBoolValue(parser, f.smoothK);
    case Key::SmoothV:
      return parseBoolValue(parser, f.smoothV);
    case Key::Balance:
      return parseBoolValue(parser, f.balance);
    case Key::Mask:
      return parseEnumValue(parser, symbolizeMaskKind, f.mask, "mask");
    case Key::HeadDim:
      return parser.parseInteger(f.headDim);
    case Key::Layout:
      return parseEnumValue(parser, symbolizeLayout, f.layout, "layout");
    case Key::Gqa:
      return parser.parseInteger(f.gqa);
    case Key::Input:
      return parseEnumValue(parser, symbolizeDType, f.input, "dtype");
    case Key::Output:
      return parseEnumValue(parser, symbolizeDType, f.output, "dtype");
    case Key::Lse:
      return parseBoolValue(parser, f.lse);
    case Key::Scale: {
      double scale = 0;
      if (parser.parseFloat(scale))
        return failure();
      f.scale = scale;
      return success();
    }
    case Key::Window:
      // `(left, right)` with -1 for an unbounded side.
      if (parser.parseLParen() || parser.parseInteger(f.windowLeft) || parser.parseComma() ||
          parser.parseInteger(f.windowRight) || parser.parseRParen())
        return failure();
      return success();
    case Key::Softcap:
      return parser.parseFloat(f.softcap);
    case Key::Bias:
      if (parseEnumValue(parser, symbolizeBiasKind, f.bias, "bias"))
        return failure();
      // lowrank(R): the rank in parentheses, as the DSL writes it.
      if (f.bias == BiasKind::LowRank &&
          (parser.parseLParen() || parser.parseInteger(f.biasRank) || parser.parseRParen()))
        return failure();
      return success();
    case Key::Count:
      break;
    }
    return failure();
  };
  if (parser.parseCommaSeparatedList(AsmParser::Delimiter::LessGreater,
                                     parseField))
    return {};
  // Every field but `scale` is spelled out: a reader never has to know a
  // default to understand a variant.
  for (size_t i = 0; i < kFirstOptionalKey; ++i) {
    if (!seen[i]) {
      parser.emitError(start) << "variant is missing field '" << kKeyNames[i]
                              << "'";
      return {};
    }
  }
  auto emitError = [&] { return parser.emitError(start); };
  if (failed(verifyVariant(emitError, f)))
    return {};
  return VariantAttr::get(parser.getContext(), f);
}

void VariantAttr::print(AsmPrinter &printer) const {
  VariantFields f = getFields();
  raw_ostream &os = printer.getStream();
  auto b = [](bool x) { return x ? "true" : "false"; };
  os << "<qk = " << stringifyDType(f.qk) << ", pv = " << stringifyDType(f.pv)
     << ", q = " << stringifyGranularity(f.qGranularity)
     << ", k = " << stringifyGranularity(f.kGranularity)
     << ", v = " << stringifyGranularity(f.vGranularity)
     << ", smooth_q = " << b(f.smoothQ) << ", smooth_k = " << b(f.smoothK)
     << ", smooth_v = " << b(f.smoothV) << ", balance = " << b(f.balance)
     << ", mask = " << stringifyMaskKind(f.mask);
  if (f.windowLeft != -1 || f.windowRight != -1)
    os << ", window = (" << f.windowLeft << ", " << f.windowRight << ")";
  if (f.softcap != 0) {
    os << ", softcap = ";
    printer.printFloat(APFloat(f.softcap));
  }
  if (f.bias != BiasKind::None)
    os << ", bias = "
       << attngen::biasSpelling(static_cast<attngen::BiasKind>(f.bias), f.biasRank);
  os << ", head_dim = " << f.headDim
     << ", layout = " << stringifyLayout(f.layout) << ", gqa = " << f.gqa
     << ", input = " << stringifyDType(f.input)
     << ", output = " << stringifyDType(f.output) << ", lse = " << b(f.lse);
  if (FloatAttr s = getScale()) {
    os << ", scale = ";
    printer.printFloat(s.getValue());
  }
  os << ">";
}

//===----------------------------------------------------------------------===//
// Ops
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::verify() {
  VariantFields v = getVariant().getFields();
  auto emitError = [&] { return emitOpError(); };
  // Again here: an attribute built in C++ (get, not getChecked) skips its
  // own verifier.
  if (failed(verifyVariant(emitError, v)))
    return failure();
  std::optional<Mainloop> mainloop = getMainloop();
  if (std::optional<StringRef> targetName = getTarget()) {
    FailureOr<attngen::Target> target = parseTarget(emitError, *targetName);
    if (failed(target) ||
        failed(verifyTargetLegality(emitError, v, *target, mainloop)))
      return failure();
  }
  // Tile legality depends on the mainloop; without one it is checked later.
  if (std::optional<TilesAttr> tiles = getTiles(); tiles && mainloop)
    return verifyTilesLegality(emitError, v, *mainloop, *tiles);
  return success();
}

LogicalResult PlanOp::verify() {
  VariantFields v = getVariant().getFields();
  auto emitError = [&] { return emitOpError(); };
  FailureOr<attngen::Target> target = parseTarget(emitError, getTarget());
  if (failed(verifyVariant(emitError, v)) || failed(target) ||
      failed(verifyTargetLegality(emitError, v, *target, getMainloop())) ||
      failed(verifyTilesLegality(emitError, v, getMainloop(), getTiles())))
    return failure();
  // I32Attr getters are unsigned; read the bits as the signed value written.
  auto kvChunk = static_cast<int32_t>(getKvChunk());
  if (kvChunk < 1)
    return emitOpError() << "kv_chunk must be positive, got " << kvChunk;
  return success();
}

LogicalResult PlanOp::verifyRegions() {
  VariantFields v = getVariant().getFields();
  SmallVector<KernelRole> expected = planRoles(v, getMainloop());
  SmallVector<KernelRole> actual;
  for (Operation &op : getBody().front()) {
    auto kernel = dyn_cast<KernelOp>(op);
    if (!kernel)
      return op.emitOpError() << "cannot appear in an attn.plan (only "
                                 "attn.kernel ops can)";
    actual.push_back(kernel.getRole());
    if (kernel.getRole() != KernelRole::Attention)
      continue;
    int threads = getTiles().getWarps() * 32;
    if (static_cast<int32_t>(kernel.getThreads()) != threads)
      return kernel.emitOpError()
             << "runs " << static_cast<int32_t>(kernel.getThreads())
             << " threads but the plan's "
             << "tiles have " << getTiles().getWarps() << " warps (" << threads
             << " threads)";
    int smem = attentionSmemBytes(v, getMainloop(), getTiles());
    // At least: a tuner may reserve more, never less than the templates use.
    if (static_cast<int32_t>(kernel.getSmemBytes()) < smem)
      return kernel.emitOpError()
             << "has smem_bytes = " << static_cast<int32_t>(kernel.getSmemBytes())
             << " but the plan's tiles need at least " << smem;
  }
  if (actual != expected) {
    auto list = [](ArrayRef<KernelRole> roles) {
      std::string s;
      llvm::raw_string_ostream os(s);
      os << "[";
      llvm::interleaveComma(roles, os,
                            [&](KernelRole r) { os << stringifyKernelRole(r); });
      os << "]";
      return s;
    };
    return emitOpError() << "kernels must be " << list(expected)
                         << " in this order for this variant, got "
                         << list(actual);
  }
  return success();
}

LogicalResult KernelOp::verify() {
  auto threads = static_cast<int32_t>(getThreads());
  auto smem = static_cast<int32_t>(getSmemBytes());
  if (threads < 32 || threads > 1024 || threads % 32 != 0)
    return emitOpError() << "threads must be a positive multiple of 32 and at "
                            "most 1024, got "
                         << threads;
  if (smem < 0 || smem > kMaxSmemBytes)
    return emitOpError() << "smem_bytes must be in [0, " << kMaxSmemBytes
                         << "], got " << smem;
  return success();
}
