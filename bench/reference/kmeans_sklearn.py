"""Reference for bench/kmeans.ts: scikit-learn's KMeans on the same points.

usage: python3 kmeans_sklearn.py POINTS.npy K N_INIT THREADS
Prints one JSON line: {"sklearn": version, "seconds": fit time, "cpuSeconds": CPU time, "inertia": ..., "iterations": ...}.
"""
import json
import sys
import time

import numpy as np
from sklearn.cluster import KMeans

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # older installs: the environment variables set by the caller still apply
    threadpool_limits = None

path, k, n_init, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
x = np.load(path)
km = KMeans(n_clusters=k, n_init=n_init, random_state=0)
t0 = time.perf_counter()
c0 = time.process_time()
if threadpool_limits is not None:
    with threadpool_limits(limits=threads):
        km.fit(x)
else:
    km.fit(x)
seconds = time.perf_counter() - t0
cpu = time.process_time() - c0  # all threads of the process: comparable when the machine is shared
import sklearn

print(json.dumps({"sklearn": sklearn.__version__, "seconds": seconds, "cpuSeconds": cpu, "inertia": float(km.inertia_), "iterations": int(km.n_iter_)}))
