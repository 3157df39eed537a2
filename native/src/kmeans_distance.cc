// Squared distances for k-means (see kmeans_distance.h). Owned by src/tlc.
#include "kmeans_distance.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace ecgtlc::kmeans {

// The AVX2+FMA kernels when the CPU has them, the portable loops otherwise. ECG_TLC_KMEANS_SCALAR=1
// forces the portable loops: how the tests exercise a machine without AVX2.
const bool kHaveAvx2 = [] {
  const char* force = std::getenv("ECG_TLC_KMEANS_SCALAR");
  if (force && *force && std::strcmp(force, "0") != 0) return false;
  __builtin_cpu_init();  // needed when this runs from a static initialiser
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}();

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

Moments columnMoments(const Matrix& X, int threads) {
  int64_t nc = numChunks(X.n);
  std::vector<double> s1(nc * X.d, 0.0), s2(nc * X.d, 0.0);
  parallelChunks(threads, nc, [&](int64_t c) {
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
  });
  Moments m;
  m.mean.assign(X.d, 0.0);
  double total = 0;
  for (int64_t j = 0; j < X.d; j++) {
    double m1 = 0, m2 = 0;
    for (int64_t c = 0; c < nc; c++) {
      m1 += s1[c * X.d + j];
      m2 += s2[c * X.d + j];
    }
    m1 /= X.n;
    m.mean[j] = m1;
    total += std::max(0.0, m2 / X.n - m1 * m1);
  }
  m.variance = total / X.d;
  return m;
}

Origin chooseOrigin(const Moments& m) {
  double offset = 0;
  for (double v : m.mean) offset += v * v;
  const double spread = m.variance * static_cast<double>(m.mean.size());
  Origin origin;
  if (std::isfinite(offset) && std::isfinite(spread) && offset > 100 * spread)
    origin.o.assign(m.mean.begin(), m.mean.end());
  return origin;
}

std::vector<float> shiftRows(const float* C, int64_t k, int64_t d, const Origin& origin) {
  std::vector<float> out(C, C + k * d);
  if (!origin.o.empty())
    for (int64_t q = 0; q < k; q++)
      for (int64_t j = 0; j < d; j++) out[q * d + j] -= origin.o[j];
  return out;
}

double crossTerm(const float* c, int64_t d, const Origin& origin) {
  if (origin.o.empty()) return 0.0;
  double s = 0;
  for (int64_t j = 0; j < d; j++) s += static_cast<double>(origin.o[j]) * c[j];
  return 2 * s;
}

std::vector<float> rowNorms(const Matrix& X, int threads, const Origin& origin) {
  std::vector<float> out(X.n);
  parallelChunks(threads, numChunks(X.n), [&](int64_t c) {
    const int64_t r1 = std::min(X.n, (c + 1) * kChunk);
    if (origin.o.empty()) {
      for (int64_t i = c * kChunk; i < r1; i++) out[i] = squaredNorm(X.x + i * X.d, X.d);
      return;
    }
    std::vector<float> row(X.d);
    for (int64_t i = c * kChunk; i < r1; i++) {
      for (int64_t j = 0; j < X.d; j++) row[j] = X.x[i * X.d + j] - origin.o[j];
      out[i] = squaredNorm(row.data(), X.d);
    }
  });
  return out;
}

void requireFinite(const Matrix& X, const std::vector<float>& xx, const char* what) {
  for (int64_t i = 0; i < X.n; i++) {
    if (std::isfinite(xx[i])) continue;
    const float* r = X.x + i * X.d;
    int64_t j = 0;
    while (j < X.d && std::isfinite(r[j])) j++;
    char message[160];
    if (j < X.d) {
      std::snprintf(message, sizeof message, "%s %lld has %s at dimension %lld", what,
                    static_cast<long long>(i), std::isnan(r[j]) ? "NaN" : "an infinite value",
                    static_cast<long long>(j));
    } else {
      j = 0;
      for (int64_t t = 1; t < X.d; t++)
        if (std::fabs(r[t]) > std::fabs(r[j])) j = t;
      std::snprintf(message, sizeof message,
                    "%s %lld is too large for float32 squared distances (%g at dimension %lld)",
                    what, static_cast<long long>(i), static_cast<double>(r[j]),
                    static_cast<long long>(j));
    }
    throw std::invalid_argument(message);
  }
}

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

// Exact squared distances, (x - mu)^2 summed directly: Hamerly's bounds need distances without
// the cancellation of the ||x||^2 - 2 x.mu + ||mu||^2 form.
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

namespace {

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

}  // namespace

void exactAll(const float* x, int64_t d, const Centers& ct, const std::vector<float>& C,
              float* out) {
  if (kHaveAvx2) {
    exactAllAvx2(x, d, ct.t.data(), ct.kp, out);
  } else {
    for (int64_t q = 0; q < ct.k; q++) out[q] = static_cast<float>(exactSqScalar(x, &C[q * d], d));
  }
}

}  // namespace ecgtlc::kmeans
