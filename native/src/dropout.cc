#include "dropout.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/record_function.h>

#include <cstdint>
#include <mutex>

namespace ecgtlc {

torch::Tensor dropout(const torch::Tensor& x, double p, bool train) {
  if (!train || p == 0 || x.numel() == 0) return x;
  if (p == 1 || x.scalar_type() != torch::kFloat32 || !x.device().is_cpu())
    return torch::dropout(x, p, train);
  RECORD_FUNCTION("ecgtlc::dropout", std::vector<c10::IValue>({x}));  // named in profiles
  const double keep = 1 - p;
  // noise.div_(keep) computes in float: 1 / float(keep) for the kept, 0 for the dropped.
  const float kept = 1.0f / static_cast<float>(keep);
  auto noise = torch::empty_like(x, at::MemoryFormat::Contiguous);
  float* out = noise.data_ptr<float>();
  const int64_t n = noise.numel();
  {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    auto* impl = gen.get<at::CPUGeneratorImpl>();
    at::mt19937 engine = impl->engine();
    // As at::bernoulli_distribution<double>: a 64-bit draw from two 32-bit ones (first one high),
    // its low 53 bits scaled to [0, 1), compared with keep.
    constexpr uint64_t kMask = (uint64_t{1} << 53) - 1;
    constexpr double kScale = 1.0 / static_cast<double>(uint64_t{1} << 53);
    for (int64_t i = 0; i < n; i++) {
      const uint64_t hi = engine();
      const uint64_t lo = engine();
      out[i] = static_cast<double>(((hi << 32) | lo) & kMask) * kScale < keep ? kept : 0.0f;
    }
    impl->set_engine(engine);
  }
  return x * noise;
}

}  // namespace ecgtlc
