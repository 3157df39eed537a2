// Dense k-means kernels over libtorch's BLAS. Owned by src/tlc.
//
// Distances use ||x||^2 - 2 x.mu + ||mu||^2 with x.mu computed on chunks of rows, and the
// assignment, inertia and centroid sums are fused into the same pass over each chunk while it is
// still in cache: one read of the data per Lloyd iteration. Sums are accumulated in double per
// chunk of fixed size and reduced in chunk order, so results do not depend on the thread count.
#include <napi.h>

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr int64_t kChunk = 512;

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

// Threads for the passes over the data. Chunks are dealt round-robin and each chunk writes only
// its own outputs, so results are identical whatever the thread count. Plain std::threads rather
// than at::parallel_for: libtorch's OpenMP pool did not spread work from a libuv worker thread.
std::atomic<int> gThreads{1};

// KMEANS_DEBUG=1 prints phase timings on stderr (development aid).
const bool kDebug = std::getenv("KMEANS_DEBUG") != nullptr;
double nowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

template <class F>
void parallelChunks(int64_t nc, F&& fn) {
  int T = std::max(1, std::min<int>(gThreads.load(), static_cast<int>(nc)));
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

int64_t numChunks(int64_t n) { return (n + kChunk - 1) / kChunk; }

// Eight independent float lanes (vectorised without -ffast-math), summed in double.
float squaredNorm(const float* r, int64_t d) {
  float lanes[8] = {};
  int64_t j = 0;
  for (; j + 8 <= d; j += 8)
    for (int t = 0; t < 8; t++) lanes[t] += r[j + t] * r[j + t];
  double s = 0;
  for (int t = 0; t < 8; t++) s += lanes[t];
  for (; j < d; j++) s += static_cast<double>(r[j]) * r[j];
  return static_cast<float>(s);
}

std::vector<float> rowNorms(const Matrix& X) {
  std::vector<float> out(X.n);
  parallelChunks(numChunks(X.n), [&](int64_t c) {
    for (int64_t i = c * kChunk; i < std::min(X.n, (c + 1) * kChunk); i++) {
      out[i] = squaredNorm(X.x + i * X.d, X.d);
    }
  });
  return out;
}

// Centroids transposed and padded to a multiple of 8 columns (d x kp), the layout dotsKernel reads.
struct Centers {
  std::vector<float> t;
  int64_t k, kp;
};

Centers transposeCenters(const float* C, int64_t k, int64_t d) {
  Centers c{{}, k, (k + 7) / 8 * 8};
  c.t.assign(d * c.kp, 0.0f);
  for (int64_t q = 0; q < k; q++)
    for (int64_t j = 0; j < d; j++) c.t[j * c.kp + q] = C[q * d + j];
  return c;
}

// x.C^T for `rows` rows of x into out (rows x kp). Why not at::mm: for the skinny (k = 8) right
// operand libtorch's sgemm ran at about 3 GFLOP/s here, 10x slower than this register-blocked
// loop (4 rows x 8 centroids of accumulators, one FMA per value), which makes a Lloyd pass
// memory-bound. AVX2+FMA when the CPU has them (checked once), plain loops otherwise.
__attribute__((target("avx2,fma"))) void dotsAvx2(const float* x, int64_t rows, int64_t d,
                                                   const float* ct, int64_t kp, float* out) {
  int64_t i = 0;
  for (; i + 4 <= rows; i += 4) {
    const float* x0 = x + i * d;
    for (int64_t qb = 0; qb < kp; qb += 8) {
      __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
      for (int64_t j = 0; j < d; j++) {
        __m256 c = _mm256_loadu_ps(ct + j * kp + qb);
        a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(x0 + j), c, a0);
        a1 = _mm256_fmadd_ps(_mm256_broadcast_ss(x0 + d + j), c, a1);
        a2 = _mm256_fmadd_ps(_mm256_broadcast_ss(x0 + 2 * d + j), c, a2);
        a3 = _mm256_fmadd_ps(_mm256_broadcast_ss(x0 + 3 * d + j), c, a3);
      }
      float* o = out + i * kp + qb;
      _mm256_storeu_ps(o, a0);
      _mm256_storeu_ps(o + kp, a1);
      _mm256_storeu_ps(o + 2 * kp, a2);
      _mm256_storeu_ps(o + 3 * kp, a3);
    }
  }
  for (; i < rows; i++) {
    const float* x0 = x + i * d;
    for (int64_t qb = 0; qb < kp; qb += 8) {
      __m256 a0 = _mm256_setzero_ps();
      for (int64_t j = 0; j < d; j++)
        a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(x0 + j), _mm256_loadu_ps(ct + j * kp + qb), a0);
      _mm256_storeu_ps(out + i * kp + qb, a0);
    }
  }
}

