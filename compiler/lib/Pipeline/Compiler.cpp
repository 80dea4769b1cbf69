//===- Compiler.cpp - MLIRGen, the pass pipeline, plan extraction ---------===//
#include "attngen/Pipeline/Compiler.h"

#include "attngen/Dialect/Attn/IR/Attn.h"
#include "attngen/Dialect/Attn/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

namespace attngen {
namespace {

namespace attn = mlir::attn;

// The attn enums list their cases in the order of the Spec enums, so a cast
// converts; these asserts keep the two from drifting apart.
#define ATTNGEN_SAME_CASE(E, C)                                                \
  static_assert(static_cast<int>(E::C) == static_cast<int>(attn::E::C))
ATTNGEN_SAME_CASE(DType, I4);
ATTNGEN_SAME_CASE(DType, I8);
ATTNGEN_SAME_CASE(DType, E4M3);
ATTNGEN_SAME_CASE(DType, F16);
ATTNGEN_SAME_CASE(DType, BF16);
ATTNGEN_SAME_CASE(DType, F32);
ATTNGEN_SAME_CASE(Granularity, Tensor);
ATTNGEN_SAME_CASE(Granularity, Block);
ATTNGEN_SAME_CASE(Granularity, Warp);
ATTNGEN_SAME_CASE(Granularity, Thread);
ATTNGEN_SAME_CASE(Granularity, Token);
ATTNGEN_SAME_CASE(Granularity, Channel);
ATTNGEN_SAME_CASE(MaskKind, None);
ATTNGEN_SAME_CASE(MaskKind, Causal);
ATTNGEN_SAME_CASE(BiasKind, None);
ATTNGEN_SAME_CASE(BiasKind, Alibi);
ATTNGEN_SAME_CASE(Layout, BHND);
ATTNGEN_SAME_CASE(Layout, BNHD);
ATTNGEN_SAME_CASE(Mainloop, MmaSync);
ATTNGEN_SAME_CASE(Mainloop, Wgmma);
ATTNGEN_SAME_CASE(KernelRole, KVStats);
ATTNGEN_SAME_CASE(KernelRole, QuantKV);
ATTNGEN_SAME_CASE(KernelRole, QuantQ);
ATTNGEN_SAME_CASE(KernelRole, Attention);
#undef ATTNGEN_SAME_CASE

template <typename To, typename From> To convert(From e) {
  return static_cast<To>(static_cast<int>(e));
}

attn::VariantFields toFields(const Variant &v) {
  attn::VariantFields f;
  f.qk = convert<attn::DType>(v.qk);
  f.pv = convert<attn::DType>(v.pv);
  f.qGranularity = convert<attn::Granularity>(v.q_granularity);
  f.kGranularity = convert<attn::Granularity>(v.k_granularity);
  f.vGranularity = convert<attn::Granularity>(v.v_granularity);
  f.smoothQ = v.smooth_q;
  f.smoothK = v.smooth_k;
  f.smoothV = v.smooth_v;
  f.balance = v.balance;
  f.mask = convert<attn::MaskKind>(v.mask);
  f.windowLeft = v.window_left;
  f.windowRight = v.window_right;
  f.softcap = v.softcap;
  f.bias = convert<attn::BiasKind>(v.bias);
  f.headDim = v.head_dim;
  f.layout = convert<attn::Layout>(v.layout);
  f.gqa = v.gqa;
  f.input = convert<attn::DType>(v.input);
  f.output = convert<attn::DType>(v.output);
  f.lse = v.lse;
  f.scale = v.scale;
  return f;
}

Variant fromFields(const attn::VariantFields &f, std::string name) {
  Variant v;
  v.name = std::move(name);
  v.qk = convert<DType>(f.qk);
  v.pv = convert<DType>(f.pv);
  v.q_granularity = convert<Granularity>(f.qGranularity);
  v.k_granularity = convert<Granularity>(f.kGranularity);
  v.v_granularity = convert<Granularity>(f.vGranularity);
  v.smooth_q = f.smoothQ;
  v.smooth_k = f.smoothK;
  v.smooth_v = f.smoothV;
  v.balance = f.balance;
  v.mask = convert<MaskKind>(f.mask);
  v.window_left = f.windowLeft;
  v.window_right = f.windowRight;
  v.softcap = f.softcap;
  v.bias = convert<BiasKind>(f.bias);
  v.head_dim = f.headDim;
  v.layout = convert<Layout>(f.layout);
  v.gqa = f.gqa;
  v.input = convert<DType>(f.input);
  v.output = convert<DType>(f.output);
  v.lse = f.lse;
  v.scale = f.scale;
  return v;
}

/// A context with the attn dialect loaded whose diagnostics land in a string.
struct Session {
  mlir::MLIRContext context;
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler;

  Session()
      : context(mlir::MLIRContext::Threading::DISABLED),
        handler(&context, [this](mlir::Diagnostic &d) {
          append(d);
          return mlir::success();
        }) {
    context.loadDialect<attn::AttnDialect>();
  }

