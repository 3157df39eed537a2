// The soft assignment's posteriors and entropy (src/tlc/softmax.ts) from squared distances:
// p_q ∝ exp(-(d_q - d_min) / (2 sigma^2)), H = -sum p log p / log K, per row. exp and log are the
// project's own (Cody-Waite reduction and a Taylor polynomial for exp; the atanh series for log),
// written so that every operation is one IEEE double operation without fused multiply-adds: the
// TypeScript twin in src/tlc/softmax.ts performs the same operations in the same order and gets
// the same bits, scalar or four lanes at a time here.
#include <immintrin.h>
#include <napi.h>

#include "explain_args.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace ecgtlc::softmax {
namespace {

using explain::arrayArg;
const bool kAvx2 = explain::avx2Enabled();

// ln 2 split so that k * kLn2Hi is exact for |k| < 2^21 (kLn2Hi has 32 significant bits).
constexpr double kLog2e = 1.4426950408889634;
constexpr double kLn2Hi = 6.93147180369123816490e-01;
constexpr double kLn2Lo = 1.90821492927058770002e-10;
constexpr double kSqrt2 = 1.4142135623730951;
// 1 / n! for n = 2..13 (exp) and 2 / (2n + 1) for n = 1..11 (log); the TypeScript has the same.
constexpr double kExpC[12] = {1.0 / 2,          1.0 / 6,           1.0 / 24,
                              1.0 / 120,        1.0 / 720,         1.0 / 5040,
                              1.0 / 40320,      1.0 / 362880,      1.0 / 3628800,
                              1.0 / 39916800,   1.0 / 479001600,   1.0 / 6227020800};
constexpr double kLogC[11] = {2.0 / 3,  2.0 / 5,  2.0 / 7,  2.0 / 9,  2.0 / 11, 2.0 / 13,
                              2.0 / 15, 2.0 / 17, 2.0 / 19, 2.0 / 21, 2.0 / 23};

double pow2(int64_t n) {  // 2^n for -1022 <= n <= 1023
  const uint64_t bits = static_cast<uint64_t>(n + 1023) << 52;
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

// exp(x) for -746 <= x <= 0.
double expNeg(double x) {
  if (std::isnan(x)) return x;
  const double kf = std::floor(x * kLog2e + 0.5);
  const double r = (x - kf * kLn2Hi) - kf * kLn2Lo;
  double q = kExpC[11];
  for (int n = 10; n >= 0; n--) q = q * r + kExpC[n];
  const double e = 1.0 + (r + (r * r) * q);
  const int64_t k = static_cast<int64_t>(kf);
  return k >= -1022 ? e * pow2(k) : (e * pow2(k + 60)) * pow2(-60);
}

// log(p) for 0 < p < 1.
double logUnit(double p) {
  double e0 = 0;
  if (p < 2.2250738585072014e-308) {  // subnormal: scale into the normal range first
    p = p * 18014398509481984.0;       // 2^54
    e0 = -54;
  }
  uint64_t bits;
  std::memcpy(&bits, &p, 8);
  double e = static_cast<double>(static_cast<int64_t>(bits >> 52) - 1023) + e0;
  const uint64_t mb = (bits & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull;
  double m;
  std::memcpy(&m, &mb, 8);
  if (m > kSqrt2) {
    m = m * 0.5;
    e = e + 1;
  }
  const double f = m - 1.0;
  const double s = f / (2.0 + f);
  const double z = s * s;
  double R = kLogC[10];
  for (int n = 9; n >= 0; n--) R = R * z + kLogC[n];
  R = R * z;
  const double hfsq = 0.5 * (f * f);
  return e * kLn2Hi - ((hfsq - (s * (hfsq + R) + e * kLn2Lo)) - f);
}

// ---------------------------------------------------------------------------------------------
// Four lanes of expNeg / logUnit: the scalar versions' operations, lane by lane.

__attribute__((target("avx2"))) __m256d pow2Avx2(__m256i n) {  // n as 64-bit lanes
  return _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(n, _mm256_set1_epi64x(1023)), 52));
}

__attribute__((target("avx2"))) __m256d expNegAvx2(__m256d x) {
  const __m256d kf =
      _mm256_floor_pd(_mm256_add_pd(_mm256_mul_pd(x, _mm256_set1_pd(kLog2e)), _mm256_set1_pd(0.5)));
  const __m256d r = _mm256_sub_pd(_mm256_sub_pd(x, _mm256_mul_pd(kf, _mm256_set1_pd(kLn2Hi))),
                                  _mm256_mul_pd(kf, _mm256_set1_pd(kLn2Lo)));
  __m256d q = _mm256_set1_pd(kExpC[11]);
  for (int n = 10; n >= 0; n--) q = _mm256_add_pd(_mm256_mul_pd(q, r), _mm256_set1_pd(kExpC[n]));
  const __m256d e = _mm256_add_pd(_mm256_set1_pd(1.0),
                                  _mm256_add_pd(r, _mm256_mul_pd(_mm256_mul_pd(r, r), q)));
  const __m256i k = _mm256_cvtepi32_epi64(_mm256_cvttpd_epi32(kf));  // kf is whole
  const __m256d normal = _mm256_mul_pd(e, pow2Avx2(k));
  const __m256d tiny = _mm256_mul_pd(
      _mm256_mul_pd(e, pow2Avx2(_mm256_add_epi64(k, _mm256_set1_epi64x(60)))), _mm256_set1_pd(pow2(-60)));
  const __m256d isNormal = _mm256_cmp_pd(kf, _mm256_set1_pd(-1022), _CMP_GE_OQ);
  return _mm256_blendv_pd(tiny, normal, isNormal);
}

__attribute__((target("avx2"))) __m256d logUnitAvx2(__m256d p) {
  const __m256d sub = _mm256_cmp_pd(p, _mm256_set1_pd(2.2250738585072014e-308), _CMP_LT_OQ);
  p = _mm256_blendv_pd(p, _mm256_mul_pd(p, _mm256_set1_pd(18014398509481984.0)), sub);
  const __m256d e0 = _mm256_and_pd(sub, _mm256_set1_pd(-54.0));
  const __m256i bits = _mm256_castpd_si256(p);
  // the biased exponent as a double: 2^52 + n, less 2^52 (exact), less 1023 (exact)
  const __m256d biased = _mm256_sub_pd(
      _mm256_castsi256_pd(
          _mm256_or_si256(_mm256_srli_epi64(bits, 52), _mm256_set1_epi64x(0x4330000000000000ll))),
      _mm256_set1_pd(4503599627370496.0));
  __m256d e = _mm256_add_pd(_mm256_sub_pd(biased, _mm256_set1_pd(1023.0)), e0);
  __m256d m = _mm256_castsi256_pd(
      _mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi64x(0x000FFFFFFFFFFFFFll)),
                      _mm256_set1_epi64x(0x3FF0000000000000ll)));
  const __m256d big = _mm256_cmp_pd(m, _mm256_set1_pd(kSqrt2), _CMP_GT_OQ);
  m = _mm256_blendv_pd(m, _mm256_mul_pd(m, _mm256_set1_pd(0.5)), big);
  e = _mm256_blendv_pd(e, _mm256_add_pd(e, _mm256_set1_pd(1.0)), big);
  const __m256d f = _mm256_sub_pd(m, _mm256_set1_pd(1.0));
  const __m256d s = _mm256_div_pd(f, _mm256_add_pd(_mm256_set1_pd(2.0), f));
  const __m256d z = _mm256_mul_pd(s, s);
  __m256d R = _mm256_set1_pd(kLogC[10]);
  for (int n = 9; n >= 0; n--) R = _mm256_add_pd(_mm256_mul_pd(R, z), _mm256_set1_pd(kLogC[n]));
  R = _mm256_mul_pd(R, z);
  const __m256d hfsq = _mm256_mul_pd(_mm256_set1_pd(0.5), _mm256_mul_pd(f, f));
  const __m256d inner = _mm256_add_pd(_mm256_mul_pd(s, _mm256_add_pd(hfsq, R)),
                                      _mm256_mul_pd(e, _mm256_set1_pd(kLn2Lo)));
  return _mm256_sub_pd(_mm256_mul_pd(e, _mm256_set1_pd(kLn2Hi)),
                       _mm256_sub_pd(_mm256_sub_pd(hfsq, inner), f));
}

