"""Fixtures for the model importers (test/fixtures/models/): small ResNet-like ECG networks built in
PyTorch and exported with PyTorch's own exporters, to ONNX (torch.onnx.export) and to TorchScript
(torch.jit.script), plus what PyTorch computes on a fixed input (outputs, taps, exact Grad-CAM
gradients), which the tests compare the importers against.

usage: /usr/bin/python3 export_models.py OUT_DIR

Two networks (seeded weights; batch-norm statistics gathered on seeded noise so that activations
have a realistic scale):
  resnet_nct: input batch x 12 leads x 1000 samples (channels first), four residual layers
              (torchvision-style basic blocks, strides 1, 2, 2, 2), mean over time -> linear, logits.
  resnet_ntc: input batch x 1000 samples x 12 leads (channels last, as Keras models take it), the
              same body, flatten -> linear -> sigmoid inside the graph (outputs are probabilities).
"""
import json
import math
import os
import sys

import torch
from torch import nn

LEADS, LENGTH, CLASSES = 12, 1000, 5
TAPS = ["layer3", "layer4"]


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride, kernel=7):
        super().__init__()
        self.conv1 = nn.Conv1d(cin, cout, kernel, stride, kernel // 2, bias=False)
        self.bn1 = nn.BatchNorm1d(cout)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv1d(cout, cout, kernel, 1, kernel // 2, bias=False)
        self.bn2 = nn.BatchNorm1d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(
                nn.Conv1d(cin, cout, 1, stride, bias=False), nn.BatchNorm1d(cout)
            )

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Body(nn.Module):
    def __init__(self, widths=(16, 24, 32, 48)):
        super().__init__()
        self.conv1 = nn.Conv1d(LEADS, widths[0], 15, 1, 7, bias=False)
        self.bn1 = nn.BatchNorm1d(widths[0])
        self.relu = nn.ReLU()
        self.layer1 = nn.Sequential(BasicBlock(widths[0], widths[0], 1))
        self.layer2 = nn.Sequential(BasicBlock(widths[0], widths[1], 2))
        self.layer3 = nn.Sequential(BasicBlock(widths[1], widths[2], 2))
        self.layer4 = nn.Sequential(BasicBlock(widths[2], widths[3], 2))

    def features(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


class ResNetNCT(Body):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(48, CLASSES)

    def forward(self, x):
        x = self.features(x)
        return self.fc(x.mean(2))


class ResNetNTC(Body):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(48 * 125, CLASSES)

    def forward(self, x):
        x = self.features(x.transpose(1, 2))
        return torch.sigmoid(self.fc(x.flatten(1)))


def reference_input(n, channels_last):
    """Deterministic ECG-like input (batch x leads x samples), no RNG needed to rebuild it."""
    t = torch.arange(LENGTH, dtype=torch.float64)
    rows = []
    for b in range(n):
        leads = [
            torch.sin(0.05 * t * (c + 1) / 3 + b) + 0.3 * torch.cos(0.31 * t + c) for c in range(LEADS)
        ]
        rows.append(torch.stack(leads))
    x = torch.stack(rows).float()
    return x.transpose(1, 2).contiguous() if channels_last else x


def calibrate(model, channels_last):
    g = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d):
            m.momentum = None  # cumulative average over the calibration batches
    model.train()
    with torch.no_grad():
        for _ in range(4):
            x = torch.randn(16, LEADS, LENGTH, generator=g)
            model(x.transpose(1, 2) if channels_last else x)
    model.eval()


def taps_and_grads(model, x, target):
    """Outputs, tap activations and the exact gradient of output `target` w.r.t. each tap."""
    acts = {}
    hooks = [
        getattr(model, name).register_forward_hook(lambda m, i, o, name=name: acts.__setitem__(name, o))
        for name in TAPS
    ]
    out = model(x)
    grads = torch.autograd.grad(out[:, target].sum(), [acts[t] for t in TAPS])
    for h in hooks:
        h.remove()
    return out.detach(), {t: a.detach() for t, a in acts.items()}, dict(zip(TAPS, grads))


def summary(t):
    flat = t.double().flatten()
    return {
        "shape": list(t.shape),
        "sum": flat.sum().item(),
        "sumsq": (flat * flat).sum().item(),
        "head": [round(v, 7) for v in flat[:64].tolist()],
    }


def export(name, model, channels_last, out_dir):
    torch.manual_seed({"resnet_nct": 11, "resnet_ntc": 12}[name])
    for p in model.parameters():
        if p.dim() > 1:
            nn.init.kaiming_normal_(p, nonlinearity="relu")
    calibrate(model, channels_last)
    x = reference_input(2, channels_last)
    onnx_path = os.path.join(out_dir, f"{name}.onnx")
    torch.onnx.export(
        model,
        x,
        onnx_path,
        input_names=["ecg"],
        output_names=["scores"],
        dynamic_axes={"ecg": {0: "batch"}, "scores": {0: "batch"}},
        opset_version=13,
        do_constant_folding=True,
    )
    torch.jit.script(model).save(os.path.join(out_dir, f"{name}.pt"))
    target = 1
    out, acts, grads = taps_and_grads(model, x, target)
    ref = {
        "model": name,
        "torch": torch.__version__,
        "layout": "ntc" if channels_last else "nct",
        "input": "reference_input(2) in export_models.py",
        "outputs": [round(v, 7) for v in out.flatten().tolist()],
        "taps": {t: summary(a) for t, a in acts.items()},
        "gradcam": {
            "target": target,
            # Grad-CAM channel weights of record 0: the time-averaged exact gradient.
            "weights": {t: [round(v, 9) for v in g[0].mean(1).tolist()] for t, g in grads.items()},
            "maps": {
                t: [round(v, 7) for v in torch.relu((g[0].mean(1, keepdim=True) * acts[t][0]).sum(0)).tolist()]
                for t, g in grads.items()
            },
        },
    }
    with open(os.path.join(out_dir, f"{name}.json"), "w") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    export("resnet_nct", ResNetNCT(), False, out_dir)
    export("resnet_ntc", ResNetNTC(), True, out_dir)


if __name__ == "__main__":
    main()