  void append(mlir::Diagnostic &d) {
    llvm::raw_string_ostream os(diagnostics);
    if (!diagnostics.empty())
      os << "\n";
    if (d.getSeverity() == mlir::DiagnosticSeverity::Note)
      os << "note: ";
    os << d;
    for (mlir::Diagnostic &note : d.getNotes()) {
      // The generic form of the op adds nothing a reader of the message needs.
      if (llvm::StringRef(note.str()).starts_with("see current operation"))
        continue;
      os << "\nnote: " << note;
    }
  }

  CompileError error(llvm::StringRef fallback) {
    return CompileError{diagnostics.empty() ? fallback.str() : diagnostics};
  }
};

std::string print(mlir::Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  op->print(os);
  return text;
}

/// MLIRGen: a module with one attn.attention (unverified).
mlir::OwningOpRef<mlir::ModuleOp> buildModule(mlir::MLIRContext &context,
                                              const Variant &variant,
                                              const std::optional<Tiles> &tiles) {
  mlir::Location loc = mlir::NameLoc::get(mlir::StringAttr::get(
      &context, variant.name.empty() ? "attention" : variant.name));
  mlir::OpBuilder b(&context);
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  attn::TilesAttr tilesAttr;
  if (tiles)
    tilesAttr = attn::TilesAttr::get(&context, tiles->blockM, tiles->blockN,
                                     tiles->warps, tiles->stages);
  attn::AttentionOp::create(
      b, loc, variant.name.empty() ? "attention" : variant.name,
      attn::VariantAttr::get(&context, toFields(variant)),
      /*target=*/nullptr, /*mainloop=*/nullptr, tilesAttr);
  return module;
}

std::variant<KernelPlan, CompileError> extractPlan(mlir::ModuleOp module,
                                                   Session &session) {
  llvm::SmallVector<attn::PlanOp> plans(module.getOps<attn::PlanOp>());
  if (plans.size() != 1)
    return CompileError{"expected exactly one attn.plan in the module, found " +
                        std::to_string(plans.size())};
  attn::PlanOp op = plans.front();
  KernelPlan plan;
  plan.variant = fromFields(op.getVariant().getFields(), op.getSymName().str());
  auto emitError = [&] { return op.emitOpError(); };
  mlir::FailureOr<Target> target = attn::parseTarget(emitError, op.getTarget());
  if (mlir::failed(target))
    return session.error("bad target in attn.plan");
  plan.target = *target;
  plan.mainloop = convert<Mainloop>(op.getMainloop());
  attn::TilesAttr tiles = op.getTiles();
  plan.tiles = Tiles{tiles.getBlockM(), tiles.getBlockN(), tiles.getWarps(),
                     tiles.getStages()};
  plan.kvChunk = static_cast<int32_t>(op.getKvChunk());
  for (attn::KernelOp kernel : op.getBody().front().getOps<attn::KernelOp>()) {
    KernelDesc desc;
    desc.role = convert<KernelRole>(kernel.getRole());
    desc.symbol = kernel.getSymName().str();
    desc.threads = static_cast<int32_t>(kernel.getThreads());
    desc.smemBytes = static_cast<int32_t>(kernel.getSmemBytes());
    plan.kernels.push_back(std::move(desc));
  }
  return plan;
}

} // namespace

std::string variantToIR(const Variant &variant) {
  Session session;
  return print(*buildModule(session.context, variant, std::nullopt));
}

std::variant<CompileResult, CompileError>
compileToPlan(const Variant &variant, const CompileOptions &options) {
  Session session;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      buildModule(session.context, variant, options.tiles);
  CompileResult result;
  result.inputIR = print(*module);
  // MLIRGen builds attributes unchecked; the op verifiers check the variant.
  if (mlir::failed(mlir::verify(*module)))
    return session.error("the variant failed verification");

  mlir::PassManager pm(&session.context);
  pm.enableVerifier(options.verifyEach);
  pm.addPass(attn::createAttnCanonicalize());
  attn::AttnSpecializeTargetOptions specialize;
  specialize.arch = options.target.name();
  pm.addPass(attn::createAttnSpecializeTarget(specialize));
  attn::AttnSelectTilesOptions select;
  select.tuningDb = options.tuningDb;
  if (options.shape)
    select.shape = toString(*options.shape);
  pm.addPass(attn::createAttnSelectTiles(select));
  pm.addPass(attn::createAttnLowerToPlan());
  if (mlir::failed(pm.run(*module)))
    return session.error("the attn pipeline failed");
  result.planIR = print(*module);

  std::variant<KernelPlan, CompileError> plan = extractPlan(*module, session);
  if (auto *error = std::get_if<CompileError>(&plan))
    return *error;
  result.plan = std::move(std::get<KernelPlan>(plan));
  result.notes = session.diagnostics;
  return result;
}

std::variant<KernelPlan, CompileError> planFromIR(std::string_view planIR) {
  Session session;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(
          llvm::StringRef(planIR.data(), planIR.size()),
          mlir::ParserConfig(&session.context));
  if (!module)
    return session.error("cannot parse the plan IR");
  return extractPlan(*module, session);
}

} // namespace attngen
