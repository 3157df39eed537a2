"""Which LUDB records keep their R peaks out of the QRS cluster, and their diagnoses
(docs/EVIDENCE.md, "Counting landmarks as the issue's check does"): from the JSON of
`ecg-tlc align --json` over LUDB records (perRecord[].landmarks, K x [P, QRS, T] peak counts) and
the records' headers, the records with fewer than 80 % of their R peaks in the QRS cluster, how
many have none there, and how many of them, against the others, carry a bundle branch block, a
hemiblock or ventricular pacing in the header's diagnoses.
usage: python3 qrs_diagnoses.py ALIGN.json LUDB_DATA_DIR"""
import json, os, re, sys

d = json.load(open(sys.argv[1]))
qrs = d["landmarks"]["cluster"]["QRS"]
conduction = re.compile(r"bundle branch block|pacing|hemiblock", re.I)
out = {"missing": [0, 0], "others": [0, 0], "noneInCluster": 0}
for r in d["perRecord"]:
    peaks = [row[1] for row in r["landmarks"]]
    total = sum(peaks)
    if not total:
        continue
    header = open(os.path.join(sys.argv[2], r["record"] + ".hea")).read()
    group = out["missing"] if peaks[qrs] / total < 0.8 else out["others"]
    group[0] += bool(conduction.search(header))
    group[1] += 1
    out["noneInCluster"] += peaks[qrs] == 0
out = {
    "recordsBelow80": out["missing"][1], "noneInCluster": out["noneInCluster"],
    "conductionBelow80": out["missing"][0], "conductionOthers": out["others"][0], "others": out["others"][1],
}
print(json.dumps(out))
