// k-means fits with restarts (see kmeans_fit.h). Owned by src/tlc.
#include "kmeans_fit.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <numeric>

#include "kmeans_assign.h"
#include "kmeans_distance.h"
#include "kmeans_seed.h"

namespace ecgtlc::kmeans {
namespace {

// The mean per-feature variance (sklearn scales its tolerance by it).
double meanVariance(const Matrix& X, int threads) {
  int64_t nc = numChunks(X.n);
  std::vector<double> s1(nc * X.d, 0.0), s2(nc * X.d, 0.0);
  parallelChunks(threads, nc, [&](int64_t c) {
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

// m rows of X drawn uniformly without replacement (a partial Fisher-Yates shuffle), copied into
// buf in their original order.
Matrix sampleRows(const Matrix& X, int64_t m, Rng& rng, std::vector<float>& buf) {
  std::vector<int64_t> idx(X.n);
  std::iota(idx.begin(), idx.end(), 0);
  for (int64_t i = 0; i < m; i++) std::swap(idx[i], idx[i + rng.below(X.n - i)]);
  idx.resize(m);
  std::sort(idx.begin(), idx.end());
  buf.resize(m * X.d);
  for (int64_t i = 0; i < m; i++)
    std::memcpy(&buf[i * X.d], X.x + idx[i] * X.d, X.d * sizeof(float));
  return Matrix{buf.data(), m, X.d};
}

// Coarse-to-fine: each restart is seeded and converged on a uniform sample, the restart with the
// lowest inertia on ALL points is then refined on all points. Most Lloyd iterations thus run on
// the sample; the full-data refinement starts close to its fixed point.
FitResult fitCoarseToFine(const Matrix& X, const std::vector<float>& xx, double tol,
                          int64_t nTrials, const FitOptions& o, Rng& rng) {
  FitResult out;
  std::vector<float> sub;
  Matrix S = sampleRows(X, o.sample, rng, sub);
  std::vector<float> sxx = rowNorms(S, o.threads);
  double stol = o.tol * meanVariance(S, o.threads);
  std::vector<float> bestCenters;
  double bestInertia = std::numeric_limits<double>::infinity();
  Assignment a;
  for (int64_t r = 0; r < o.nInit; r++) {
    auto init = kmeansPlusPlus(S, sxx, o.k, nTrials, rng, o.threads);
    LloydResult lr = lloydHamerly(S, sxx, init, o.k, o.maxIter, stol, o.threads);
    out.totalIterations += lr.iterations;
    assignPass(X, xx, lr.centers, o.k, a, nullptr, nullptr, o.threads);
    out.initInertia.push_back(a.inertia);
    if (a.inertia < bestInertia) {
      bestInertia = a.inertia;
      bestCenters = lr.centers;
    }
  }
  out.best = lloydHamerly(X, xx, bestCenters, o.k, o.maxIter, tol, o.threads);
  out.totalIterations += out.best.iterations;
  return out;
}

// Restarts on all points. k-means++ runs on a uniform sample when the points are many: the D^2
// sampling then costs a few passes over the sample instead of 2 + log K passes per centre over
// all points, and the seeds it gives are as good (the Lloyd iterations that follow run on all
// points).
FitResult fitRestarts(const Matrix& X, const std::vector<float>& xx, double tol, int64_t nTrials,
                      const FitOptions& o, Rng& rng) {
  FitResult out;
  const int64_t seedPoints = std::max<int64_t>(50000, 50 * o.k);
  std::vector<float> seedBuf;
  Matrix seedX = X;
  std::vector<float> seedXX;
  if (X.n > 2 * seedPoints) {
    seedX = sampleRows(X, seedPoints, rng, seedBuf);
    seedXX = rowNorms(seedX, o.threads);
  }
  const std::vector<float>& sxx = seedBuf.empty() ? xx : seedXX;
  bool have = false;
  for (int64_t r = 0; r < o.nInit; r++) {
    double t0 = nowSeconds();
    auto init = kmeansPlusPlus(seedX, sxx, o.k, nTrials, rng, o.threads);
    double t1 = nowSeconds();
    LloydResult lr = lloydHamerly(X, xx, init, o.k, o.maxIter, tol, o.threads);
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

}  // namespace

FitResult fit(const Matrix& X, const FitOptions& o) {
  Rng rng(o.seed);
  std::vector<float> xx = rowNorms(X, o.threads);
  requireFinite(X, xx, "point");
  double tol = o.tol * meanVariance(X, o.threads);
  int64_t nTrials = o.nTrials > 0 ? o.nTrials : 2 + static_cast<int64_t>(std::log(o.k));
  if (!o.init.empty()) {
    const Matrix init{o.init.data(), o.k, X.d};
    requireFinite(init, rowNorms(init, 1), "init centroid");
    FitResult out;
    out.best = lloydHamerly(X, xx, o.init, o.k, o.maxIter, tol, o.threads);
    out.initInertia.push_back(out.best.assign.inertia);
    out.totalIterations = out.best.iterations;
    return out;
  }
  if (o.sample > 0 && o.sample < X.n) return fitCoarseToFine(X, xx, tol, nTrials, o, rng);
  return fitRestarts(X, xx, tol, nTrials, o, rng);
}

}  // namespace ecgtlc::kmeans