void dotsScalar(const float* x, int64_t rows, int64_t d, const float* ct, int64_t kp,
                float* out) {
  for (int64_t i = 0; i < rows; i++) {
    float* o = out + i * kp;
    for (int64_t q = 0; q < kp; q++) o[q] = 0.0f;
    for (int64_t j = 0; j < d; j++) {
      const float xv = x[i * d + j];
      const float* c = ct + j * kp;
      for (int64_t q = 0; q < kp; q++) o[q] += xv * c[q];
    }
  }
}

// The AVX2+FMA kernels when the CPU has them, the portable loops otherwise. ECG_TLC_KMEANS_SCALAR=1
// forces the portable loops: how the tests exercise a machine without AVX2.
const bool kHaveAvx2 = [] {
  const char* force = std::getenv("ECG_TLC_KMEANS_SCALAR");
  if (force && *force && std::strcmp(force, "0") != 0) return false;
  __builtin_cpu_init();  // needed when this runs from a static initialiser
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}();

void dotsKernel(const float* x, int64_t rows, int64_t d, const float* ct, int64_t kp, float* out) {
  if (kHaveAvx2)
    dotsAvx2(x, rows, d, ct, kp, out);
  else
    dotsScalar(x, rows, d, ct, kp, out);
}

// The mean per-feature variance (sklearn scales its tolerance by it).
double meanVariance(const Matrix& X) {
  int64_t nc = numChunks(X.n);
  std::vector<double> s1(nc * X.d, 0.0), s2(nc * X.d, 0.0);
  parallelChunks(nc, [&](int64_t c) {
    {
      double* a1 = &s1[c * X.d];
      double* a2 = &s2[c * X.d];
      int64_t r1 = std::min(X.n, (c + 1) * kChunk);
      for (int64_t i = c * kChunk; i < r1; i++) {
        const float* r = X.x + i * X.d;
        for (int64_t j = 0; j < X.d; j++) {
          a1[j] += r[j];
          a2[j] += static_cast<double>(r[j]) * r[j];
        }
      }
    }
  });
  double total = 0;
  for (int64_t j = 0; j < X.d; j++) {
    double m1 = 0, m2 = 0;
    for (int64_t c = 0; c < nc; c++) {
      m1 += s1[c * X.d + j];
      m2 += s2[c * X.d + j];
    }
    m1 /= X.n;
    total += std::max(0.0, m2 / X.n - m1 * m1);
  }
  return total / X.d;
}

struct Assignment {
  std::vector<int32_t> labels;
  std::vector<float> mind;  // squared distance to the assigned centre
  double inertia = 0;
};

// One fused pass: labels, distances and inertia for centres C; if sums != nullptr also the
// per-cluster sums (double, k x d) and counts of the points assigned.
void assignPass(const Matrix& X, const std::vector<float>& xx, const std::vector<float>& C,
                int64_t k, Assignment& out, std::vector<double>* sums,
                std::vector<int64_t>* counts) {
  const int64_t d = X.d;
  out.labels.resize(X.n);
  out.mind.resize(X.n);
  std::vector<float> cc(k);
  for (int64_t c = 0; c < k; c++) {
    double s = 0;
    for (int64_t j = 0; j < d; j++) s += static_cast<double>(C[c * d + j]) * C[c * d + j];
    cc[c] = static_cast<float>(s);
  }
  Centers ct = transposeCenters(C.data(), k, d);
  const int64_t kp = ct.kp;
  int64_t nc = numChunks(X.n);
  std::vector<double> chunkInertia(nc, 0.0);
  std::vector<double> partial;
  std::vector<int64_t> partialCounts;
  if (sums) {
    partial.assign(nc * k * d, 0.0);
    partialCounts.assign(nc * k, 0);
  }
  parallelChunks(nc, [&](int64_t c) {
    {
      int64_t r0 = c * kChunk, r1 = std::min(X.n, r0 + kChunk), rows = r1 - r0;
      std::vector<float> g(rows * kp);
      dotsKernel(X.x + r0 * d, rows, d, ct.t.data(), kp, g.data());
      const float* gp = g.data();
      double acc = 0;
      for (int64_t i = 0; i < rows; i++) {
        int32_t best = 0;
        float bestV = std::numeric_limits<float>::infinity();
        for (int64_t q = 0; q < k; q++) {
          float v = cc[q] - 2.0f * gp[i * kp + q];
          if (v < bestV) {
            bestV = v;
            best = static_cast<int32_t>(q);
          }
        }
        float dist = std::max(0.0f, xx[r0 + i] + bestV);
        out.labels[r0 + i] = best;
        out.mind[r0 + i] = dist;
        acc += dist;
        if (sums) {
          double* s = &partial[(c * k + best) * d];
          const float* r = X.x + (r0 + i) * d;
          for (int64_t j = 0; j < d; j++) s[j] += r[j];
          partialCounts[c * k + best]++;
        }
      }
      chunkInertia[c] = acc;
    }
  });
  out.inertia = 0;
  for (int64_t c = 0; c < nc; c++) out.inertia += chunkInertia[c];
  if (sums) {
    sums->assign(k * d, 0.0);
    counts->assign(k, 0);
    // Reduce in chunk order, parallel over the k*d outputs: deterministic.
    for (int64_t c = 0; c < nc; c++)
      for (int64_t t = 0; t < k * d; t++) (*sums)[t] += partial[c * k * d + t];
    for (int64_t c = 0; c < nc; c++)
      for (int64_t q = 0; q < k; q++) (*counts)[q] += partialCounts[c * k + q];
  }
}

