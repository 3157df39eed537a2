"""scikit-learn checks of the surrogate on the per-ECG table of `ecg-tlc evaluate --table FILE.csv`
(docs/EVIDENCE.md, "Where the surrogate disagrees"). Same folds as `evaluate`: each fold held out
once, a 100-tree forest on the other folds. Prints one JSON object:
  fidelity        RandomForestClassifier on hard proportions -> the CNN's labels
  learningCurve   the same with 25/50/75/100 % of each training split (random subsample)
  regressor       RandomForestRegressor on the CNN's probabilities, cut at its thresholds
  logitRegressor  the same on logits
  voteCut04       the classifier's vote share cut at 0.4 instead of 0.5: fidelity and macro AUROC
                  of the labels against the truth (surrogate and CNN)
  positiveRateCut each class's vote share cut where the forest's out-of-bag votes on the training
                  split give the CNN's positive share there: fidelity and label AUROC
  oobFidelityCut  each class's vote share cut where the forest's out-of-bag votes on the training
                  split agree best with the CNN's labels there: fidelity and label AUROC
  balanced        class_weight="balanced_subsample": fidelity and label AUROC
  voteCuts        the classifier's vote share cut at 0.45 / 0.4 / 0.35 / 0.3: fidelity, label AUROC
  learners        other learners on the same proportions, one per class: logistic regression
                  (C=100) and histogram gradient boosting
  foldGroups      with MODEL/model.json: the CNN's label and score AUROC and the surrogate's label
                  AUROC on the network's training folds and on the others
usage: python3 surrogate_checks.py TABLE.csv [MODEL/model.json]   (the CNN's thresholds; without
it they are recovered from the cnn_ and cnn_label_ columns, to float rounding)"""
import csv, json, sys
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

rows = list(csv.DictReader(open(sys.argv[1])))
classes = [c[len("true_"):] for c in rows[0] if c.startswith("true_")]
k = sum(1 for c in rows[0] if c.startswith("p") and c[1:].isdigit())
col = lambda prefix, names: np.array([[float(r[prefix + n]) for n in names] for r in rows])
Y = col("true_", classes).astype(int)
S = col("cnn_", classes)
L = col("cnn_label_", classes).astype(int)
X = col("p", [str(j) for j in range(k)])
F = np.array([int(r["fold"]) for r in rows])
folds = sorted(set(F))
model = json.load(open(sys.argv[2])) if len(sys.argv) > 2 else None
if model:
    th = np.array(model["thresholds"])
else:  # the smallest probability labelled 1 per class is the threshold, up to float rounding
    th = np.array([S[L[:, j] == 1, j].min() if L[:, j].any() else 1.0 for j in range(len(classes))])


def cv(fit_predict, frac=1.0, seed=0):
    rng = np.random.default_rng(seed)
    per_fold, pred = [], np.zeros_like(L)
    for f in folds:
        tr, te = np.where(F != f)[0], F == f
        if frac < 1:
            tr = rng.choice(tr, int(len(tr) * frac), replace=False)
        p = fit_predict(tr, te)
        pred[te] = p
        per_fold.append(float((p == L[te]).mean()))
    return float(np.mean(per_fold)), pred


def classifier(tr, te, cut=0.5):
    rf = RandomForestClassifier(100, random_state=0, n_jobs=2).fit(X[tr], L[tr])
    votes = np.stack([p[:, 1] if p.shape[1] > 1 else np.zeros(len(p)) for p in rf.predict_proba(X[te])], 1)
    return (votes > cut).astype(int)


def regressor(target, cut):
    def fp(tr, te):
        rf = RandomForestRegressor(100, random_state=0, n_jobs=2, max_features=1 / 3).fit(X[tr], target[tr])
        return (rf.predict(X[te]) >= cut).astype(int)
    return fp


def per_class(make):
    """One learner per class (a constant where the training split has one label only)."""
    def fp(tr, te):
        out = np.zeros((int(te.sum()), L.shape[1]), dtype=int)
        for j in range(L.shape[1]):
            y = L[tr, j]
            out[:, j] = y[0] if y.min() == y.max() else make().fit(X[tr], y).predict(X[te])
        return out
    return fp


