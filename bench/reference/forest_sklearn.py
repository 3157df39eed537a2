"""Reference for bench/forest.ts and test/eval/forest.test.ts: scikit-learn's random forests on the
same deterministic data (test/eval/fixtures.ts's LCG). Prints JSON: accuracies, r2 and timings.
usage: python3 forest_sklearn.py N D SEED TREES REPEATS"""
import json, math, sys, time
import numpy as np
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.metrics import r2_score, roc_auc_score


def make(n, d, seed):
    s = seed & 0xFFFFFFFF
    def r():
        nonlocal s
        s = (s * 1664525 + 1013904223) & 0xFFFFFFFF
        return s / 4294967296
    X = np.array([r() for _ in range(n * d)]).reshape(n, d)
    L = np.zeros((n, 3), int); c = np.zeros(n, int); t = np.zeros(n)
    for i in range(n):
        x = X[i]
        e1, e2, e3 = r() - 0.5, r() - 0.5, r() - 0.5
        L[i, 0] = x[0] + x[1] * x[1] + 0.4 * e1 > 0.85
        L[i, 1] = x[2] - x[3] + 0.3 * e2 > 0
        L[i, 2] = (x[4] - 0.5) ** 2 + (x[0] - 0.5) ** 2 + 0.05 * e3 < 0.08
        s_ = x[0] + x[2] + 0.3 * e1
        c[i] = 0 if s_ < 0.8 else (1 if s_ < 1.2 else 2)
        t[i] = 10 * math.sin(math.pi * x[0] * x[1]) + 20 * (x[2] - 0.5) ** 2 + 10 * x[3] + 5 * x[4] + 2 * e2
    return X, L, c, t


n, d, seed, trees, repeats = (int(a) for a in sys.argv[1:6])
X, L, c, t = make(n, d, seed)
h = n // 2
out = {}
fit_ms = []
for rep in range(repeats):
    t0 = time.perf_counter()
    m = RandomForestClassifier(n_estimators=trees, random_state=rep, n_jobs=1).fit(X[:h], L[:h])
    P = np.stack([p[:, 1] for p in m.predict_proba(X[h:])], 1)
    fit_ms.append((time.perf_counter() - t0) * 1000)
out["multilabel_ms"] = float(np.median(fit_ms))
out["multilabel_accuracy"] = float(((P > 0.5) == L[h:]).mean())
out["multilabel_auroc"] = float(np.mean([roc_auc_score(L[h:, j], P[:, j]) for j in range(3)]))
m = RandomForestClassifier(n_estimators=trees, random_state=0, n_jobs=1).fit(X[:h], c[:h])
out["multiclass_accuracy"] = float((m.predict(X[h:]) == c[h:]).mean())
m = RandomForestRegressor(n_estimators=trees, random_state=0, n_jobs=1).fit(X[:h], t[:h])
out["regression_r2"] = float(r2_score(t[h:], m.predict(X[h:])))
print(json.dumps(out))
