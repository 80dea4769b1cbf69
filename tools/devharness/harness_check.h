// The dev harnesses' CUDA error check: print where and make the enclosing
// bool-returning function fail (the harness reports the config as failed).
#pragma once
#include <cstdio>

#define CK(x)                                                                                      \
  do {                                                                                             \
    cudaError_t e_ = (x);                                                                          \
    if (e_ != cudaSuccess) {                                                                       \
      std::printf("CUDA error %s at %s:%d\n", cudaGetErrorString(e_), __FILE__, __LINE__);         \
      return false;                                                                                \
    }                                                                                              \
  } while (0)
