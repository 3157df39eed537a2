// Squared distances for k-means: the register-blocked x.C^T kernel behind the fast
// ||x||^2 - 2 x.mu + ||mu||^2 form, and exact (x - mu)^2 sums for Hamerly's bounds. AVX2+FMA
// versions (compiled with a target attribute, not -mavx2) when the CPU has them, checked once;
// portable loops otherwise.
#pragma once

#include <cstdint>
#include <vector>

#include "kmeans_common.h"

namespace ecgtlc::kmeans {

// True when the AVX2+FMA kernels run: the CPU has both and ECG_TLC_KMEANS_SCALAR is not set.
extern const bool kHaveAvx2;

// Sum of squares of a row (eight float lanes summed in double).
float squaredNorm(const float* r, int64_t d);

// Column means of X and the mean per-feature variance (sklearn scales its tolerance by it).
struct Moments {
  std::vector<double> mean;
  double variance = 0;
};

Moments columnMoments(const Matrix& X, int threads);

// Where the fast form measures from. ||x - mu||^2 does not change when both move, but its fast
// form ||x||^2 - 2 x.mu + ||mu||^2 cancels to noise in float32 when the points sit far from the
// origin for their spread (clusters of unit spread 1,000 away: 7 % of labels wrong). From an origin
// o near the points it is ||x - o||^2 - 2 x.(mu - o) + (||mu - o||^2 + 2 o.(mu - o)): the same
// kernel, with terms on the scale of the spread. o stays the coordinate origin, and the arithmetic
// bit for bit the plain form's, unless the offset dominates.
struct Origin {
  std::vector<float> o;  // d values, or empty for the coordinate origin
};

// The mean when its squared norm exceeds 100 x the total variance (an offset of more than 10
// standard deviations), else the coordinate origin.
Origin chooseOrigin(const Moments& m);

// The k rows of C (k x d) minus the origin: centres as the dot kernel sees them.
std::vector<float> shiftRows(const float* C, int64_t k, int64_t d, const Origin& origin);

// 2 o.c for a shifted row c (0 from the coordinate origin): completes ||c||^2 to a centre's term.
double crossTerm(const float* c, int64_t d, const Origin& origin);

// ||x - o||^2 of every row of X.
std::vector<float> rowNorms(const Matrix& X, int threads, const Origin& origin = Origin{});

// Throws std::invalid_argument naming the first row of X (`what` i, 0-based) whose squared norm xx
// is not finite: a NaN or infinite value, or values too large to square in float32. Such a row
// would otherwise turn distances into NaN, which every comparison silently skips.
void requireFinite(const Matrix& X, const std::vector<float>& xx, const char* what);

// Centroids transposed and padded to a multiple of 8 columns (d x kp), the layout dotsKernel reads.
struct Centers {
  std::vector<float> t;
  int64_t k, kp;
};

Centers transposeCenters(const float* C, int64_t k, int64_t d);

void dotsAvx2(const float* x, int64_t rows, int64_t d, const float* ct, int64_t kp, float* out);
void dotsScalar(const float* x, int64_t rows, int64_t d, const float* ct, int64_t kp, float* out);

// x.C^T for `rows` rows of x into out (rows x kp), C transposed as in Centers.
inline void dotsKernel(const float* x, int64_t rows, int64_t d, const float* ct, int64_t kp,
                       float* out) {
  if (kHaveAvx2)
    dotsAvx2(x, rows, d, ct, kp, out);
  else
    dotsScalar(x, rows, d, ct, kp, out);
}

double exactSqAvx2(const float* x, const float* c, int64_t d);
double exactSqScalar(const float* x, const float* c, int64_t d);

// Exact squared distance between two d-vectors.
inline double exactSq(const float* x, const float* c, int64_t d) {
  return kHaveAvx2 ? exactSqAvx2(x, c, d) : exactSqScalar(x, c, d);
}

// Exact squared distances of one point to every centre (ct: C transposed; C: k x d row-major).
void exactAll(const float* x, int64_t d, const Centers& ct, const std::vector<float>& C,
              float* out);

}  // namespace ecgtlc::kmeans
