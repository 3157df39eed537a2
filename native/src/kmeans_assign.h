// Assignment of points to their nearest centre, fused with the inertia and (for Lloyd) the
// per-cluster sums in one pass over each chunk of rows while it is in cache.
#pragma once

#include <cstdint>
#include <vector>

#include "kmeans_common.h"
#include "kmeans_distance.h"

namespace ecgtlc::kmeans {

struct Assignment {
  std::vector<int32_t> labels;
  std::vector<float> mind;  // squared distance to the assigned centre
  double inertia = 0;
};

// Labels, distances and inertia of X (xx: rowNorms from `origin`) for the k centres C (k x d); if
// sums is not null also the per-cluster sums (double, k x d) and counts of the points assigned.
void assignPass(const Matrix& X, const std::vector<float>& xx, const Origin& origin,
                const std::vector<float>& C, int64_t k, Assignment& out,
                std::vector<double>* sums, std::vector<int64_t>* counts, int threads);

}  // namespace ecgtlc::kmeans
