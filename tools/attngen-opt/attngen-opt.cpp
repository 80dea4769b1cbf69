//===- attngen-opt.cpp - mlir-opt for the attn dialect --------------------===//
#include "attngen/Dialect/Attn/IR/Attn.h"
#include "attngen/Dialect/Attn/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<mlir::attn::AttnDialect>();
  mlir::attn::registerAttnPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "attngen optimizer driver\n", registry));
}
