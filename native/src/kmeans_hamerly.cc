// Lloyd's algorithm with Hamerly's bounds (Hamerly 2010; declared in kmeans_lloyd.h). Owned by
// src/tlc.
//
// Per point an upper bound on the distance to its centre and a lower bound on the distance to any
// other centre. A point whose bounds show that its centre cannot change is skipped without
// reading its row, and centroid sums change only by the points that move, so late iterations
// touch a small part of the data. Same fixed points and stopping rules as plain Lloyd (labels
// unchanged, or total squared shift <= tol).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "kmeans_distance.h"
#include "kmeans_lloyd.h"

namespace ecgtlc::kmeans {

LloydResult lloydHamerly(const Matrix& X, const std::vector<float>& xx, const Origin& origin,
                         std::vector<float> centers, int64_t k, int64_t maxIter, double tol,
                         int threads) {
  const int64_t d = X.d, n = X.n;
  if (k < 2) return lloydPlain(X, xx, origin, std::move(centers), k, maxIter, tol, threads);
  std::vector<int32_t> label(n);
  std::vector<double> upper(n), lower(n);
  std::vector<double> sums(k * d, 0.0);
  std::vector<int64_t> counts(k, 0);
  int64_t nc = numChunks(n);
  // Initial assignment: nearest and second-nearest centre of every point, ranked with the fast
  // dot-product kernel (from the origin), then their exact distances for the bounds.
  {
    const std::vector<float> shifted = shiftRows(centers.data(), k, d, origin);
    Centers ct = transposeCenters(shifted.data(), k, d);
    std::vector<float> cc(k);
    for (int64_t q = 0; q < k; q++)
      cc[q] = squaredNorm(&shifted[q * d], d) +
              static_cast<float>(crossTerm(&shifted[q * d], d, origin));
    parallelChunks(threads, nc, [&](int64_t c) {
      int64_t r0 = c * kChunk, rows = std::min(n, r0 + kChunk) - r0;
      std::vector<float> g(rows * ct.kp);
      dotsKernel(X.x + r0 * d, rows, d, ct.t.data(), ct.kp, g.data());
      for (int64_t i = 0; i < rows; i++) {
        float v1 = std::numeric_limits<float>::infinity(), v2 = v1;
        int32_t a1 = 0, a2 = 1;
        for (int64_t q = 0; q < k; q++) {
          float v = cc[q] - 2.0f * g[i * ct.kp + q];
          if (v < v1) {
            v2 = v1;
            a2 = a1;
            v1 = v;
            a1 = static_cast<int32_t>(q);
          } else if (v < v2) {
            v2 = v;
            a2 = static_cast<int32_t>(q);
          }
        }
        const float* x = X.x + (r0 + i) * d;
        double e1 = exactSq(x, &centers[a1 * d], d), e2 = exactSq(x, &centers[a2 * d], d);
        if (e2 < e1) {
          std::swap(e1, e2);
          std::swap(a1, a2);
        }
        label[r0 + i] = a1;
        upper[r0 + i] = std::sqrt(e1);
        // Only a lower bound is needed: the true second distance cannot exceed e2 but, with the
        // fast ranking's rounding, another centre might be marginally closer; shrink a little.
        lower[r0 + i] = std::sqrt(e2) * (1.0 - 1e-3);
      }
    });
  }
  for (int64_t i = 0; i < n; i++) {
    const float* r = X.x + i * d;
    double* s = &sums[label[i] * d];
    for (int64_t j = 0; j < d; j++) s[j] += r[j];
    counts[label[i]]++;
  }
  // A centre no point is nearest to (seeds repeat when there are fewer distinct points than
  // clusters, or init repeats a row) would move to 0/0 = NaN below and stay there: plain Lloyd
  // relocates empty clusters as scikit-learn does.
  for (int64_t q = 0; q < k; q++)
    if (counts[q] == 0)
      return lloydPlain(X, xx, origin, std::move(centers), k, maxIter, tol, threads);
  struct Move {
    int64_t i;
    int32_t from, to;
  };
  std::vector<std::vector<Move>> moves(nc);
  std::vector<int64_t> tightened(nc), full(nc);
  std::vector<double> half(k), shift(k);
  int64_t it = 0;
  bool first = true;
  for (; it < maxIter; it++) {
    if (!first) {
      // Half the distance from each centre to its nearest other centre.
      for (int64_t q = 0; q < k; q++) {
        double m = std::numeric_limits<double>::infinity();
        for (int64_t r = 0; r < k; r++)
          if (r != q) m = std::min(m, exactSq(&centers[q * d], &centers[r * d], d));
        half[q] = 0.5 * std::sqrt(m);
      }
      Centers ct = transposeCenters(centers.data(), k, d);
      parallelChunks(threads, nc, [&](int64_t c) {
        std::vector<float> all(ct.kp);
        auto& mv = moves[c];
        mv.clear();
        tightened[c] = full[c] = 0;
        for (int64_t i = c * kChunk; i < std::min(n, (c + 1) * kChunk); i++) {
          int32_t a = label[i];
          double m = std::max(half[a], lower[i]);
          if (upper[i] <= m) continue;
          const float* x = X.x + i * d;
          upper[i] = std::sqrt(exactSq(x, &centers[a * d], d));
          tightened[c]++;
          if (upper[i] <= m) continue;
          full[c]++;
          double b1 = std::numeric_limits<double>::infinity(), b2 = b1;
          int32_t best = a;
          exactAll(x, d, ct, centers, all.data());
          for (int64_t q = 0; q < k; q++) {
            double v = q == a ? upper[i] * upper[i] : all[q];
            if (v < b1 || (v == b1 && q < best)) {
              b2 = b1;
              b1 = v;
              best = static_cast<int32_t>(q);
            } else if (v < b2) {
              b2 = v;
            }
          }
          upper[i] = std::sqrt(b1);
          lower[i] = std::sqrt(b2);
          if (best != a) {
            mv.push_back({i, a, best});
            label[i] = best;
          }
        }
      });
      // Apply the moves in point order: deterministic whatever the thread count.
      int64_t moved = 0;
      for (auto& mv : moves)
        for (const Move& m : mv) {
          const float* r = X.x + m.i * d;
          double* sf = &sums[m.from * d];
          double* st = &sums[m.to * d];
          for (int64_t j = 0; j < d; j++) {
            sf[j] -= r[j];
            st[j] += r[j];
          }
          counts[m.from]--;
          counts[m.to]++;
          moved++;
        }
      if (kDebug) {
        int64_t nt = 0, nf = 0;
        for (int64_t c = 0; c < nc; c++) {
          nt += tightened[c];
          nf += full[c];
        }
        std::fprintf(stderr, "  iteration %lld: %lld moved, %lld tightened, %lld full\n",
                     static_cast<long long>(it), static_cast<long long>(moved),
                     static_cast<long long>(nt), static_cast<long long>(nf));
      }
      if (moved == 0) break;  // strict convergence: the centres are already the means
      for (int64_t q = 0; q < k; q++)
        if (counts[q] == 0) {
          // An empty cluster: hand over to plain Lloyd, which relocates it as scikit-learn does.
          return lloydPlain(X, xx, origin, std::move(centers), k, maxIter, tol, threads, it);
        }
    }
    first = false;
    // Move the centres to the means; bounds loosen by how far the centres moved.
    double total = 0;
    for (int64_t q = 0; q < k; q++) {
      double inv = 1.0 / static_cast<double>(counts[q]), sq = 0;
      for (int64_t j = 0; j < d; j++) {
        float v = static_cast<float>(sums[q * d + j] * inv);
        double delta = static_cast<double>(v) - centers[q * d + j];
        sq += delta * delta;
        centers[q * d + j] = v;
      }
      shift[q] = std::sqrt(sq);
      total += sq;
    }
    int64_t far = 0;
    for (int64_t q = 1; q < k; q++)
      if (shift[q] > shift[far]) far = q;
    double second = 0;
    for (int64_t q = 0; q < k; q++)
      if (q != far) second = std::max(second, shift[q]);
    parallelChunks(threads, nc, [&](int64_t c) {
      for (int64_t i = c * kChunk; i < std::min(n, (c + 1) * kChunk); i++) {
        upper[i] += shift[label[i]];
        lower[i] -= label[i] == far ? second : shift[far];
      }
    });
    if (total <= tol) {
      it++;
      break;
    }
  }
  LloydResult res;
  assignPass(X, xx, origin, centers, k, res.assign, nullptr, nullptr, threads);
  res.centers = std::move(centers);
  res.iterations = it;
  return res;
}

}  // namespace ecgtlc::kmeans
