"""Reference for bench/model.ts: the same 1D-ResNet (Ribeiro et al. 2020, ptbxl100 preset) in PyTorch.

usage: python3 model_torch.py THREADS BATCH REPS [LENGTH DOWNSAMPLE]
Prints one JSON line: {"torch": version, "threads", "forward": [s...], "forwardCpu": [s...],
"train": [s...], "trainCpu": [s...]} (wall and CPU seconds per call: forward with every unit's
output kept (eval, no grad), and one Adam step on BCE-with-logits in training mode).
"""
import json
import sys
import time

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


def main():
    threads, batch, reps = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    length = int(sys.argv[4]) if len(sys.argv) > 4 else 1024
    ds = int(sys.argv[5]) if len(sys.argv) > 5 else 2
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = ResNet1d(length=length, ds=ds)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.randn(batch, 12, length)
    y = (torch.rand(batch, 5) < 0.3).float()
    loss_fn = nn.BCEWithLogitsLoss()
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "forward": [], "forwardCpu": [], "train": [], "trainCpu": []}

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

    for name, fn in (("forward", fwd), ("train", step)):
        fn()  # warm-up
        for _ in range(reps):
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            out[name].append(time.perf_counter() - t0)
            out[name + "Cpu"].append(time.process_time() - c0)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
