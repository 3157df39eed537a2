"""Normalised mutual information of a contingency table, arithmetic-mean normalisation, as
src/eval/metrics.ts computes it (the reference scripts' own copy, sharing no code with ecg-tlc)."""
import numpy as np


def nmi(C):
    p = C / C.sum()
    px, py = p.sum(1), p.sum(0)
    nz = p > 0
    mi = (p[nz] * np.log(p[nz] / np.outer(px, py)[nz])).sum()
    h = lambda q: -(q[q > 0] * np.log(q[q > 0])).sum()
    return 2 * mi / (h(px) + h(py))