// Greedy k-means++ as in scikit-learn: at each step, nTrials candidates drawn with probability
// proportional to D^2, keep the one that lowers the potential most.
std::vector<float> kmeansPlusPlus(const Matrix& X, const std::vector<float>& xx, int64_t k,
                                  int64_t nTrials, Rng& rng) {
  const int64_t d = X.d, n = X.n;
  std::vector<float> centers(k * d);
  int64_t first = rng.below(n);
  std::memcpy(&centers[0], X.x + first * d, d * sizeof(float));
  std::vector<float> closest(n);
  auto distTo = [&](const std::vector<int64_t>& ids, std::vector<float>& out) {
    int64_t L = static_cast<int64_t>(ids.size());
    std::vector<float> cand(L * d);
    std::vector<float> cn(L);
    for (int64_t t = 0; t < L; t++) {
      std::memcpy(&cand[t * d], X.x + ids[t] * d, d * sizeof(float));
      cn[t] = xx[ids[t]];
    }
    Centers ct = transposeCenters(cand.data(), L, d);
    const int64_t kp = ct.kp;
    out.resize(n * L);
    int64_t nc = numChunks(n);
    parallelChunks(nc, [&](int64_t c) {
      {
        int64_t r0 = c * kChunk, r1 = std::min(n, r0 + kChunk), rows = r1 - r0;
        std::vector<float> g(rows * kp);
        dotsKernel(X.x + r0 * d, rows, d, ct.t.data(), kp, g.data());
        for (int64_t i = 0; i < rows; i++)
          for (int64_t t = 0; t < L; t++)
            out[(r0 + i) * L + t] = std::max(0.0f, xx[r0 + i] - 2.0f * g[i * kp + t] + cn[t]);
      }
    });
  };
  std::vector<float> buf;
  distTo({first}, buf);
  double pot = 0;
  for (int64_t i = 0; i < n; i++) {
    closest[i] = buf[i];
    pot += buf[i];
  }
  std::vector<double> cum(n);
  for (int64_t c = 1; c < k; c++) {
    double run = 0;
    for (int64_t i = 0; i < n; i++) {
      run += closest[i];
      cum[i] = run;
    }
    std::vector<int64_t> ids(nTrials);
    for (int64_t t = 0; t < nTrials; t++) {
      double r = rng.uniform() * run;
      int64_t idx = std::upper_bound(cum.begin(), cum.end(), r) - cum.begin();
      ids[t] = std::min(idx, n - 1);
    }
    distTo(ids, buf);
    int64_t bestT = 0;
    double bestPot = std::numeric_limits<double>::infinity();
    for (int64_t t = 0; t < nTrials; t++) {
      double p = 0;
      for (int64_t i = 0; i < n; i++) p += std::min(closest[i], buf[i * nTrials + t]);
      if (p < bestPot) {
        bestPot = p;
        bestT = t;
      }
    }
    for (int64_t i = 0; i < n; i++) closest[i] = std::min(closest[i], buf[i * nTrials + bestT]);
    pot = bestPot;
    std::memcpy(&centers[c * d], X.x + ids[bestT] * d, d * sizeof(float));
  }
  (void)pot;
  return centers;
}

struct LloydResult {
  std::vector<float> centers;
  Assignment assign;
  int64_t iterations = 0;
};

