// Nearest-centre assignment (see kmeans_assign.h). Owned by src/tlc.
//
// Distances use ||x||^2 - 2 x.mu + ||mu||^2 (from the origin, see Origin) with x.mu from dotsKernel
// on chunks of rows. Sums are accumulated in double per chunk and reduced in chunk order: the same
// whatever the thread count.
#include "kmeans_assign.h"

#include <algorithm>
#include <limits>

#include "kmeans_distance.h"

namespace ecgtlc::kmeans {

void assignPass(const Matrix& X, const std::vector<float>& xx, const Origin& origin,
                const std::vector<float>& C, int64_t k, Assignment& out,
                std::vector<double>* sums, std::vector<int64_t>* counts, int threads) {
  const int64_t d = X.d;
  out.labels.resize(X.n);
  out.mind.resize(X.n);
  const std::vector<float> Cs = shiftRows(C.data(), k, d, origin);
  std::vector<float> cc(k);
  for (int64_t c = 0; c < k; c++) {
    double s = 0;
    for (int64_t j = 0; j < d; j++) s += static_cast<double>(Cs[c * d + j]) * Cs[c * d + j];
    cc[c] = static_cast<float>(s + crossTerm(&Cs[c * d], d, origin));
  }
  Centers ct = transposeCenters(Cs.data(), k, d);
  const int64_t kp = ct.kp;
  int64_t nc = numChunks(X.n);
  std::vector<double> chunkInertia(nc, 0.0);
  std::vector<double> partial;
  std::vector<int64_t> partialCounts;
  if (sums) {
    partial.assign(nc * k * d, 0.0);
    partialCounts.assign(nc * k, 0);
  }
  parallelChunks(threads, nc, [&](int64_t c) {
    {
      int64_t r0 = c * kChunk, r1 = std::min(X.n, r0 + kChunk), rows = r1 - r0;
      std::vector<float> g(rows * kp);
      dotsKernel(X.x + r0 * d, rows, d, ct.t.data(), kp, g.data());
      const float* gp = g.data();
      double acc = 0;
      for (int64_t i = 0; i < rows; i++) {
        int32_t best = 0;
        float bestV = std::numeric_limits<float>::infinity();
        for (int64_t q = 0; q < k; q++) {
          float v = cc[q] - 2.0f * gp[i * kp + q];
          if (v < bestV) {
            bestV = v;
            best = static_cast<int32_t>(q);
          }
        }
        float dist = std::max(0.0f, xx[r0 + i] + bestV);
        out.labels[r0 + i] = best;
        out.mind[r0 + i] = dist;
        acc += dist;
        if (sums) {
          double* s = &partial[(c * k + best) * d];
          const float* r = X.x + (r0 + i) * d;
          for (int64_t j = 0; j < d; j++) s[j] += r[j];
          partialCounts[c * k + best]++;
        }
      }
      chunkInertia[c] = acc;
    }
  });
  out.inertia = 0;
  for (int64_t c = 0; c < nc; c++) out.inertia += chunkInertia[c];
  if (sums) {
    sums->assign(k * d, 0.0);
    counts->assign(k, 0);
    // Reduce in chunk order: the same sums whatever the thread count.
    for (int64_t c = 0; c < nc; c++)
      for (int64_t t = 0; t < k * d; t++) (*sums)[t] += partial[c * k * d + t];
    for (int64_t c = 0; c < nc; c++)
      for (int64_t q = 0; q < k; q++) (*counts)[q] += partialCounts[c * k + q];
  }
}

}  // namespace ecgtlc::kmeans
