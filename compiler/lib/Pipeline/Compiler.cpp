//===- Compiler.cpp - MLIRGen, the pass pipeline, plan extraction ---------===//
#include "attngen/Pipeline/Compiler.h"

#include "attngen/Dialect/Attn/IR/Attn.h"
#include "attngen/Dialect/Attn/IR/SpecVariant.h"
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
// converts; these asserts keep the two from drifting apart (the variant's
// enums: SpecVariant.cpp).
#define ATTNGEN_SAME_CASE(E, C)                                                \
  static_assert(static_cast<int>(E::C) == static_cast<int>(attn::E::C))
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
      attn::VariantAttr::get(&context, attn::toVariantFields(variant)),
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
  plan.variant = attn::toSpecVariant(op.getVariant().getFields(), op.getSymName());
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