// Lloyd iterations until the labels stop changing or the total squared centre shift is <= tol
// (scikit-learn's criteria), then one final assignment so labels and inertia match the centres.
LloydResult lloydPlain(const Matrix& X, const std::vector<float>& xx, std::vector<float> centers,
                       int64_t k, int64_t maxIter, double tol, int64_t done = 0) {
  const int64_t d = X.d;
  LloydResult res;
  std::vector<double> sums;
  std::vector<int64_t> counts;
  std::vector<int32_t> prevLabels;
  Assignment a;
  int64_t it = done;
  for (; it < maxIter; it++) {
    assignPass(X, xx, centers, k, a, &sums, &counts);
    // Empty clusters take the points farthest from their centres (as scikit-learn does).
    std::vector<int64_t> empty;
    for (int64_t q = 0; q < k; q++)
      if (counts[q] == 0) empty.push_back(q);
    if (!empty.empty()) {
      std::vector<int64_t> order(X.n);
      std::iota(order.begin(), order.end(), 0);
      int64_t m = std::min<int64_t>(static_cast<int64_t>(empty.size()), X.n);
      std::partial_sort(order.begin(), order.begin() + m, order.end(), [&](int64_t p, int64_t q) {
        return a.mind[p] > a.mind[q] || (a.mind[p] == a.mind[q] && p < q);
      });
      for (int64_t e = 0; e < m; e++) {
        int64_t p = order[e], old = a.labels[p], q = empty[e];
        if (counts[old] <= 1) continue;
        const float* r = X.x + p * d;
        for (int64_t j = 0; j < d; j++) {
          sums[old * d + j] -= r[j];
          sums[q * d + j] = r[j];
        }
        counts[old]--;
        counts[q] = 1;
        a.labels[p] = static_cast<int32_t>(q);
      }
    }
    double shift = 0;
    for (int64_t q = 0; q < k; q++) {
      if (counts[q] == 0) continue;
      double inv = 1.0 / static_cast<double>(counts[q]);
      for (int64_t j = 0; j < d; j++) {
        float v = static_cast<float>(sums[q * d + j] * inv);
        double delta = static_cast<double>(v) - centers[q * d + j];
        shift += delta * delta;
        centers[q * d + j] = v;
      }
    }
    bool same = !prevLabels.empty() && prevLabels == a.labels;
    if (same || shift <= tol) {
      it++;
      break;
    }
    prevLabels.swap(a.labels);
  }
  assignPass(X, xx, centers, k, a, nullptr, nullptr);
  res.centers = std::move(centers);
  res.assign = std::move(a);
  res.iterations = it;
  return res;
}

// Exact squared distances, (x - mu)^2 summed directly: the bounds below need distances without
// the cancellation of the ||x||^2 - 2 x.mu + ||mu||^2 form. AVX2+FMA versions when available.
__attribute__((target("avx2,fma"))) double exactSqAvx2(const float* x, const float* c, int64_t d) {
  __m256 acc = _mm256_setzero_ps();
  int64_t j = 0;
  for (; j + 8 <= d; j += 8) {
    __m256 v = _mm256_sub_ps(_mm256_loadu_ps(x + j), _mm256_loadu_ps(c + j));
    acc = _mm256_fmadd_ps(v, v, acc);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, acc);
  double s = 0;
  for (int t = 0; t < 8; t++) s += lanes[t];
  for (; j < d; j++) s += static_cast<double>(x[j] - c[j]) * (x[j] - c[j]);
  return s;
}

double exactSqScalar(const float* x, const float* c, int64_t d) {
  float lanes[8] = {};
  int64_t j = 0;
  for (; j + 8 <= d; j += 8)
    for (int t = 0; t < 8; t++) {
      float v = x[j + t] - c[j + t];
      lanes[t] += v * v;
    }
  double s = 0;
  for (int t = 0; t < 8; t++) s += lanes[t];
  for (; j < d; j++) s += static_cast<double>(x[j] - c[j]) * (x[j] - c[j]);
  return s;
}

double exactSq(const float* x, const float* c, int64_t d) {
  return kHaveAvx2 ? exactSqAvx2(x, c, d) : exactSqScalar(x, c, d);
}

// Squared distances of one point to every centre at once (centres transposed, d x kp): one
// broadcast, subtract and FMA per value for 8 centres.
__attribute__((target("avx2,fma"))) void exactAllAvx2(const float* x, int64_t d, const float* ct,
                                                       int64_t kp, float* out) {
  for (int64_t qb = 0; qb < kp; qb += 8) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0;
    int64_t j = 0;
    for (; j + 2 <= d; j += 2) {
      __m256 v0 = _mm256_sub_ps(_mm256_broadcast_ss(x + j), _mm256_loadu_ps(ct + j * kp + qb));
      __m256 v1 =
          _mm256_sub_ps(_mm256_broadcast_ss(x + j + 1), _mm256_loadu_ps(ct + (j + 1) * kp + qb));
      a0 = _mm256_fmadd_ps(v0, v0, a0);
      a1 = _mm256_fmadd_ps(v1, v1, a1);
    }
    for (; j < d; j++) {
      __m256 v0 = _mm256_sub_ps(_mm256_broadcast_ss(x + j), _mm256_loadu_ps(ct + j * kp + qb));
      a0 = _mm256_fmadd_ps(v0, v0, a0);
    }
    _mm256_storeu_ps(out + qb, _mm256_add_ps(a0, a1));
  }
}

void exactAll(const float* x, int64_t d, const Centers& ct, const std::vector<float>& C,
              float* out) {
  if (kHaveAvx2) {
    exactAllAvx2(x, d, ct.t.data(), ct.kp, out);
  } else {
    for (int64_t q = 0; q < ct.k; q++) out[q] = static_cast<float>(exactSqScalar(x, &C[q * d], d));
  }
}