def positive_rate_cut(tr, te):
    out = np.zeros((int(te.sum()), L.shape[1]), dtype=int)
    for j in range(L.shape[1]):
        rf = RandomForestClassifier(100, random_state=0, n_jobs=2, oob_score=True).fit(X[tr], L[tr, j])
        if rf.n_classes_ < 2:
            out[:, j] = L[tr, j][0]
            continue
        oob = np.nan_to_num(rf.oob_decision_function_[:, 1], nan=0.5)
        cut = np.quantile(oob, 1 - L[tr, j].mean())
        out[:, j] = rf.predict_proba(X[te])[:, 1] >= cut
    return out


def oob_fidelity_cut(tr, te):
    out = np.zeros((int(te.sum()), L.shape[1]), dtype=int)
    cands = np.linspace(0.2, 0.7, 51)
    for j in range(L.shape[1]):
        rf = RandomForestClassifier(100, random_state=0, n_jobs=2, oob_score=True).fit(X[tr], L[tr, j])
        if rf.n_classes_ < 2:
            out[:, j] = L[tr, j][0]
            continue
        oob = np.nan_to_num(rf.oob_decision_function_[:, 1], nan=0.5)
        cut = cands[int(np.argmax([((oob > c) == L[tr, j]).mean() for c in cands]))]
        out[:, j] = rf.predict_proba(X[te])[:, 1] > cut
    return out


def balanced(tr, te):
    rf = RandomForestClassifier(100, random_state=0, n_jobs=2, class_weight="balanced_subsample").fit(X[tr], L[tr])
    return (np.stack([p[:, 1] for p in rf.predict_proba(X[te])], 1) > 0.5).astype(int)


clip = np.clip(S, 1e-6, 1 - 1e-6)
fid, pred = cv(classifier)
fid04, pred04 = cv(lambda tr, te: classifier(tr, te, cut=0.4))
fidRate, predRate = cv(positive_rate_cut)
fidOob, predOob = cv(oob_fidelity_cut)
fidBal, predBal = cv(balanced)
cuts = {c: cv(lambda tr, te, c=c: classifier(tr, te, cut=c)) for c in (0.45, 0.4, 0.35, 0.3)}
macro = lambda P, m=slice(None): float(np.mean([roc_auc_score(Y[m, j], P[m, j]) for j in range(len(classes))]))
groups = None
if model and "data" in model:
    trained = np.isin(F, model["data"]["trainFolds"])
    groups = {
        name: {"n": int(m.sum()), "cnnAurocLabels": macro(L, m), "cnnAuroc": macro(S, m), "surrogateAurocLabels": macro(pred, m)}
        for name, m in (("trainFolds", trained), ("otherFolds", ~trained)) if m.any()
    }
print(json.dumps({
    "n": len(rows), "classes": classes, "k": k, "thresholds": th.round(4).tolist(),
    "fidelity": fid,
    "learningCurve": {str(f): cv(classifier, frac=f)[0] for f in (0.25, 0.5, 0.75, 1.0)},
    "regressor": cv(regressor(S, th))[0],
    "logitRegressor": cv(regressor(np.log(clip / (1 - clip)), np.log(th / (1 - th))))[0],
    "voteCut04": {"fidelity": fid04, "aurocLabels": macro(pred04), "cnnAurocLabels": macro(L)},
    "positiveRateCut": {"fidelity": fidRate, "aurocLabels": macro(predRate), "classifierAurocLabels": macro(pred)},
    "oobFidelityCut": {"fidelity": fidOob, "aurocLabels": macro(predOob)},
    "balanced": {"fidelity": fidBal, "aurocLabels": macro(predBal)},
    "voteCuts": {str(c): {"fidelity": f, "aurocLabels": macro(p)} for c, (f, p) in cuts.items()},
    "learners": {
        "logisticRegression": cv(per_class(lambda: LogisticRegression(C=100, max_iter=5000)))[0],
        "gradientBoosting": cv(per_class(lambda: HistGradientBoostingClassifier(random_state=0)))[0],
    },
    "foldGroups": groups,
}))
