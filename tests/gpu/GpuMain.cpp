// Main of the GPU tests: without a GPU nothing runs and the exit code is 77,
// which ctest reports as "skipped" (SKIP_RETURN_CODE), never as passed.
#if __has_include(<catch2/catch_session.hpp>)
#include <catch2/catch_session.hpp>
#else
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#endif

#include "attngen/runtime/Driver.h"

#include <cstdio>

int main(int argc, char **argv) {
  auto device = attngen::currentDevice();
  if (!device) {
    std::printf("GPU tests not run: no usable GPU (%s)\n", device.message().c_str());
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
