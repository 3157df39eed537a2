"""Reference for bench/read.ts: read the PTB-XL subset's format-16 records with numpy, the way
wfdb-python's rdrecord does for format 16 (header parse, np.fromfile, reshape, (d - baseline) / gain).
Prints one line: "<records> <median seconds>". Usage: read_numpy.py RECORDS_DIR REPEATS"""
import os
import sys
import time

import numpy as np


def read_record(path):
    with open(path + ".hea") as f:
        lines = [l for l in f.read().splitlines() if l.strip() and not l.startswith("#")]
    name, nsig, fs, nsamp = lines[0].split()[:4]
    nsig, nsamp = int(nsig), int(nsamp)
    gains, baselines = [], []
    for line in lines[1 : 1 + nsig]:
        fields = line.split()
        g = fields[2].split("/")[0]
        if "(" in g:
            g, b = g[:-1].split("(")
            baselines.append(float(b))
        else:
            baselines.append(float(fields[4]))
        gains.append(float(g))
    d = np.fromfile(os.path.join(os.path.dirname(path), lines[1].split()[0]), dtype="<i2")
    d = d[: nsamp * nsig].reshape(nsamp, nsig)
    return ((d - np.array(baselines)) / np.array(gains)).astype(np.float32)


def main():
    root, repeats = sys.argv[1], int(sys.argv[2])
    paths = []
    for sub in sorted(os.listdir(root)):
        for f in sorted(os.listdir(os.path.join(root, sub))):
            if f.endswith(".hea"):
                paths.append(os.path.join(root, sub, f[:-4]))
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for p in paths:
            read_record(p)
        times.append(time.perf_counter() - t0)
    print(len(paths), sorted(times)[len(times) // 2])


main()
