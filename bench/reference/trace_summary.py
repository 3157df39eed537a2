"""Sums Chrome traces of libtorch's autograd profiler (ECG_TLC_PROFILE for the engine,
TORCH_PROFILE for bench/reference/model_torch.py) per op, side by side.

usage: python3 trace_summary.py 'ENGINE_GLOB' 'TORCH_GLOB' [ROWS]
Prints, per op name, the time summed over every call's trace (ms, inclusive of nested ops) and the
number of calls on each side, largest first, divided by the number of traces (per call of the
benchmark).
"""
import collections
import glob
import json
import sys


def load(pattern):
    files = sorted(glob.glob(pattern))
    total, count = collections.Counter(), collections.Counter()
    for f in files:
        with open(f) as fh:
            events = json.load(fh)
        if isinstance(events, dict):
            events = events.get("traceEvents", [])
        for e in events:
            if e.get("ph") == "X":
                total[e["name"]] += e["dur"] / 1000
                count[e["name"]] += 1
    n = max(1, len(files))
    return {k: v / n for k, v in total.items()}, {k: v / n for k, v in count.items()}, len(files)


def main():
    (a, ac, an), (b, bc, bn) = load(sys.argv[1]), load(sys.argv[2])
    rows = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    print(f"per call: ecg-tlc over {an} traces, torch over {bn}")
    print(f"{'op':60s} {'ecg-tlc ms':>10s} {'n':>6s} {'torch ms':>10s} {'n':>6s}")
    for name in sorted(set(a) | set(b), key=lambda k: -max(a.get(k, 0), b.get(k, 0)))[:rows]:
        print(f"{name[:60]:60s} {a.get(name, 0):10.1f} {ac.get(name, 0):6.0f} {b.get(name, 0):10.1f} {bc.get(name, 0):6.0f}")


if __name__ == "__main__":
    main()