// In place over n values: v = v === 0 ? 1 : v < -746 ? 0 : expNeg(v) (v <= 0).
__attribute__((target("avx2"))) void expAllAvx2(double* v, int64_t n) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m256d x = _mm256_loadu_pd(v + i);
    const __m256d safe = _mm256_blendv_pd(x, _mm256_set1_pd(-1.0),
                                          _mm256_cmp_pd(x, _mm256_set1_pd(-746), _CMP_LT_OQ));
    __m256d y = expNegAvx2(safe);
    y = _mm256_blendv_pd(y, _mm256_setzero_pd(), _mm256_cmp_pd(x, _mm256_set1_pd(-746), _CMP_LT_OQ));
    y = _mm256_blendv_pd(y, _mm256_set1_pd(1.0), _mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_EQ_OQ));
    _mm256_storeu_pd(v + i, y);
  }
  for (; i < n; i++) v[i] = v[i] == 0 ? 1 : v[i] < -746 ? 0 : expNeg(v[i]);
}
void expAllPlain(double* v, int64_t n) {
  for (int64_t i = 0; i < n; i++) v[i] = v[i] == 0 ? 1 : v[i] < -746 ? 0 : expNeg(v[i]);
}

// c[i] = p > 0 && p !== 1 ? p log p : 0.
__attribute__((target("avx2"))) void plogpAvx2(const double* p, double* c, int64_t n) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m256d x = _mm256_loadu_pd(p + i);
    const __m256d use = _mm256_and_pd(_mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_GT_OQ),
                                      _mm256_cmp_pd(x, _mm256_set1_pd(1.0), _CMP_NEQ_UQ));
    const __m256d safe = _mm256_blendv_pd(_mm256_set1_pd(0.5), x, use);
    const __m256d y = _mm256_mul_pd(x, logUnitAvx2(safe));
    _mm256_storeu_pd(c + i, _mm256_and_pd(y, use));
  }
  for (; i < n; i++) c[i] = p[i] > 0 && p[i] != 1 ? p[i] * logUnit(p[i]) : 0;
}
void plogpPlain(const double* p, double* c, int64_t n) {
  for (int64_t i = 0; i < n; i++) c[i] = p[i] > 0 && p[i] != 1 ? p[i] * logUnit(p[i]) : 0;
}

