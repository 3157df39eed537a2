// Kernels of explaining one ECG after the network (see src/tlc/native-kernels.ts): composite
// vectors and the exact squared distances of the soft assignment. Owned by src/tlc. Each is the
// TypeScript loop's arithmetic, operation for operation (double sums in the same order, float32
// roundings where the TypeScript stores into a Float32Array, no fused multiply-add), so that the
// results are the TypeScript's bit for bit; only independent sums run side by side in SIMD lanes.
// Synchronous: each call is a fraction of a millisecond, on arrays the caller owns.
#include <immintrin.h>
#include <napi.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace ecgtlc::explain {
namespace {

// AVX2 only (never FMA: a fused multiply-add rounds once where the TypeScript rounds twice).
// ECG_TLC_KMEANS_SCALAR=1 forces the portable loops, as for the k-means kernels.
const bool kAvx2 = [] {
  const char* force = std::getenv("ECG_TLC_KMEANS_SCALAR");
  if (force && *force && std::strcmp(force, "0") != 0) return false;
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") != 0;
}();

// ---------------------------------------------------------------------------------------------
// Squared distances: rows of x (columns [c0, c0 + w) of rows of `stride` floats) against k
// centroids of w doubles; a row equal to the one before is flagged in `repeats` and skipped.

// Sums of R rows (at x + rowOff[r]) against centroids transposed (w x kp, kp a multiple of 4),
// two groups of four centroids per pass. xd: scratch of R x w doubles (the rows, converted once).
template <int R>
__attribute__((target("avx2"))) void distBlockAvx2(const float* x, const int64_t* rowOff,
                                                   const double* ct, int64_t w, int64_t kp,
                                                   int64_t k, double* const* d2, double* xd) {
  for (int64_t j = 0; j < w; j++)
    for (int r = 0; r < R; r++) xd[j * R + r] = static_cast<double>(x[rowOff[r] + j]);
  for (int64_t g = 0; g < kp; g += 8) {
    const bool two = g + 4 < kp;
    __m256d a0[R], a1[R];
    for (int r = 0; r < R; r++) a0[r] = a1[r] = _mm256_setzero_pd();
    if (two)
      for (int64_t j = 0; j < w; j++) {
        const __m256d c0 = _mm256_loadu_pd(ct + j * kp + g);
        const __m256d c1 = _mm256_loadu_pd(ct + j * kp + g + 4);
        for (int r = 0; r < R; r++) {
          const __m256d v = _mm256_broadcast_sd(xd + j * R + r);
          const __m256d d0 = _mm256_sub_pd(v, c0);
          const __m256d d1 = _mm256_sub_pd(v, c1);
          a0[r] = _mm256_add_pd(a0[r], _mm256_mul_pd(d0, d0));
          a1[r] = _mm256_add_pd(a1[r], _mm256_mul_pd(d1, d1));
        }
      }
    else
      for (int64_t j = 0; j < w; j++) {
        const __m256d c0 = _mm256_loadu_pd(ct + j * kp + g);
        for (int r = 0; r < R; r++) {
          const __m256d d0 = _mm256_sub_pd(_mm256_broadcast_sd(xd + j * R + r), c0);
          a0[r] = _mm256_add_pd(a0[r], _mm256_mul_pd(d0, d0));
        }
      }
    for (int r = 0; r < R; r++) {
      alignas(32) double lanes[8];
      _mm256_store_pd(lanes, a0[r]);
      _mm256_store_pd(lanes + 4, a1[r]);
      for (int q = 0; q < 8 && g + q < k; q++) d2[r][g + q] = lanes[q];
    }
  }
}

void distRowScalar(const float* xr, const double* c, int64_t w, int64_t k, double* out) {
  for (int64_t q = 0; q < k; q++) {
    const double* cq = c + q * w;
    double s = 0;
    for (int64_t j = 0; j < w; j++) {
      const double v = static_cast<double>(xr[j]) - cq[j];
      s += v * v;
    }
    out[q] = s;
  }
}

template <typename T, napi_typedarray_type type>
T* arrayArg(const Napi::CallbackInfo& info, int i, size_t need, const char* what) {
  const Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
    throw Napi::TypeError::New(info.Env(), std::string("explain kernels: ") + what +
                                               " has the wrong array type");
  auto a = v.As<Napi::TypedArrayOf<T>>();
  if (a.ElementLength() < need)
    throw Napi::RangeError::New(info.Env(),
                                std::string("explain kernels: ") + what + " is too short");
  return a.Data();
}

int64_t intArg(const Napi::CallbackInfo& info, int i) {
  const int64_t v = info[i].As<Napi::Number>().Int64Value();
  if (v < 0) throw Napi::RangeError::New(info.Env(), "explain kernels: negative size");
  return v;
}

// (x, rows, stride, c0, w, centroids (k x w doubles), k, d2 (rows x k), repeats (rows bytes))
void SquaredDistances(const Napi::CallbackInfo& info) {
  const int64_t rows = intArg(info, 1), stride = intArg(info, 2), c0 = intArg(info, 3),
                w = intArg(info, 4), k = intArg(info, 6);
  if (c0 + w > stride || k < 1)
    throw Napi::RangeError::New(info.Env(), "explain kernels: columns outside the rows");
  const float* x = arrayArg<float, napi_float32_array>(info, 0, rows * stride, "x");
  const double* c = arrayArg<double, napi_float64_array>(info, 5, k * w, "centroids");
  double* d2 = arrayArg<double, napi_float64_array>(info, 7, rows * k, "d2");
  uint8_t* repeats = arrayArg<uint8_t, napi_uint8_array>(info, 8, rows, "repeats");
  std::vector<int64_t> todo;
  todo.reserve(rows);
  for (int64_t r = 0; r < rows; r++) {
    const float* a = x + r * stride + c0;
    int64_t j = 0;
    if (r > 0)
      while (j < w && a[j] == a[j - stride]) j++;  // == as ===: 0 equals -0, NaN nothing
    repeats[r] = r > 0 && j == w;
    if (!repeats[r]) todo.push_back(r);
  }
  if (!kAvx2) {
    for (int64_t r : todo) distRowScalar(x + r * stride + c0, c, w, k, d2 + r * k);
    return;
  }
  const int64_t kp = (k + 3) / 4 * 4;
  std::vector<double> ct(w * kp, 0.0);
  for (int64_t q = 0; q < k; q++)
    for (int64_t j = 0; j < w; j++) ct[j * kp + q] = c[q * w + j];
  std::vector<double> xd(4 * w);
  size_t i = 0;
  for (; i + 4 <= todo.size(); i += 4) {
    const int64_t off[4] = {todo[i] * stride + c0, todo[i + 1] * stride + c0,
                            todo[i + 2] * stride + c0, todo[i + 3] * stride + c0};
    double* out[4] = {d2 + todo[i] * k, d2 + todo[i + 1] * k, d2 + todo[i + 2] * k,
                      d2 + todo[i + 3] * k};
    distBlockAvx2<4>(x, off, ct.data(), w, kp, k, out, xd.data());
  }
  for (; i < todo.size(); i++) {
    const int64_t off[1] = {todo[i] * stride + c0};
    double* out[1] = {d2 + todo[i] * k};
    distBlockAvx2<1>(x, off, ct.data(), w, kp, k, out, xd.data());
  }
}

// ---------------------------------------------------------------------------------------------
// Composite vectors. Plain loops: the compiler vectorises them across columns (each lane its own
// column, so every sum keeps its order), for AVX2 in the clone that has it.

// One tap into its columns of `out` (rows x D): fine step first + r reads coarse step
// floor((first + r) Tb / T); with `sums`, each column's values are added to it, rows in order.
#define RAW_TAP_BODY                                                                     \
  for (int64_t r0 = 0; r0 < rows; r0 += 16) {                                           \
    const int64_t r1 = r0 + 16 < rows ? r0 + 16 : rows;                                 \
    for (int64_t c = 0; c < C; c++) {                                                   \
      const float* src = data + base + c * Tb;                                          \
      float* col = out + off + c;                                                       \
      if (sums) {                                                                       \
        double s = sums[off + c];                                                       \
        for (int64_t r = r0; r < r1; r++) {                                             \
          const float v = src[step[r]];                                                 \
          col[r * D] = v;                                                               \
          s += v;                                                                       \
        }                                                                               \
        sums[off + c] = s;                                                              \
      } else                                                                            \
        for (int64_t r = r0; r < r1; r++) col[r * D] = src[step[r]];                    \
    }                                                                                   \
  }

// x = float32(x - mean[j]); ss[j] += x^2 (in double), rows in order.
#define CENTRE_BODY                                            \
  for (int64_t r = 0; r < rows; r++) {                         \
    float* row = x + r * D;                                    \
    for (int64_t j = 0; j < D; j++) {                          \
      const float v = static_cast<float>(row[j] - mean[j]);    \
      row[j] = v;                                              \
      ss[j] += static_cast<double>(v) * v;                     \
    }                                                          \
  }

// x = float32(float32(x a[j]) t[j]).
#define SCALE_BODY                                                             \
  for (int64_t r = 0; r < rows; r++) {                                         \
    float* row = x + r * D;                                                    \
    for (int64_t j = 0; j < D; j++)                                            \
      row[j] = static_cast<float>(static_cast<float>(row[j] * a[j]) * t[j]);  \
  }

__attribute__((target("avx2"))) void centreAvx2(float* x, int64_t rows, int64_t D,
                                                const double* mean, double* ss) {
  CENTRE_BODY
}
void centrePlain(float* x, int64_t rows, int64_t D, const double* mean, double* ss) {
  CENTRE_BODY
}
__attribute__((target("avx2"))) void scaleAvx2(float* x, int64_t rows, int64_t D, const double* a,
                                               const double* t) {
  SCALE_BODY
}
void scalePlain(float* x, int64_t rows, int64_t D, const double* a, const double* t) {
  SCALE_BODY
}

// (data, base, C, Tb, T, first, rows, out, D, off, sums | null)
void RawTap(const Napi::CallbackInfo& info) {
  const int64_t base = intArg(info, 1), C = intArg(info, 2), Tb = intArg(info, 3),
                T = intArg(info, 4), first = intArg(info, 5), rows = intArg(info, 6),
                D = intArg(info, 8), off = intArg(info, 9);
  if (T < 1 || off + C > D)
    throw Napi::RangeError::New(info.Env(), "explain kernels: tap outside the layout");
  const float* data = arrayArg<float, napi_float32_array>(info, 0, base + C * Tb, "tap");
  float* out = arrayArg<float, napi_float32_array>(info, 7, rows * D, "out");
  double* sums = info[10].IsNull() || info[10].IsUndefined()
                     ? nullptr
                     : arrayArg<double, napi_float64_array>(info, 10, D, "sums");
  std::vector<int64_t> step(rows);
  for (int64_t r = 0; r < rows; r++) {
    step[r] = ((first + r) * Tb) / T;
    if (step[r] >= Tb) throw Napi::RangeError::New(info.Env(), "explain kernels: step past the tap");
  }
  RAW_TAP_BODY
}

// (x, rows, D, mean, ss)
void CentreSquares(const Napi::CallbackInfo& info) {
  const int64_t rows = intArg(info, 1), D = intArg(info, 2);
  float* x = arrayArg<float, napi_float32_array>(info, 0, rows * D, "x");
  const double* mean = arrayArg<double, napi_float64_array>(info, 3, D, "mean");
  double* ss = arrayArg<double, napi_float64_array>(info, 4, D, "ss");
  (kAvx2 ? centreAvx2 : centrePlain)(x, rows, D, mean, ss);
}

// (x, rows, D, a, t)
void ScaleTwice(const Napi::CallbackInfo& info) {
  const int64_t rows = intArg(info, 1), D = intArg(info, 2);
  float* x = arrayArg<float, napi_float32_array>(info, 0, rows * D, "x");
  const double* a = arrayArg<double, napi_float64_array>(info, 3, D, "a");
  const double* t = arrayArg<double, napi_float64_array>(info, 4, D, "t");
  (kAvx2 ? scaleAvx2 : scalePlain)(x, rows, D, a, t);
}

}  // namespace
}  // namespace ecgtlc::explain

Napi::Object InitExplainKernels(Napi::Env env, Napi::Object exports) {
  using namespace ecgtlc::explain;
  exports.Set("tlcSquaredDistances", Napi::Function::New(env, SquaredDistances));
  exports.Set("tlcRawTap", Napi::Function::New(env, RawTap));
  exports.Set("tlcCentreSquares", Napi::Function::New(env, CentreSquares));
  exports.Set("tlcScaleTwice", Napi::Function::New(env, ScaleTwice));
  exports.Set("tlcKernelsAvx2", Napi::Boolean::New(env, kAvx2));
  return exports;
}
