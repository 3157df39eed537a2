"""Landmark alignment checked on records never seen in fitting: from the JSON lines of
`ecg-tlc explain --json` (a cluster per sample, at the record's own rate) and the cardiologists'
lead II annotation files (LUDB's RECORD.ii), with nothing of ecg-tlc's own code. The annotation
files are read by the MIT format's definition (16-bit words: code in the top 6 bits, time step in
the low 10; SKIP, NUM, SUB, CHN and AUX words), every 'p', 'N' and 't' mark is a P, R and T peak,
and the cluster at its sample is the one `explain` gave. Prints the landmark NMI (arithmetic-mean
normalisation, as src/eval/metrics.ts) and each wave's purity (share of its peaks in its most
frequent cluster), to set beside `ecg-tlc align --json`'s `landmarks`.
usage: python3 explain_landmarks.py EXPLAIN.jsonl DIR [ANNOTATOR]
  DIR: the records' folder (the JSON names a record without it); ANNOTATOR: the annotation
  file's extension, default ii (lead II)"""
import json, os, struct, sys
import numpy as np
from nmi import nmi

PEAKS = {24: 0, 1: 1, 27: 2}  # MIT codes of 'p', 'N', 't' -> P, QRS, T


def read_peaks(path):
    """(sample, wave) of every P, R and T peak in a MIT-format annotation file."""
    b = open(path, "rb").read()
    out, t, i = [], 0, 0
    while i + 2 <= len(b):
        (w,) = struct.unpack_from("<H", b, i)
        i += 2
        code, step = w >> 10, w & 0x3FF
        if code == 0 and step == 0:
            break
        if code == 59:  # SKIP: a 32-bit interval, high 16 bits first
            hi, lo = struct.unpack_from("<HH", b, i)
            i += 4
            skip = (hi << 16) | lo
            t += skip - (1 << 32) if skip >= 1 << 31 else skip
        elif code == 63:  # AUX: step bytes of text, padded to an even count
            i += step + (step & 1)
        elif code in (60, 61, 62):  # NUM, SUB, CHN of the annotation before
            pass
        else:
            t += step
            if code in PEAKS:
                out.append((t, PEAKS[code]))
    return out


folder = sys.argv[2]
ext = sys.argv[3] if len(sys.argv) > 3 else "ii"
counts, records = {}, 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    try:
        peaks = read_peaks(os.path.join(folder, f"{e['record']}.{ext}"))
    except FileNotFoundError:
        continue
    records += 1
    clusters = e["clusters"]
    for s, wave in peaks:
        if 0 <= s < len(clusters):
            key = (clusters[s], wave)
            counts[key] = counts.get(key, 0) + 1
k = 1 + max(c for c, _ in counts)
C = np.zeros((k, 3))
for (c, w), n in counts.items():
    C[c, w] = n
purity = C.max(0) / C.sum(0)
print(json.dumps({
    "records": records, "peaks": dict(zip(["P", "QRS", "T"], C.sum(0).astype(int).tolist())),
    "nmi": round(nmi(C), 4), "purity": dict(zip(["P", "QRS", "T"], purity.round(4).tolist())),
    "cluster": dict(zip(["P", "QRS", "T"], C.argmax(0).tolist())),
}))