// (d2 rows x k -> posteriors in place, repeats, rows, k, sigma2, logK, labels, entropy)
void SoftmaxRows(const Napi::CallbackInfo& info) {
  const int64_t rows = info[2].As<Napi::Number>().Int64Value();
  const int64_t k = info[3].As<Napi::Number>().Int64Value();
  const double sigma2 = info[4].As<Napi::Number>().DoubleValue();
  const double logK = info[5].As<Napi::Number>().DoubleValue();
  if (rows < 0 || k < 1) throw Napi::RangeError::New(info.Env(), "softmax kernel: bad shape");
  double* d = arrayArg<double, napi_float64_array>(info, 0, rows * k, "d2");
  const uint8_t* repeats = arrayArg<uint8_t, napi_uint8_array>(info, 1, rows, "repeats");
  int32_t* labels = arrayArg<int32_t, napi_int32_array>(info, 6, rows, "labels");
  double* entropy = arrayArg<double, napi_float64_array>(info, 7, rows, "entropy");
  const double s2 = 2 * sigma2;
  // 1. nearest centroid and exponents, row by row (repeated rows are copied afterwards)
  for (int64_t r = 0; r < rows; r++) {
    double* row = d + r * k;
    if (repeats[r]) {  // unset distances: give exp harmless zeros (the row is copied later)
      std::memset(row, 0, k * sizeof(double));
      continue;
    }
    int64_t best = 0;
    for (int64_t q = 1; q < k; q++)
      if (row[q] < row[best]) best = q;
    labels[r] = static_cast<int32_t>(best);
    const double dBest = row[best];
    for (int64_t q = 0; q < k; q++) row[q] = -(row[q] - dBest) / s2;
  }
  // 2. exp of every exponent
  (kAvx2 ? expAllAvx2 : expAllPlain)(d, rows * k);
  // 3. normalise, row by row in q order
  for (int64_t r = 0; r < rows; r++) {
    if (repeats[r]) continue;
    double* row = d + r * k;
    double z = 0;
    for (int64_t q = 0; q < k; q++) z += row[q];
    for (int64_t q = 0; q < k; q++) row[q] = row[q] / z;
  }
  // 4. p log p, then each row's entropy in q order; repeated rows copy the row before
  std::vector<double> c(rows * k);
  (kAvx2 ? plogpAvx2 : plogpPlain)(d, c.data(), rows * k);
  for (int64_t r = 0; r < rows; r++) {
    if (repeats[r]) {
      std::memcpy(d + r * k, d + (r - 1) * k, k * sizeof(double));
      labels[r] = labels[r - 1];
      entropy[r] = entropy[r - 1];
      continue;
    }
    double h = 0;
    for (int64_t q = 0; q < k; q++) h -= c[r * k + q];
    entropy[r] = k > 1 ? std::fmin(1.0, std::fmax(0.0, h / logK)) : 0;
  }
}

// (x Float64Array, out Float64Array, which: 0 exp, 1 log): the scalar functions, for the tests.
void MathCheck(const Napi::CallbackInfo& info) {
  const auto x = info[0].As<Napi::Float64Array>();
  auto out = info[1].As<Napi::Float64Array>();
  const int which = info[2].As<Napi::Number>().Int32Value();
  const bool vector = info[3].ToBoolean();
  const size_t n = x.ElementLength() < out.ElementLength() ? x.ElementLength() : out.ElementLength();
  std::memcpy(out.Data(), x.Data(), n * sizeof(double));
  if (which == 0) {
    (vector && kAvx2 ? expAllAvx2 : expAllPlain)(out.Data(), static_cast<int64_t>(n));
  } else {
    std::vector<double> c(n);
    (vector && kAvx2 ? plogpAvx2 : plogpPlain)(x.Data(), c.data(), static_cast<int64_t>(n));
    for (size_t i = 0; i < n; i++) out.Data()[i] = c[i];
  }
}

}  // namespace
}  // namespace ecgtlc::softmax

Napi::Object InitSoftmaxKernels(Napi::Env env, Napi::Object exports) {
  using namespace ecgtlc::softmax;
  exports.Set("tlcSoftmaxRows", Napi::Function::New(env, SoftmaxRows));
  exports.Set("tlcMathCheck", Napi::Function::New(env, MathCheck));
  return exports;
}