// Lloyd's algorithm with Hamerly's bounds (Hamerly 2010): per point an upper bound on the distance
// to its centre and a lower bound on the distance to any other centre. A point whose bounds show
// that its centre cannot change is skipped without reading its row, and centroid sums change only
// by the points that move, so late iterations touch a small part of the data. Same fixed points
// and stopping rules as plain Lloyd (labels unchanged, or total squared shift <= tol).
LloydResult lloyd(const Matrix& X, const std::vector<float>& xx, std::vector<float> centers,
                  int64_t k, int64_t maxIter, double tol) {
  const int64_t d = X.d, n = X.n;
  if (k < 2) return lloydPlain(X, xx, std::move(centers), k, maxIter, tol);
  std::vector<int32_t> label(n);
  std::vector<double> upper(n), lower(n);
  std::vector<double> sums(k * d, 0.0);
  std::vector<int64_t> counts(k, 0);
  int64_t nc = numChunks(n);
  // Initial assignment: nearest and second-nearest centre of every point, ranked with the fast
  // dot-product kernel, then their exact distances for the bounds.
  {
    Centers ct = transposeCenters(centers.data(), k, d);
    std::vector<float> cc(k);
    for (int64_t q = 0; q < k; q++) cc[q] = squaredNorm(&centers[q * d], d);
    parallelChunks(nc, [&](int64_t c) {
      int64_t r0 = c * kChunk, rows = std::min(n, r0 + kChunk) - r0;
      std::vector<float> g(rows * ct.kp);
      dotsKernel(X.x + r0 * d, rows, d, ct.t.data(), ct.kp, g.data());
      for (int64_t i = 0; i < rows; i++) {
        float v1 = std::numeric_limits<float>::infinity(), v2 = v1;
        int32_t a1 = 0, a2 = 1;
        for (int64_t q = 0; q < k; q++) {
          float v = cc[q] - 2.0f * g[i * ct.kp + q];
          if (v < v1) {
            v2 = v1;
            a2 = a1;
            v1 = v;
            a1 = static_cast<int32_t>(q);
          } else if (v < v2) {
            v2 = v;
            a2 = static_cast<int32_t>(q);
          }
        }
        const float* x = X.x + (r0 + i) * d;
        double e1 = exactSq(x, &centers[a1 * d], d), e2 = exactSq(x, &centers[a2 * d], d);
        if (e2 < e1) {
          std::swap(e1, e2);
          std::swap(a1, a2);
        }
        label[r0 + i] = a1;
        upper[r0 + i] = std::sqrt(e1);
        // Only a lower bound is needed: the true second distance cannot exceed e2 but, with the
        // fast ranking's rounding, another centre might be marginally closer; shrink a little.
        lower[r0 + i] = std::sqrt(e2) * (1.0 - 1e-3);
      }
    });
  }
  for (int64_t i = 0; i < n; i++) {
    const float* r = X.x + i * d;
    double* s = &sums[label[i] * d];
    for (int64_t j = 0; j < d; j++) s[j] += r[j];
    counts[label[i]]++;
  }
  struct Move {
    int64_t i;
    int32_t from, to;
  };
  std::vector<std::vector<Move>> moves(nc);
  std::vector<int64_t> tightened(nc), full(nc);
  std::vector<double> half(k), shift(k);
  int64_t it = 0;
  bool first = true;
  for (; it < maxIter; it++) {
    if (!first) {
      // Half the distance from each centre to its nearest other centre.
      for (int64_t q = 0; q < k; q++) {
        double m = std::numeric_limits<double>::infinity();
        for (int64_t r = 0; r < k; r++)
          if (r != q) m = std::min(m, exactSq(&centers[q * d], &centers[r * d], d));
        half[q] = 0.5 * std::sqrt(m);
      }
      Centers ct = transposeCenters(centers.data(), k, d);
      parallelChunks(nc, [&](int64_t c) {
        std::vector<float> all(ct.kp);
        auto& mv = moves[c];
        mv.clear();
        tightened[c] = full[c] = 0;
        for (int64_t i = c * kChunk; i < std::min(n, (c + 1) * kChunk); i++) {
          int32_t a = label[i];
          double m = std::max(half[a], lower[i]);
          if (upper[i] <= m) continue;
          const float* x = X.x + i * d;
          upper[i] = std::sqrt(exactSq(x, &centers[a * d], d));
          tightened[c]++;
          if (upper[i] <= m) continue;
          full[c]++;
          double b1 = std::numeric_limits<double>::infinity(), b2 = b1;
          int32_t best = a;
          exactAll(x, d, ct, centers, all.data());
          for (int64_t q = 0; q < k; q++) {
            double v = q == a ? upper[i] * upper[i] : all[q];
            if (v < b1 || (v == b1 && q < best)) {
              b2 = b1;
              b1 = v;
              best = static_cast<int32_t>(q);
            } else if (v < b2) {
              b2 = v;
            }
          }
          upper[i] = std::sqrt(b1);
          lower[i] = std::sqrt(b2);
          if (best != a) {
            mv.push_back({i, a, best});
            label[i] = best;
          }
        }
      });
      // Apply the moves in point order: deterministic whatever the thread count.
      int64_t moved = 0;
      for (auto& mv : moves)
        for (const Move& m : mv) {
          const float* r = X.x + m.i * d;
          double* sf = &sums[m.from * d];
          double* st = &sums[m.to * d];
          for (int64_t j = 0; j < d; j++) {
            sf[j] -= r[j];
            st[j] += r[j];
          }
          counts[m.from]--;
          counts[m.to]++;
          moved++;
        }
      if (kDebug) {
        int64_t nt = 0, nf = 0;
        for (int64_t c = 0; c < nc; c++) {
          nt += tightened[c];
          nf += full[c];
        }
        std::fprintf(stderr, "  iteration %lld: %lld moved, %lld tightened, %lld full\n",
                     static_cast<long long>(it), static_cast<long long>(moved),
                     static_cast<long long>(nt), static_cast<long long>(nf));
      }
      if (moved == 0) break;  // strict convergence: the centres are already the means
      for (int64_t q = 0; q < k; q++)
        if (counts[q] == 0) {
          // An empty cluster: hand over to plain Lloyd, which relocates it as scikit-learn does.
          return lloydPlain(X, xx, std::move(centers), k, maxIter, tol, it);
        }
    }
    first = false;
    // Move the centres to the means; bounds loosen by how far the centres moved.
    double total = 0;
    for (int64_t q = 0; q < k; q++) {
      double inv = 1.0 / static_cast<double>(counts[q]), sq = 0;
      for (int64_t j = 0; j < d; j++) {
        float v = static_cast<float>(sums[q * d + j] * inv);
        double delta = static_cast<double>(v) - centers[q * d + j];
        sq += delta * delta;
        centers[q * d + j] = v;
      }
      shift[q] = std::sqrt(sq);
      total += sq;
    }
    int64_t far = 0;
    for (int64_t q = 1; q < k; q++)
      if (shift[q] > shift[far]) far = q;
    double second = 0;
    for (int64_t q = 0; q < k; q++)
      if (q != far) second = std::max(second, shift[q]);
    parallelChunks(nc, [&](int64_t c) {
      for (int64_t i = c * kChunk; i < std::min(n, (c + 1) * kChunk); i++) {
        upper[i] += shift[label[i]];
        lower[i] -= label[i] == far ? second : shift[far];
      }
    });
    if (total <= tol) {
      it++;
      break;
    }
  }
  LloydResult res;
  assignPass(X, xx, centers, k, res.assign, nullptr, nullptr);
  res.centers = std::move(centers);
  res.iterations = it;
  return res;
}

