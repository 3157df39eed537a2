// Kernels of explaining one ECG after the network (see src/tlc/native-kernels.ts): composite
// vectors and the exact squared distances of the soft assignment. Owned by src/tlc. Each is the
// TypeScript loop's arithmetic, operation for operation (double sums in the same order, float32
// roundings where the TypeScript stores into a Float32Array, no fused multiply-add), so that the
// results are the TypeScript's bit for bit; only independent sums run side by side in SIMD lanes.
// Synchronous: each call is a fraction of a millisecond, on arrays the caller owns.
#include <immintrin.h>
#include <napi.h>

#include "explain_args.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace ecgtlc::explain {
namespace {

const bool kAvx2 = avx2Enabled();

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
// floor((first + r) Tb / T). The tap's steps used are transposed (channels x steps to steps x
// channels) in 8 x 8 blocks, straight into the rows for a tap on the fine grid, else once per
// coarse step and copied to each fine row within it.

__attribute__((target("avx2"))) void transpose8(const float* in, int64_t is, float* out,
                                                int64_t os) {
  __m256 r[8], t[8], u[8];
  for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(in + i * is);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int h = 0; h < 8; h += 4) {
    u[h] = _mm256_shuffle_ps(t[h], t[h + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[h + 1] = _mm256_shuffle_ps(t[h], t[h + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[h + 2] = _mm256_shuffle_ps(t[h + 1], t[h + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[h + 3] = _mm256_shuffle_ps(t[h + 1], t[h + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; i++) {
    _mm256_storeu_ps(out + i * os, _mm256_permute2f128_ps(u[i], u[i + 4], 0x20));
    _mm256_storeu_ps(out + (i + 4) * os, _mm256_permute2f128_ps(u[i], u[i + 4], 0x31));
  }
}

// Steps [u0, u0 + n) of C channels (stride Tb) into rows of `out` (stride os, channel 0 at out).
void transposeSteps(const float* src, int64_t C, int64_t Tb, int64_t u0, int64_t n, float* out,
                    int64_t os) {
  int64_t c = 0;
  if (kAvx2)
    for (; c + 8 <= C; c += 8) {
      int64_t u = 0;
      for (; u + 8 <= n; u += 8) transpose8(src + c * Tb + u0 + u, Tb, out + u * os + c, os);
      for (; u < n; u++)
        for (int64_t i = 0; i < 8; i++) out[u * os + c + i] = src[(c + i) * Tb + u0 + u];
    }
  for (; c < C; c++)
    for (int64_t u = 0; u < n; u++) out[u * os + c] = src[c * Tb + u0 + u];
}

// x's columns [off, off + C) added to sums, rows in order (vectorised across the columns).
#define COLUMN_SUMS_BODY                                     \
  for (int64_t r = 0; r < rows; r++) {                       \
    const float* row = x + r * D + off;                      \
    for (int64_t j = 0; j < C; j++) sums[off + j] += row[j]; \
  }
__attribute__((target("avx2"))) void columnSumsAvx2(const float* x, int64_t rows, int64_t D,
                                                    int64_t off, int64_t C, double* sums) {
  COLUMN_SUMS_BODY
}
void columnSumsPlain(const float* x, int64_t rows, int64_t D, int64_t off, int64_t C,
                     double* sums) {
  COLUMN_SUMS_BODY
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
  if (rows == 0) return;
  const int64_t u0 = (first * Tb) / T, u1 = ((first + rows - 1) * Tb) / T + 1;
  if (u1 > Tb) throw Napi::RangeError::New(info.Env(), "explain kernels: step past the tap");
  const float* src = data + base;
  if (Tb == T) {
    transposeSteps(src, C, Tb, u0, rows, out + off, D);
  } else {
    // each coarse step once, then into every fine row within it
    std::vector<float> steps((u1 - u0) * C);
    transposeSteps(src, C, Tb, u0, u1 - u0, steps.data(), C);
    for (int64_t r = 0; r < rows; r++)
      std::memcpy(out + r * D + off, steps.data() + (((first + r) * Tb) / T - u0) * C,
                  C * sizeof(float));
  }
  if (sums) (kAvx2 ? columnSumsAvx2 : columnSumsPlain)(out, rows, D, off, C, sums);
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


// ---------------------------------------------------------------------------------------------
// The last pass of a record-scaled composite and the squared distances of every clustering
// (composite, blocks) to its rows, a tile of rows at a time so that each set reads the tile from
// cache: the values ScaleTwice would store, the distances and repeat flags SquaredDistances would
// give on them, bit for bit.

struct CentroidSet {
  int64_t c0, w, k, kp;
  const double* c;
  std::vector<double> ct;  // w x kp, transposed for the AVX2 kernel
  double* d2;
  uint8_t* repeats;
};

std::vector<CentroidSet> centroidSetsArg(const Napi::CallbackInfo& info, int i, int64_t rows,
                                         int64_t D) {
  const Napi::Env env = info.Env();
  const auto arr = info[i].As<Napi::Array>();
  std::vector<CentroidSet> sets;
  for (uint32_t n = 0; n < arr.Length(); n++) {
    const auto o = arr.Get(n).As<Napi::Object>();
    CentroidSet s;
    s.c0 = o.Get("c0").As<Napi::Number>().Int64Value();
    s.w = o.Get("w").As<Napi::Number>().Int64Value();
    s.k = o.Get("k").As<Napi::Number>().Int64Value();
    if (s.c0 < 0 || s.w < 1 || s.c0 + s.w > D || s.k < 1)
      throw Napi::RangeError::New(env, "explain kernels: centroid set outside the columns");
    const auto get = [&](const char* key, napi_typedarray_type type, int64_t need) {
      const Napi::Value v = o.Get(key);
      if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type ||
          static_cast<int64_t>(v.As<Napi::TypedArray>().ElementLength()) < need)
        throw Napi::TypeError::New(env, std::string("explain kernels: centroid set's ") + key +
                                            " has the wrong type or length");
      return v.As<Napi::TypedArray>();
    };
    s.c = get("centroids", napi_float64_array, s.k * s.w).As<Napi::Float64Array>().Data();
    s.d2 = get("d2", napi_float64_array, rows * s.k).As<Napi::Float64Array>().Data();
    s.repeats = get("repeats", napi_uint8_array, rows).As<Napi::Uint8Array>().Data();
    s.kp = (s.k + 3) / 4 * 4;
    s.ct.assign(s.w * s.kp, 0.0);
    for (int64_t q = 0; q < s.k; q++)
      for (int64_t j = 0; j < s.w; j++) s.ct[j * s.kp + q] = s.c[q * s.w + j];
    sets.push_back(std::move(s));
  }
  return sets;
}

// (x centred, rows, D, a, t, sets)
void ScaledDistances(const Napi::CallbackInfo& info) {
  const int64_t rows = intArg(info, 1), D = intArg(info, 2);
  const float* x = arrayArg<float, napi_float32_array>(info, 0, rows * D, "x");
  const double* a = arrayArg<double, napi_float64_array>(info, 3, D, "a");
  const double* t = arrayArg<double, napi_float64_array>(info, 4, D, "t");
  std::vector<CentroidSet> sets = centroidSetsArg(info, 5, rows, D);
  constexpr int64_t kTile = 32;
  // Row 0 of the buffer: the previous tile's last row (for the repeat test); rows 1.. the tile.
  std::vector<float> buf((kTile + 1) * D);
  float* tile = buf.data() + D;
  int64_t wmax = 1;
  for (const auto& s : sets) wmax = s.w > wmax ? s.w : wmax;
  std::vector<double> xd(4 * wmax);
  std::vector<int64_t> todo;
  for (int64_t r0 = 0; r0 < rows; r0 += kTile) {
    const int64_t n = rows - r0 < kTile ? rows - r0 : kTile;
    std::memcpy(tile, x + r0 * D, n * D * sizeof(float));
    (kAvx2 ? scaleAvx2 : scalePlain)(tile, n, D, a, t);
    for (auto& s : sets) {
      todo.clear();
      for (int64_t r = 0; r < n; r++) {
        const float* v = tile + r * D + s.c0;
        int64_t j = 0;
        if (r0 + r > 0)
          while (j < s.w && v[j] == v[j - D]) j++;  // == as ===: 0 equals -0, NaN nothing
        const bool rep = r0 + r > 0 && j == s.w;
        s.repeats[r0 + r] = rep;
        if (!rep) todo.push_back(r);
      }
      if (!kAvx2) {
        for (int64_t r : todo)
          distRowScalar(tile + r * D + s.c0, s.c, s.w, s.k, s.d2 + (r0 + r) * s.k);
        continue;
      }
      size_t i = 0;
      for (; i + 4 <= todo.size(); i += 4) {
        int64_t off[4];
        double* out[4];
        for (int q = 0; q < 4; q++) {
          off[q] = todo[i + q] * D + s.c0;
          out[q] = s.d2 + (r0 + todo[i + q]) * s.k;
        }
        distBlockAvx2<4>(tile, off, s.ct.data(), s.w, s.kp, s.k, out, xd.data());
      }
      for (; i < todo.size(); i++) {
        const int64_t off[1] = {todo[i] * D + s.c0};
        double* out[1] = {s.d2 + (r0 + todo[i]) * s.k};
        distBlockAvx2<1>(tile, off, s.ct.data(), s.w, s.kp, s.k, out, xd.data());
      }
    }
    std::memcpy(buf.data(), tile + (n - 1) * D, D * sizeof(float));
  }
}

}  // namespace
}  // namespace ecgtlc::explain

Napi::Object InitExplainKernels(Napi::Env env, Napi::Object exports) {
  using namespace ecgtlc::explain;
  exports.Set("tlcSquaredDistances", Napi::Function::New(env, SquaredDistances));
  exports.Set("tlcRawTap", Napi::Function::New(env, RawTap));
  exports.Set("tlcCentreSquares", Napi::Function::New(env, CentreSquares));
  exports.Set("tlcScaleTwice", Napi::Function::New(env, ScaleTwice));
  exports.Set("tlcScaledDistances", Napi::Function::New(env, ScaledDistances));
  exports.Set("tlcKernelsAvx2", Napi::Boolean::New(env, kAvx2));
  return exports;
}
