"""The native engine's network (a model folder from `ecg-tlc train`, flatten head) as TorchScript,
for bench/import.ts: the same 1D-ResNet in PyTorch (model_torch.py), the folder's weights copied in,
an identity module after each residual unit so that each unit's output is a one-tensor submodule
output (taps.0 .. taps.3, the native B1 .. B4), scripted and saved with torch.jit.save.

usage: /usr/bin/python3 script_native.py MODEL_DIR OUT.pt
"""
import json
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model_torch import ResNet1d  # noqa: E402


class Tapped(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.stem = net.stem
        self.stem_bn = net.stem_bn
        self.units = net.units
        self.taps = nn.ModuleList(nn.Identity() for _ in net.units)
        self.head = net.head

    def forward(self, x):
        x = torch.relu(self.stem_bn(self.stem(x)))
        y = x
        for u, tap in zip(self.units, self.taps):
            x, y = u(x, y)
            x = tap(x)
        return self.head(x.flatten(1))


def native_name(name, net):
    """ResNet1d's parameter name -> the native archive's (unitN, pool/skip as separate modules)."""
    if not name.startswith("units."):
        return name
    _, i, rest = name.split(".", 2)
    if rest.startswith("skip."):
        rest = "skip." + rest.split(".", 2)[2]  # skip.<index>.weight -> skip.weight
    return f"unit{int(i) + 1}.{rest}"


def main():
    model_dir, out = sys.argv[1], sys.argv[2]
    cfg = json.load(open(os.path.join(model_dir, "model.json")))["network"]
    net = ResNet1d(
        leads=cfg["leads"], length=cfg["length"], channels=tuple(cfg["channels"]), kernel=cfg["kernel"],
        ds=cfg["downsample"], outputs=cfg["outputs"], dropout=cfg["dropout"],
    )
    archive = torch.jit.load(os.path.join(model_dir, "weights.pt"))
    saved = {**dict(archive.named_parameters()), **dict(archive.named_buffers())}
    with torch.no_grad():
        for name, t in list(net.named_parameters()) + list(net.named_buffers()):
            t.copy_(saved[native_name(name, net)])
    net.eval()
    torch.jit.script(Tapped(net).eval()).save(out)


if __name__ == "__main__":
    main()
