// Types and helpers shared by the k-means kernels (kmeans_*.cc). Owned by src/tlc.
//
// Every pass over the points works on chunks of kChunk rows; each chunk writes only its own
// outputs and sums are reduced in chunk order, so results do not depend on the thread count.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <thread>
#include <vector>

namespace ecgtlc::kmeans {

constexpr int64_t kChunk = 512;

// n points of d dimensions, row-major, not owned.
struct Matrix {
  const float* x;
  int64_t n;
  int64_t d;
};

// splitmix-style uniform in [0, 1) from a 64-bit Mersenne twister: portable and reproducible.
struct Rng {
  std::mt19937_64 g;
  explicit Rng(uint64_t seed) : g(seed) {}
  double uniform() { return static_cast<double>(g() >> 11) * (1.0 / 9007199254740992.0); }
  int64_t below(int64_t n) { return static_cast<int64_t>(uniform() * static_cast<double>(n)); }
};

// KMEANS_DEBUG=1 prints phase timings on stderr (development aid).
inline const bool kDebug = std::getenv("KMEANS_DEBUG") != nullptr;

inline double nowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// fn(c) for the nc chunks on `threads` threads (the caller's among them). Chunks are dealt
// round-robin and each chunk writes only its own outputs, so results are identical whatever the
// thread count. The count is a parameter of each call, never a global: concurrent fits from JS
// each keep their own. Plain std::threads rather than at::parallel_for: libtorch's OpenMP pool
// did not spread work from a libuv worker thread.
template <class F>
void parallelChunks(int threads, int64_t nc, F&& fn) {
  int T = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, nc)));
  if (T == 1) {
    for (int64_t c = 0; c < nc; c++) fn(c);
    return;
  }
  std::vector<std::thread> pool;
  for (int t = 1; t < T; t++)
    pool.emplace_back([&, t] {
      for (int64_t c = t; c < nc; c += T) fn(c);
    });
  for (int64_t c = 0; c < nc; c += T) fn(c);
  for (auto& th : pool) th.join();
}

inline int64_t numChunks(int64_t n) { return (n + kChunk - 1) / kChunk; }

}  // namespace ecgtlc::kmeans