struct FitOptions {
  int64_t k = 8, nInit = 3, maxIter = 300, nTrials = 0, threads = 0, sample = 0;
  double tol = 1e-4;
  uint64_t seed = 0;
  std::vector<float> init;
};

struct FitResult {
  LloydResult best;
  std::vector<double> initInertia;
  int64_t totalIterations = 0;
};

FitResult fit(const Matrix& X, const FitOptions& o) {
  FitResult out;
  Rng rng(o.seed);
  std::vector<float> xx = rowNorms(X);
  double tol = o.tol * meanVariance(X);
  int64_t nTrials = o.nTrials > 0 ? o.nTrials : 2 + static_cast<int64_t>(std::log(o.k));
  if (!o.init.empty()) {
    out.best = lloyd(X, xx, o.init, o.k, o.maxIter, tol);
    out.initInertia.push_back(out.best.assign.inertia);
    out.totalIterations = out.best.iterations;
    return out;
  }
  if (o.sample > 0 && o.sample < X.n) {
    // Coarse-to-fine: each restart is seeded and converged on a uniform sample, the restart with
    // the lowest inertia on ALL points is then refined on all points. Most Lloyd iterations thus
    // run on the sample; the full-data refinement starts close to its fixed point.
    std::vector<int64_t> idx(X.n);
    std::iota(idx.begin(), idx.end(), 0);
    for (int64_t i = 0; i < o.sample; i++) std::swap(idx[i], idx[i + rng.below(X.n - i)]);
    idx.resize(o.sample);
    std::sort(idx.begin(), idx.end());
    std::vector<float> sub(o.sample * X.d);
    for (int64_t i = 0; i < o.sample; i++)
      std::memcpy(&sub[i * X.d], X.x + idx[i] * X.d, X.d * sizeof(float));
    Matrix S{sub.data(), o.sample, X.d};
    std::vector<float> sxx = rowNorms(S);
    double stol = o.tol * meanVariance(S);
    std::vector<float> bestCenters;
    double bestInertia = std::numeric_limits<double>::infinity();
    Assignment a;
    for (int64_t r = 0; r < o.nInit; r++) {
      auto init = kmeansPlusPlus(S, sxx, o.k, nTrials, rng);
      LloydResult lr = lloyd(S, sxx, init, o.k, o.maxIter, stol);
      out.totalIterations += lr.iterations;
      assignPass(X, xx, lr.centers, o.k, a, nullptr, nullptr);
      out.initInertia.push_back(a.inertia);
      if (a.inertia < bestInertia) {
        bestInertia = a.inertia;
        bestCenters = lr.centers;
      }
    }
    out.best = lloyd(X, xx, bestCenters, o.k, o.maxIter, tol);
    out.totalIterations += out.best.iterations;
    return out;
  }
  // k-means++ on a uniform sample when the points are many: the D^2 sampling then costs a few
  // passes over the sample instead of 2 + log K passes per centre over all points, and the seeds
  // it gives are as good (the Lloyd iterations that follow run on all points).
  const int64_t seedPoints = std::max<int64_t>(50000, 50 * o.k);
  std::vector<float> seedBuf;
  Matrix seedX = X;
  std::vector<float> seedXX;
  if (X.n > 2 * seedPoints) {
    std::vector<int64_t> idx(X.n);
    std::iota(idx.begin(), idx.end(), 0);
    for (int64_t i = 0; i < seedPoints; i++) std::swap(idx[i], idx[i + rng.below(X.n - i)]);
    idx.resize(seedPoints);
    std::sort(idx.begin(), idx.end());
    seedBuf.resize(seedPoints * X.d);
    for (int64_t i = 0; i < seedPoints; i++)
      std::memcpy(&seedBuf[i * X.d], X.x + idx[i] * X.d, X.d * sizeof(float));
    seedX = Matrix{seedBuf.data(), seedPoints, X.d};
    seedXX = rowNorms(seedX);
  }
  const std::vector<float>& sxx = seedBuf.empty() ? xx : seedXX;
  bool have = false;
  for (int64_t r = 0; r < o.nInit; r++) {
    double t0 = nowSeconds();
    auto init = kmeansPlusPlus(seedX, sxx, o.k, nTrials, rng);
    double t1 = nowSeconds();
    LloydResult lr = lloyd(X, xx, init, o.k, o.maxIter, tol);
    if (kDebug)
      std::fprintf(stderr, "kmeans: restart %lld seeding %.2f s, lloyd %.2f s, %lld iterations\n",
                   static_cast<long long>(r), t1 - t0, nowSeconds() - t1,
                   static_cast<long long>(lr.iterations));
    out.totalIterations += lr.iterations;
    out.initInertia.push_back(lr.assign.inertia);
    if (!have || lr.assign.inertia < out.best.assign.inertia) {
      out.best = std::move(lr);
      have = true;
    }
  }
  return out;
}

