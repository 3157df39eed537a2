"""Reference for bench/preprocess.ts: scipy's resample_poly + sosfiltfilt + z-score + centred
zero-padding on the same LUDB records (read here with a minimal format-16 reader).
Writes the prepared signals (float32, records x leads x length) to OUT and prints JSON timings.
usage: python3 preprocess_scipy.py LUDB_DATA_DIR OUT REPEATS"""
import json, os, sys, time
import numpy as np
from scipy import signal


def read16(path):
    lines = [l for l in open(path + ".hea").read().splitlines() if l.strip() and not l.startswith("#")]
    nsig, fs, n = int(lines[0].split()[1]), float(lines[0].split()[2]), int(lines[0].split()[3])
    raw = np.fromfile(path + ".dat", dtype="<i2")[: n * nsig].reshape(n, nsig).T.astype(np.float64)
    out = np.empty((nsig, n))
    for k, line in enumerate(lines[1 : 1 + nsig]):
        g = line.split()[2].split("/")[0]
        gain, base = (float(g.split("(")[0]), float(g.split("(")[1][:-1])) if "(" in g else (float(g), 0.0)
        out[k] = (raw[k] - base) / gain
    return fs, out


data_dir, out_path, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
names = sorted((f[:-4] for f in os.listdir(data_dir) if f.endswith(".hea")), key=lambda s: int(s))
records = [read16(os.path.join(data_dir, n)) for n in names]
sos = signal.butter(4, [0.5, 40], "bandpass", fs=100, output="sos")
length = 1024
times = []
for _ in range(repeats):
    t0 = time.perf_counter()
    prepared = []
    for fs, x in records:
        y = signal.resample_poly(x, 100, int(fs), axis=1)
        y = signal.sosfiltfilt(sos, y, axis=1)
        y = (y - y.mean(1, keepdims=True)) / y.std(1, keepdims=True)
        off = (length - y.shape[1]) // 2
        p = np.zeros((y.shape[0], length))
        p[:, off : off + y.shape[1]] = y
        prepared.append(p.astype(np.float32))
    times.append(time.perf_counter() - t0)
np.stack(prepared).tofile(out_path)
print(json.dumps({"records": len(records), "seconds": float(np.median(times))}))
