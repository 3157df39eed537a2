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
FitResult fitCoarseToFine(const Matrix& X, const std::vector<float>& xx, const Origin& origin,
                          double tol, int64_t nTrials, const FitOptions& o, Rng& rng) {
  FitResult out;
  std::vector<float> sub;
  Matrix S = sampleRows(X, o.sample, rng, sub);
  std::vector<float> sxx = rowNorms(S, o.threads, origin);
  double stol = o.tol * columnMoments(S, o.threads).variance;
  std::vector<float> bestCenters;
  double bestInertia = std::numeric_limits<double>::infinity();
  Assignment a;
  for (int64_t r = 0; r < o.nInit; r++) {
    auto init = kmeansPlusPlus(S, sxx, origin, o.k, nTrials, rng, o.threads);
    LloydResult lr = lloydHamerly(S, sxx, origin, init, o.k, o.maxIter, stol, o.threads);
    out.totalIterations += lr.iterations;
    assignPass(X, xx, origin, lr.centers, o.k, a, nullptr, nullptr, o.threads);
    out.initInertia.push_back(a.inertia);
    if (a.inertia < bestInertia) {
      bestInertia = a.inertia;
      bestCenters = lr.centers;
    }
  }
  out.best = lloydHamerly(X, xx, origin, bestCenters, o.k, o.maxIter, tol, o.threads);
  out.totalIterations += out.best.iterations;
  return out;
}

// Restarts on all points. k-means++ runs on a uniform sample when the points are many: the D^2
// sampling then costs a few passes over the sample instead of 2 + log K passes per centre over
// all points, and the seeds it gives are as good (the Lloyd iterations that follow run on all
// points).
FitResult fitRestarts(const Matrix& X, const std::vector<float>& xx, const Origin& origin,
                      double tol, int64_t nTrials, const FitOptions& o, Rng& rng) {
  FitResult out;
  const int64_t seedPoints = std::max<int64_t>(50000, 50 * o.k);
  std::vector<float> seedBuf;
  Matrix seedX = X;
  std::vector<float> seedXX;
  if (X.n > 2 * seedPoints) {
    seedX = sampleRows(X, seedPoints, rng, seedBuf);
    seedXX = rowNorms(seedX, o.threads, origin);
  }
  const std::vector<float>& sxx = seedBuf.empty() ? xx : seedXX;
  bool have = false;
  for (int64_t r = 0; r < o.nInit; r++) {
    double t0 = nowSeconds();
    auto init = kmeansPlusPlus(seedX, sxx, origin, o.k, nTrials, rng, o.threads);
    double t1 = nowSeconds();
    LloydResult lr = lloydHamerly(X, xx, origin, init, o.k, o.maxIter, tol, o.threads);
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
  const Moments moments = columnMoments(X, o.threads);
  const Origin origin = chooseOrigin(moments);
  std::vector<float> xx = rowNorms(X, o.threads, origin);
  requireFinite(X, xx, "point");
  double tol = o.tol * moments.variance;
  int64_t nTrials = o.nTrials > 0 ? o.nTrials : 2 + static_cast<int64_t>(std::log(o.k));
  if (!o.init.empty()) {
    const Matrix init{o.init.data(), o.k, X.d};
    requireFinite(init, rowNorms(init, 1), "init centroid");
    FitResult out;
    out.best = lloydHamerly(X, xx, origin, o.init, o.k, o.maxIter, tol, o.threads);
    out.initInertia.push_back(out.best.assign.inertia);
    out.totalIterations = out.best.iterations;
    return out;
  }
  if (o.sample > 0 && o.sample < X.n)
    return fitCoarseToFine(X, xx, origin, tol, nTrials, o, rng);
  return fitRestarts(X, xx, origin, tol, nTrials, o, rng);
}

}  // namespace ecgtlc::kmeans
