"""Reference for bench/model.ts: the same 1D-ResNet (Ribeiro et al. 2020, ptbxl100 preset) in PyTorch.

usage: python3 model_torch.py THREADS BATCH
Prints one JSON line with its configuration (torch version, intra- and inter-op threads, OpenMP
threads and wait policy, oneDNN, the BLAS library mapped into the process), then serves one command per stdin line
so that the benchmark can interleave its calls with the engine's:
  forward  -> forward with every unit's output kept (eval, no grad)
  train    -> one AdamW step (lr 1e-3, weight decay 1e-2, as TRAIN_DEFAULTS) on BCE-with-logits,
              training mode (BatchNorm batch statistics, dropout)
  gradcam  -> Grad-CAM of output 0 at B4 for the first ECG alone, by autograd
answering each with {"wall": s, "cpu": s, "faults": n} (CPU time of all the process's threads, minor
page faults). The input is the
benchmark's: x[i] = sin(0.37 i) over the flat (batch, 12, 1024) array, targets 1 where i % 3 == 0.
"""
import json
import os
import resource
import sys
import time

import numpy as np
import torch
from torch import nn


def padding(downsample, kernel):
    return max(0, (kernel - downsample + 1) // 2)


class ResUnit(nn.Module):
    def __init__(self, cin, cout, ds, kernel, dropout):
        super().__init__()
        self.conv1 = nn.Conv1d(cin, cout, kernel, padding=padding(1, kernel), bias=False)
        self.bn1 = nn.BatchNorm1d(cout)
        self.dropout1 = nn.Dropout(dropout)
        self.conv2 = nn.Conv1d(cout, cout, kernel, stride=ds, padding=padding(ds, kernel), bias=False)
        self.bn2 = nn.BatchNorm1d(cout)
        self.dropout2 = nn.Dropout(dropout)
        skip = []
        if ds > 1:
            skip.append(nn.MaxPool1d(ds, stride=ds))
        if cin != cout:
            skip.append(nn.Conv1d(cin, cout, 1, bias=False))
        self.skip = nn.Sequential(*skip) if skip else None

    def forward(self, x, y):
        if self.skip is not None:
            y = self.skip(y)
        x = self.dropout1(torch.relu(self.bn1(self.conv1(x))))
        x = self.conv2(x) + y
        y = x
        x = self.dropout2(torch.relu(self.bn2(x)))
        return x, y


class ResNet1d(nn.Module):
    def __init__(self, leads=12, length=1024, channels=(64, 128, 196, 256, 320), kernel=17, ds=2, outputs=5, dropout=0.2):
        super().__init__()
        self.stem = nn.Conv1d(leads, channels[0], kernel, padding=padding(1, kernel), bias=False)
        self.stem_bn = nn.BatchNorm1d(channels[0])
        self.units = nn.ModuleList(ResUnit(channels[i - 1], channels[i], ds, kernel, dropout) for i in range(1, len(channels)))
        t = length
        for _ in self.units:
            t = (t + 2 * padding(ds, kernel) - kernel) // ds + 1
        self.head = nn.Linear(channels[-1] * t, outputs)

    def forward(self, x, taps=None):
        x = torch.relu(self.stem_bn(self.stem(x)))
        y = x
        for u in self.units:
            x, y = u(x, y)
            if taps is not None:
                taps.append(x)
        return self.head(x.flatten(1))


def blas_libraries():
    with open("/proc/self/maps") as f:
        return sorted({line.split()[-1] for line in f if "blas" in line and "/" in line})


def main():
    threads, batch = int(sys.argv[1]), int(sys.argv[2])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = ResNet1d()
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-2)
    n = batch * 12 * 1024
    x = torch.from_numpy(np.sin(np.arange(n) * 0.37).astype(np.float32).reshape(batch, 12, 1024))
    y = torch.from_numpy((np.arange(batch * 5) % 3 == 0).astype(np.float32).reshape(batch, 5))
    loss_fn = nn.BCEWithLogitsLoss()

    def fwd():
        net.eval()
        with torch.no_grad():
            taps = []
            net(x, taps)

    def step():
        net.train()
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()

    def gradcam():
        net.eval()
        taps = []
        out = net(x[:1], taps)
        a = taps[3]
        (g,) = torch.autograd.grad(out[:, 0].sum(), a)
        torch.relu((g.mean(2, keepdim=True) * a).sum(1))

    config = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "interopThreads": torch.get_num_interop_threads(),
        "ompThreads": torch.__config__.parallel_info().split("omp_get_max_threads() : ")[1].split("\n")[0],
        "mkldnn": torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled,
        "blas": blas_libraries(),
        "ompWaitPolicy": os.environ.get("OMP_WAIT_POLICY"),
        "gompSpincount": os.environ.get("GOMP_SPINCOUNT"),
        "optimizer": "AdamW (single-tensor loop, foreach off as 1.13 defaults on CPU)",
    }
    print(json.dumps(config), flush=True)
    calls = {"forward": fwd, "train": step, "gradcam": gradcam}
    profile = os.environ.get("TORCH_PROFILE")  # PREFIX: each call as a Chrome trace, PREFIX.N.json
    for n, line in enumerate(sys.stdin):
        name = line.strip()
        if name == "quit" or name not in calls:
            break
        f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        t0, c0 = time.perf_counter(), time.process_time()
        if profile:
            with torch.autograd.profiler.profile() as p:
                calls[name]()
            p.export_chrome_trace(f"{profile}.{n}.json")
        else:
            calls[name]()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0
        print(json.dumps({"wall": wall, "cpu": cpu, "faults": faults}), flush=True)


if __name__ == "__main__":
    main()