// ---- N-API glue -------------------------------------------------------------------------------

Matrix matrixArg(const Napi::CallbackInfo& info, int i) {
  auto arr = info[i].As<Napi::Float32Array>();
  int64_t n = info[i + 1].As<Napi::Number>().Int64Value();
  int64_t d = info[i + 2].As<Napi::Number>().Int64Value();
  if (n < 1 || d < 1 || static_cast<int64_t>(arr.ElementLength()) < n * d)
    throw Napi::RangeError::New(info.Env(), "kmeans: points array shorter than n x d");
  return Matrix{arr.Data(), n, d};
}

int64_t intOpt(const Napi::Object& o, const char* key, int64_t fallback) {
  return o.Has(key) && o.Get(key).IsNumber() ? o.Get(key).As<Napi::Number>().Int64Value()
                                             : fallback;
}

Napi::Float32Array toF32(Napi::Env env, const std::vector<float>& v) {
  auto a = Napi::Float32Array::New(env, v.size());
  if (!v.empty()) std::memcpy(a.Data(), v.data(), v.size() * sizeof(float));
  return a;
}

Napi::Int32Array toI32(Napi::Env env, const std::vector<int32_t>& v) {
  auto a = Napi::Int32Array::New(env, v.size());
  if (!v.empty()) std::memcpy(a.Data(), v.data(), v.size() * sizeof(int32_t));
  return a;
}

class KmeansWorker : public Napi::AsyncWorker {
 public:
  KmeansWorker(Napi::Env env, Napi::Value points, Matrix X, int64_t threads)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), X_(X),
        threads_(threads) {
    // Keeps the points alive (and their data pointer valid) while the worker runs.
    ref_ = Napi::Persistent(points.As<Napi::Object>());
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      gThreads = threads_ > 0 ? static_cast<int>(threads_) : std::max(1u, std::thread::hardware_concurrency());
      Run();
    } catch (const std::exception& e) {
      SetError(std::string("kmeans: ") + e.what());
    }
  }
  virtual void Run() = 0;
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }
  Napi::Promise::Deferred deferred_;
  Matrix X_;
  int64_t threads_;
  Napi::ObjectReference ref_;
};

