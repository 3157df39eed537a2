// Greedy k-means++ seeding (see kmeans_seed.h). Owned by src/tlc.
#include "kmeans_seed.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "kmeans_distance.h"

namespace ecgtlc::kmeans {

// Greedy k-means++ as in scikit-learn: at each step, nTrials candidates drawn with probability
// proportional to D^2, keep the one that lowers the potential most.
std::vector<float> kmeansPlusPlus(const Matrix& X, const std::vector<float>& xx,
                                  const Origin& origin, int64_t k, int64_t nTrials, Rng& rng,
                                  int threads) {
  const int64_t d = X.d, n = X.n;
  std::vector<float> centers(k * d);
  int64_t first = rng.below(n);
  std::memcpy(&centers[0], X.x + first * d, d * sizeof(float));
  std::vector<float> closest(n);
  auto distTo = [&](const std::vector<int64_t>& ids, std::vector<float>& out) {
    int64_t L = static_cast<int64_t>(ids.size());
    std::vector<float> cand(L * d);
    for (int64_t t = 0; t < L; t++) std::memcpy(&cand[t * d], X.x + ids[t] * d, d * sizeof(float));
    cand = shiftRows(cand.data(), L, d, origin);
    std::vector<float> cn(L);
    for (int64_t t = 0; t < L; t++)
      cn[t] = static_cast<float>(xx[ids[t]] + crossTerm(&cand[t * d], d, origin));
    Centers ct = transposeCenters(cand.data(), L, d);
    const int64_t kp = ct.kp;
    out.resize(n * L);
    int64_t nc = numChunks(n);
    parallelChunks(threads, nc, [&](int64_t c) {
      {
        int64_t r0 = c * kChunk, r1 = std::min(n, r0 + kChunk), rows = r1 - r0;
        std::vector<float> g(rows * kp);
        dotsKernel(X.x + r0 * d, rows, d, ct.t.data(), kp, g.data());
        for (int64_t i = 0; i < rows; i++)
          for (int64_t t = 0; t < L; t++)
            out[(r0 + i) * L + t] = std::max(0.0f, xx[r0 + i] - 2.0f * g[i * kp + t] + cn[t]);
      }
    });
  };
  std::vector<float> buf;
  distTo({first}, buf);
  for (int64_t i = 0; i < n; i++) closest[i] = buf[i];
  std::vector<double> cum(n);
  for (int64_t c = 1; c < k; c++) {
    double run = 0;
    for (int64_t i = 0; i < n; i++) {
      run += closest[i];
      cum[i] = run;
    }
    std::vector<int64_t> ids(nTrials);
    for (int64_t t = 0; t < nTrials; t++) {
      double r = rng.uniform() * run;
      int64_t idx = std::upper_bound(cum.begin(), cum.end(), r) - cum.begin();
      ids[t] = std::min(idx, n - 1);
    }
    distTo(ids, buf);
    int64_t bestT = 0;
    double bestPot = std::numeric_limits<double>::infinity();
    for (int64_t t = 0; t < nTrials; t++) {
      double p = 0;
      for (int64_t i = 0; i < n; i++) p += std::min(closest[i], buf[i * nTrials + t]);
      if (p < bestPot) {
        bestPot = p;
        bestT = t;
      }
    }
    for (int64_t i = 0; i < n; i++) closest[i] = std::min(closest[i], buf[i * nTrials + bestT]);
    std::memcpy(&centers[c * d], X.x + ids[bestT] * d, d * sizeof(float));
  }
  return centers;
}

}  // namespace ecgtlc::kmeans
