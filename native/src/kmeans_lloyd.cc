// Plain Lloyd iterations (see kmeans_lloyd.h). Owned by src/tlc.
#include "kmeans_lloyd.h"

#include <algorithm>
#include <numeric>

namespace ecgtlc::kmeans {

LloydResult lloydPlain(const Matrix& X, const std::vector<float>& xx, const Origin& origin,
                       std::vector<float> centers, int64_t k, int64_t maxIter, double tol,
                       int threads, int64_t done) {
  const int64_t d = X.d;
  LloydResult res;
  std::vector<double> sums;
  std::vector<int64_t> counts;
  std::vector<int32_t> prevLabels;
  Assignment a;
  int64_t it = done;
  for (; it < maxIter; it++) {
    assignPass(X, xx, origin, centers, k, a, &sums, &counts, threads);
    // Empty clusters take the points farthest from their centres (as scikit-learn does).
    std::vector<int64_t> empty;
    for (int64_t q = 0; q < k; q++)
      if (counts[q] == 0) empty.push_back(q);
    if (!empty.empty()) {
      std::vector<int64_t> order(X.n);
      std::iota(order.begin(), order.end(), 0);
      int64_t m = std::min<int64_t>(static_cast<int64_t>(empty.size()), X.n);
      std::partial_sort(order.begin(), order.begin() + m, order.end(), [&](int64_t p, int64_t q) {
        return a.mind[p] > a.mind[q] || (a.mind[p] == a.mind[q] && p < q);
      });
      for (int64_t e = 0; e < m; e++) {
        int64_t p = order[e], old = a.labels[p], q = empty[e];
        if (counts[old] <= 1) continue;
        const float* r = X.x + p * d;
        for (int64_t j = 0; j < d; j++) {
          sums[old * d + j] -= r[j];
          sums[q * d + j] = r[j];
        }
        counts[old]--;
        counts[q] = 1;
        a.labels[p] = static_cast<int32_t>(q);
      }
    }
    double shift = 0;
    for (int64_t q = 0; q < k; q++) {
      if (counts[q] == 0) continue;
      double inv = 1.0 / static_cast<double>(counts[q]);
      for (int64_t j = 0; j < d; j++) {
        float v = static_cast<float>(sums[q * d + j] * inv);
        double delta = static_cast<double>(v) - centers[q * d + j];
        shift += delta * delta;
        centers[q * d + j] = v;
      }
    }
    bool same = !prevLabels.empty() && prevLabels == a.labels;
    if (same || shift <= tol) {
      it++;
      break;
    }
    prevLabels.swap(a.labels);
  }
  assignPass(X, xx, origin, centers, k, a, nullptr, nullptr, threads);
  res.centers = std::move(centers);
  res.assign = std::move(a);
  res.iterations = it;
  return res;
}

}  // namespace ecgtlc::kmeans
