//===- DriverSmokeTest.cpp - The driver path of the runtime on a GPU -----===//
//
// A tiny kernel that takes AttnParams goes through Runtime::load (NVRTC, the
// caches), the primary context, module load and cuLaunchKernel with the
// launcher's grid; it writes what it received so the test checks the
// parameter block and the grid. Skipped (with a message) without a GPU.
//
//===----------------------------------------------------------------------===//
#include "catch.h"

#include "attngen/runtime/CudaApi.h"
#include "attngen/runtime/Driver.h"
#include "attngen/runtime/Jit.h"

#include <vector>

using namespace attngen;

namespace {

// One float per CTA of the attention grid: sm_scale + the CTA's linear id.
const char *EchoKernel = R"(#include "attngen/kernel/params.h"
extern "C" __global__ void attngen_attention(const __grid_constant__ attngen::AttnParams p) {
  if (threadIdx.x != 0)
    return;
  int cta = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
  static_cast<float *>(p.o)[cta] = p.sm_scale + cta + 1000.0f * p.seq_q_pad;
}
)";

} // namespace

TEST_CASE("a kernel launches through the runtime's driver path", "[gpu][driver]") {
  auto device = currentDevice();
  if (!device) {
    WARN("no GPU: " << device.message());
    return;
  }
  Target target = targetForSm(device->sm);
  KernelPlan plan;
  plan.target = target;
  plan.mainloop = target.hasWgmma() ? Mainloop::Wgmma : Mainloop::MmaSync;
  plan.tiles = Tiles{64, 64, 4, 2};
  plan.variant.head_dim = 64;
  plan.kernels = {{KernelRole::Attention, "attngen_attention", 64, 0}};

  auto kernel = Runtime::instance().load(plan, EchoKernel);
  INFO((kernel ? std::string() : kernel.message()));
  REQUIRE(kernel);

  Problem problem{2, 3, 3, 100, 10}; // grid (2, 3, 2)
  const int ctas = 2 * 3 * 2;
  const size_t qBytes = size_t(2) * 3 * 100 * 64 * 2;
  auto q = DeviceBuffer::allocate(qBytes);
  REQUIRE(q);
  auto k = DeviceBuffer::allocate(size_t(2) * 3 * 10 * 64 * 2);
  REQUIRE(k);
  auto o = DeviceBuffer::allocate(qBytes);
  REQUIRE(o);
  auto ws = DeviceBuffer::allocate((*kernel)->workspaceBytes(problem));
  REQUIRE(ws);

  Tensors t;
  t.q = q->data();
  t.k = k->data();
  t.v = k->data();
  t.o = o->data();
  denseStrides(t.q_stride, false, 3, 100, 64);
  denseStrides(t.k_stride, false, 3, 10, 64);
  denseStrides(t.v_stride, false, 3, 10, 64);
  denseStrides(t.o_stride, false, 3, 100, 64);

  uint64_t loadsBefore = runtimeStats().moduleLoads;
  Status s = (*kernel)->launch(problem, t, ws->data(), ws->bytes(), nullptr);
  INFO(s.message());
  REQUIRE(s);
  REQUIRE(synchronizeContext());
  std::vector<float> out(ctas);
  REQUIRE(o->download(out.data(), out.size() * sizeof(float)));
  for (int c = 0; c < ctas; ++c)
    CHECK(out[c] == Approx(0.125f + c + 1000.0f * 128)); // 1/sqrt(64), Nq_pad 128

  // A second launch reuses the module of this context.
  REQUIRE((*kernel)->launch(problem, t, ws->data(), ws->bytes(), nullptr));
  REQUIRE(synchronizeContext());
  CHECK(runtimeStats().moduleLoads == loadsBefore + 1);

  // A kernel for another architecture is refused before launching.
  KernelPlan other = plan;
  other.target = device->sm == 80 ? Target{90, true} : Target{80, false};
  auto foreign = Runtime::instance().load(other, EchoKernel);
  REQUIRE(foreign);
  Status refused = (*foreign)->launch(problem, t, ws->data(), ws->bytes(), nullptr);
  CHECK(!refused);
  CHECK(refused.message().find("compiled for") != std::string::npos);
}
