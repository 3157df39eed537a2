"""How far the landmark alignment targets carry to records not seen (docs/EVIDENCE.md): from the
JSON of `ecg-tlc align --json` (its perRecord[].landmarks, K x [P, QRS, T] peak counts), draws
random subsets of the records and reports how often the pooled landmark NMI falls below 0.5 and
each wave's purity (share of its peaks in its most frequent cluster) below 55 %.
usage: python3 landmark_subsets.py ALIGN.json [SIZE...]   (default sizes 50 100; 5,000 draws, seed 0)"""
import json, sys
import numpy as np
from nmi import nmi

d = json.load(open(sys.argv[1]))
L = np.array([r["landmarks"] for r in d["perRecord"]], dtype=float)  # records x K x [P, QRS, T]
sizes = [int(a) for a in sys.argv[2:]] or [50, 100]


def targets(C):
    return nmi(C), *(C.max(0) / C.sum(0))


out = {"records": len(L), "all": dict(zip(["nmi", "P", "QRS", "T"], targets(L.sum(0))))}
rng = np.random.default_rng(0)
for m in sizes:
    r = np.array([targets(L[rng.choice(len(L), m, replace=False)].sum(0)) for _ in range(5000)])
    miss = np.column_stack([r[:, 0] < 0.5, r[:, 1:] < 0.55])
    out[str(m)] = {
        "nmiBelow0.5": miss[:, 0].mean(), "PBelow55": miss[:, 1].mean(),
        "QRSBelow55": miss[:, 2].mean(), "TBelow55": miss[:, 3].mean(),
        "anyMissed": miss.any(1).mean(), "T5thPercentile": np.percentile(r[:, 3], 5),
    }
print(json.dumps(out))
