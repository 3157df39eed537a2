// Lloyd iterations from given centres, with scikit-learn's stopping rules: the labels stop
// changing, or the total squared centre shift is <= tol. Both end with one assignment pass so
// that labels and inertia match the returned centres. xx: rowNorms of X from `origin`.
#pragma once

#include <cstdint>
#include <vector>

#include "kmeans_assign.h"
#include "kmeans_common.h"

namespace ecgtlc::kmeans {

struct LloydResult {
  std::vector<float> centers;
  Assignment assign;
  int64_t iterations = 0;
};

// Plain Lloyd: a full assignment pass per iteration; empty clusters take the points farthest
// from their centres, as scikit-learn does. `done` iterations count as already run.
LloydResult lloydPlain(const Matrix& X, const std::vector<float>& xx, const Origin& origin,
                       std::vector<float> centers, int64_t k, int64_t maxIter, double tol,
                       int threads, int64_t done = 0);

// The same fixed points with Hamerly's bounds (kmeans_hamerly.cc): what the fits use.
LloydResult lloydHamerly(const Matrix& X, const std::vector<float>& xx, const Origin& origin,
                         std::vector<float> centers, int64_t k, int64_t maxIter, double tol,
                         int threads);

}  // namespace ecgtlc::kmeans
