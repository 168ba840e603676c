"""How fast and how lean bad input is refused: each case runs the real `neurocycle` command in a
fresh process (under /usr/bin/time) and reports its exit code, wall time and peak memory (the issue #15 targets:
any input of <= 1 MB refused in <= 2 s and <= 300 MB).

    .venv/bin/python bench/refusals.py
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BIN = Path(sys.executable).parent / "neurocycle"


def cases(tmp: Path) -> list[tuple[str, list[str]]]:
    bomb = "".join(f"{chr(97 + i)}: &{chr(97 + i)} [{', '.join([f'*{chr(96 + i)}'] * 9) if i else ', '.join(['x'] * 9)}]\n"
                   for i in range(10))
    (tmp / "bomb.yaml").write_text(bomb)
    (tmp / "wide.yaml").write_text("name: w\n" + "".join(f"k{i}: [{', '.join(['1'] * 40)}]\n" for i in range(8000)))
    # just under the value limit: parsed completely before the schema refuses it
    (tmp / "near.yaml").write_text("name: w\n" + "".join(f"k{i}: [{', '.join(['1'] * 40)}]\n" for i in range(580)))
    (tmp / "big-net.yaml").write_text(
        "name: big\npopulations: [{name: a, size: 20000, neuron: {model: lif_fixed, vth: 10}}]\n"
        "projections: [{source: a, target: a, connect: {kind: fixed_probability, p: 0.5}, weight: 1}]\n")
    (tmp / "dense-net.yaml").write_text(
        "name: dense\npopulations: [{name: a, size: 4000, neuron: {model: lif_fixed, vth: 10}}]\n"
        "projections: [{source: a, target: a, connect: {kind: fixed_probability, p: 0.9}, weight: 1}]\n")
    (tmp / "deep.yaml").write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    (tmp / "latin1.yaml").write_bytes("name: caf\xe9\n".encode("latin-1") * 30000)
    np.savez(tmp / "float.npz", source=np.arange(10) + 0.5, target=np.arange(10))
    # a network the chip holds but this machine's memory does not (issue #18): refused from the spec
    import yaml
    from neurocycle.hw import load_chip
    big = load_chip("truenorth-like").with_overrides({"core.synapse_words": 1 << 22, "core.axons": 65536,
                                                       "core.fanout_entries": 1 << 20})
    (tmp / "tn-big-memory.yaml").write_text(yaml.safe_dump(big.model_dump(mode="json")))
    (tmp / "huge-net.yaml").write_text(
        "name: huge\npopulations: [{name: a, size: 1048576, neuron: {model: lif_fixed, vth: 10}}]\n"
        "projections: [{source: a, target: a, connect: {kind: fixed_out_degree, k: 4096}, weight: 1}]\n")
    (tmp / "float-net.yaml").write_text(
        "name: f\npopulations: [{name: a, size: 20, neuron: {model: lif_fixed, vth: 5}}]\n"
        "projections: [{source: a, target: a, connect: {kind: explicit, file: float.npz}}]\n")
    return [
        ("1.6 KB alias bomb", ["validate", str(tmp / "bomb.yaml")]),
        (f"{(tmp / 'wide.yaml').stat().st_size / 1e6:.1f} MB of YAML", ["validate", str(tmp / "wide.yaml")]),
        ("20,000 neurons on 4,096", ["run", "default-4x4", str(tmp / "big-net.yaml"), "--no-files"]),
        ("14 M synapses on 0.5 M", ["run", "default-4x4", str(tmp / "dense-net.yaml"), "--no-files"]),
        ("4.3 G synapses, more memory than the machine has", ["run", str(tmp / "tn-big-memory.yaml"),
                                                              str(tmp / "huge-net.yaml"), "--no-files"]),
        (f"{(tmp / 'near.yaml').stat().st_size / 1e6:.2f} MB, 24 k values", ["validate", str(tmp / "near.yaml")]),
        ("5,000 levels of nesting", ["validate", str(tmp / "deep.yaml")]),
        ("non-UTF-8 file", ["validate", str(tmp / "latin1.yaml")]),
        ("float indices in .npz", ["run", "tiny-2x2", str(tmp / "float-net.yaml"), "--no-files"]),
        ("--steps 10**12", ["run", "--steps", str(10 ** 12), "--no-files"]),
        ("startup: --help", ["--help"]),
    ]


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="nc-refusals-") as d:
        tmp = Path(d)
        print("| input | exit | wall s | peak MiB | first line |")
        print("|---|---|---|---|---|")
        for name, argv in cases(tmp):
            t0 = time.perf_counter()
            stats = tmp / "rss"
            p = subprocess.run(["/usr/bin/time", "-o", str(stats), "-f", "%M", str(BIN), *argv], capture_output=True,
                               text=True, env={**os.environ, "COLUMNS": "200"})
            wall = time.perf_counter() - t0
            rss = int(stats.read_text().split()[-1]) / 1024
            text = (p.stderr or p.stdout).strip().splitlines()
            first = (text[0] if text else "")[:90].replace("|", "/")
            print(f"| {name} | {p.returncode} | {wall:.2f} | {rss:.0f} | {first} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
