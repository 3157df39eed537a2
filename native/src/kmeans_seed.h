// k-means++ seeding (Arthur & Vassilvitskii 2007), greedy as in scikit-learn.
#pragma once

#include <cstdint>
#include <vector>

#include "kmeans_common.h"
#include "kmeans_distance.h"

namespace ecgtlc::kmeans {

// k centres (k x d) drawn from the rows of X (xx: rowNorms from `origin`): at each step nTrials
// candidates with probability proportional to D^2, keeping the one that lowers the potential most.
std::vector<float> kmeansPlusPlus(const Matrix& X, const std::vector<float>& xx,
                                  const Origin& origin, int64_t k, int64_t nTrials, Rng& rng,
                                  int threads);

}  // namespace ecgtlc::kmeans