class FitWorker : public KmeansWorker {
 public:
  FitWorker(Napi::Env env, Napi::Value points, Matrix X, FitOptions o)
      : KmeansWorker(env, points, X, o.threads), o_(std::move(o)) {}

 protected:
  void Run() override { r_ = fit(X_, o_); }
  void OnOK() override {
    Napi::Env env = Env();
    auto obj = Napi::Object::New(env);
    obj.Set("centroids", toF32(env, r_.best.centers));
    obj.Set("labels", toI32(env, r_.best.assign.labels));
    obj.Set("inertia", r_.best.assign.inertia);
    obj.Set("iterations", static_cast<double>(r_.best.iterations));
    obj.Set("totalIterations", static_cast<double>(r_.totalIterations));
    auto inits = Napi::Array::New(env, r_.initInertia.size());
    for (size_t i = 0; i < r_.initInertia.size(); i++) inits.Set(i, r_.initInertia[i]);
    obj.Set("initInertia", inits);
    deferred_.Resolve(obj);
  }

 private:
  FitOptions o_;
  FitResult r_;
};

class AssignWorker : public KmeansWorker {
 public:
  AssignWorker(Napi::Env env, Napi::Value points, Matrix X, std::vector<float> C, int64_t k,
               int64_t threads)
      : KmeansWorker(env, points, X, threads), C_(std::move(C)), k_(k) {}

 protected:
  void Run() override {
    std::vector<float> xx = rowNorms(X_);
    assignPass(X_, xx, C_, k_, a_, nullptr, nullptr);
  }
  void OnOK() override {
    Napi::Env env = Env();
    auto obj = Napi::Object::New(env);
    obj.Set("labels", toI32(env, a_.labels));
    obj.Set("distances", toF32(env, a_.mind));
    obj.Set("inertia", a_.inertia);
    deferred_.Resolve(obj);
  }

 private:
  std::vector<float> C_;
  int64_t k_;
  Assignment a_;
};

// kmeansFit(points, n, d, { k, nInit, maxIter, tol, seed, threads, nLocalTrials, sample, init })
Napi::Value KmeansFit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Matrix X = matrixArg(info, 0);
  auto opts = info[3].IsObject() ? info[3].As<Napi::Object>() : Napi::Object::New(env);
  FitOptions o;
  o.k = intOpt(opts, "k", 8);
  o.nInit = std::max<int64_t>(1, intOpt(opts, "nInit", 3));
  o.maxIter = std::max<int64_t>(1, intOpt(opts, "maxIter", 300));
  o.nTrials = intOpt(opts, "nLocalTrials", 0);
  o.threads = intOpt(opts, "threads", 0);
  o.sample = intOpt(opts, "sample", 0);
  o.seed = static_cast<uint64_t>(intOpt(opts, "seed", 0));
  if (opts.Has("tol") && opts.Get("tol").IsNumber())
    o.tol = opts.Get("tol").As<Napi::Number>().DoubleValue();
  if (o.k < 1 || o.k > X.n) throw Napi::RangeError::New(env, "kmeans: k must be in [1, points]");
  if (opts.Has("init") && opts.Get("init").IsTypedArray()) {
    auto init = opts.Get("init").As<Napi::Float32Array>();
    if (static_cast<int64_t>(init.ElementLength()) != o.k * X.d)
      throw Napi::RangeError::New(env, "kmeans: init must hold k x d values");
    o.init.assign(init.Data(), init.Data() + o.k * X.d);
  }
  auto* w = new FitWorker(env, info[0], X, std::move(o));
  auto p = w->Promise();
  w->Queue();
  return p;
}

// kmeansAssign(points, n, d, centroids, k, threads) -> { labels, distances, inertia }
Napi::Value KmeansAssign(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Matrix X = matrixArg(info, 0);
  auto c = info[3].As<Napi::Float32Array>();
  int64_t k = info[4].As<Napi::Number>().Int64Value();
  int64_t threads = info[5].IsNumber() ? info[5].As<Napi::Number>().Int64Value() : 0;
  if (k < 1 || static_cast<int64_t>(c.ElementLength()) != k * X.d)
    throw Napi::RangeError::New(env, "kmeans: centroids must hold k x d values");
  std::vector<float> C(c.Data(), c.Data() + k * X.d);
  auto* w = new AssignWorker(env, info[0], X, std::move(C), k, threads);
  auto p = w->Promise();
  w->Queue();
  return p;
}

// kmeansKernel() -> "avx2" | "scalar": which distance kernels this process uses.
Napi::Value KmeansKernel(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), kHaveAvx2 ? "avx2" : "scalar");
}

}  // namespace

Napi::Object InitKmeans(Napi::Env env, Napi::Object exports) {
  exports.Set("kmeansFit", Napi::Function::New(env, KmeansFit));
  exports.Set("kmeansAssign", Napi::Function::New(env, KmeansAssign));
  exports.Set("kmeansKernel", Napi::Function::New(env, KmeansKernel));
  return exports;
}
