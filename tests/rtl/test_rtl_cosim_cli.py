"""`neurocycle cosim CHIP NETWORK --steps N`: builds (cached), co-simulates, prints agreement."""
import json

import pytest

pytestmark = pytest.mark.rtl

NET = """
name: cli-net
seed: 3
populations:
  - {name: a, size: 30, neuron: {model: lif_fixed, du: 500, dv: 200, bias: 3, vth: 60, refractory: 1}}
inputs:
  - {name: in, size: 6, source: {kind: poisson, rate_hz: 300}}
projections:
  - {source: in, target: a, connect: {kind: fixed_probability, p: 0.5}, weight: {kind: uniform, low: 5, high: 25}}
  - {source: a, target: a, connect: {kind: fixed_probability, p: 0.2}, weight: {kind: uniform, low: -8, high: 15}}
"""


def test_cosim_cli_agrees(cli, tmp_path):
    net = tmp_path / "net.yaml"
    net.write_text(NET)
    proc = cli("cosim", "tiny-2x2", net, "--steps", "6", "--out", tmp_path / "out")
    assert "AGREE" in proc.stdout, proc.stdout
    rep = json.loads((tmp_path / "out" / "cosim.json").read_text())
    assert rep["agree"] is True and rep["model_backend"] == "cycle" and rep["cycles"] > 0
    assert "fifo_max_occupancy" in rep["fields_compared"]


def test_cosim_cli_bad_input(cli, tmp_path):
    proc = cli("cosim", "no-such-chip", "net.yaml", check=False)
    assert proc.returncode == 2 and "chip" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_cosim_cli_waves(cli, tmp_path):
    net = tmp_path / "net.yaml"
    net.write_text(NET)
    proc = cli("cosim", "tiny-2x2", net, "--steps", "2", "--waves", "--out", tmp_path / "out")
    assert "AGREE" in proc.stdout
    vcd = tmp_path / "out" / "cosim-waves" / "dump.vcd"
    assert vcd.is_file() and "u_router" in vcd.read_text()[:200000]
