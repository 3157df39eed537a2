#include "dropout.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/record_function.h>

#include <cmath>
#include <cstdint>
#include <mutex>

namespace ecgtlc {
namespace {

constexpr int kN = 624, kM = 397;  // at::mt19937's MERSENNE_STATE_N and _M
constexpr uint32_t kMatrixA = 0x9908b0df, kUpper = 0x80000000, kLower = 0x7fffffff;

inline uint32_t twist(uint32_t u, uint32_t v) {
  return (((u & kUpper) | (v & kLower)) >> 1) ^ ((v & 1) ? kMatrixA : 0);
}

// at::mt19937_engine::next_state, written as loops a compiler vectorises (the scalar original is
// most of the cost of a draw).
__attribute__((target_clones("avx2", "default"))) void nextState(uint32_t* s) {
  for (int i = 0; i < kN - kM; i++) s[i] = s[i + kM] ^ twist(s[i], s[i + 1]);
  for (int i = kN - kM; i < kN - 1; i++) s[i] = s[i + kM - kN] ^ twist(s[i], s[i + 1]);
  s[kN - 1] = s[kM - 1] ^ twist(s[kN - 1], s[0]);
}

// The tempered outputs of s[0..n) (at::mt19937_engine::operator()'s tempering).
__attribute__((target_clones("avx2", "default"))) void temper(const uint32_t* s, uint32_t* out,
                                                               int n) {
  for (int i = 0; i < n; i++) {
    uint32_t y = s[i];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >> 18;
    out[i] = y;
  }
}

// One noise value per pair of draws (hi, lo): kept where the low 53 bits of hi:lo, scaled to
// [0, 1), are below `keep`; as an integer comparison with the bound ceil(keep * 2^53).
__attribute__((target_clones("avx2", "default"))) void pairsToNoise(const uint32_t* w, float* out,
                                                                     int pairs, uint64_t bound,
                                                                     float kept) {
  for (int i = 0; i < pairs; i++) {
    const uint64_t v = (uint64_t{w[2 * i] & 0x1fffff} << 32) | w[2 * i + 1];
    out[i] = v < bound ? kept : 0.0f;
  }
}

void bernoulliNoise(at::mt19937& engine, float* out, int64_t n, double keep, float kept) {
  // bits53 * 2^-53 < keep  <=>  bits53 < keep * 2^53 (exact: a power-of-two scaling)
  //                        <=>  bits53 < ceil(keep * 2^53) (bits53 an integer).
  const auto bound = static_cast<uint64_t>(std::ceil(std::ldexp(keep, 53)));
  at::mt19937_data_pod d = engine.data();
  uint32_t* s = d.state_.data();
  // As operator(): a draw decrements left_ and, when it reaches 0, first runs next_state (left_ =
  // N, next_ = 0); it returns state_[next_++] tempered. So left_ - 1 draws remain in the block.
  alignas(64) uint32_t words[kN + 1];
  int carried = 0;  // a draw left over from the previous block (the high half of a pair)
  int64_t i = 0;
  while (i < n) {
    if (d.left_ == 1) {
      nextState(s);
      d.left_ = kN + 1;  // N draws from here bring it back to 1, as N draws of operator() do
      d.next_ = 0;
    }
    const int64_t wanted = 2 * (n - i) - carried;
    const int take = static_cast<int>(std::min<int64_t>(d.left_ - 1, wanted));
    temper(s + d.next_, words + carried, take);
    d.next_ += take;
    d.left_ -= take;
    const int have = carried + take, pairs = have / 2;
    pairsToNoise(words, out + i, pairs, bound, kept);
    i += pairs;
    carried = have % 2;
    if (carried) words[0] = words[have - 1];
  }
  engine.set_data(d);
}

}  // namespace

torch::Tensor dropout(const torch::Tensor& x, double p, bool train) {
  if (!train || p == 0 || x.numel() == 0) return x;
  if (p == 1 || x.scalar_type() != torch::kFloat32 || !x.device().is_cpu())
    return torch::dropout(x, p, train);
  RECORD_FUNCTION("ecgtlc::dropout", std::vector<c10::IValue>({x}));  // named in profiles
  const double keep = 1 - p;
  // noise.div_(keep) computes in float: 1 / float(keep) for the kept, 0 for the dropped.
  const float kept = 1.0f / static_cast<float>(keep);
  auto noise = torch::empty_like(x, at::MemoryFormat::Contiguous);
  {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    auto* impl = gen.get<at::CPUGeneratorImpl>();
    at::mt19937 engine = impl->engine();
    bernoulliNoise(engine, noise.data_ptr<float>(), noise.numel(), keep, kept);
    impl->set_engine(engine);
  }
  return x * noise;
}

}  // namespace ecgtlc
