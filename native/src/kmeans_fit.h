// A k-means fit: restarts from k-means++ seeds, Lloyd iterations, the lowest inertia wins.
#pragma once

#include <cstdint>
#include <vector>

#include "kmeans_common.h"
#include "kmeans_lloyd.h"

namespace ecgtlc::kmeans {

struct FitOptions {
  int64_t k = 8, nInit = 3, maxIter = 300, nTrials = 0, sample = 0;
  int threads = 1;  // for the passes over the points, this fit's own
  double tol = 1e-4;
  uint64_t seed = 0;
  std::vector<float> init;  // k x d starting centres (one run), or empty for k-means++
};

struct FitResult {
  LloydResult best;
  std::vector<double> initInertia;  // inertia on all points of each restart
  int64_t totalIterations = 0;
};

// nTrials 0 = 2 + log k (scikit-learn's); tol is relative to the mean feature variance; sample > 0
// seeds and converges each restart on that many points before refining the best on all points.
FitResult fit(const Matrix& X, const FitOptions& o);

}  // namespace ecgtlc::kmeans
