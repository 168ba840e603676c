"""Issue #17: `neurocycle vectors` writes the documented format (docs/vectors.md) with the run's
own numbers, and the scoreboard's in-order checker (neurocycle.rtl._scoreboard) catches every
kind of disagreement. The RTL demonstration is tests/rtl/test_rtl_vectors.py."""
import hashlib
import json
from collections import deque

import numpy as np

from neurocycle.hw import PORT_NAMES
from neurocycle.sim import simulate


def test_vectors_are_the_runs_numbers(cli, tmp_path):
    out = tmp_path / "vec"
    proc = cli("vectors", "tiny-2x2", "tiny-recurrent", "--steps", "6", "--out", out)
    assert "router-port flits" in proc.stdout
    meta = json.loads((out / "vectors.json").read_text())
    assert meta["neurocycle_vectors"] == 1 and meta["ports"] == list(PORT_NAMES) and meta["timesteps"] == [0, 6]
    for name, digest in meta["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    run = simulate("tiny-2x2", "tiny-recurrent", steps=6)
    W = run.chip.mesh.width
    ports = [ln.split("\t") for ln in (out / "ports.tsv").read_text().splitlines()[1:]]
    pf = np.zeros((run.program.n_cores, 5), np.int64)
    for c, x, y, p, fl in ports:
        pf[int(y) * W + int(x), PORT_NAMES.index(p)] += 1
        int(fl, 16)
    assert np.array_equal(pf, run.result.detail["link_flits_port"])
    cycles = [int(r[0]) for r in ports]
    assert cycles == sorted(cycles) and cycles[-1] < run.total_cycles
    cores = [ln.split("\t") for ln in (out / "cores.tsv").read_text().splitlines()[1:]]
    c = run.counters
    assert sum(r[3] == "push" for r in cores) == c["fanout_flits"].sum()
    spikes = sorted(int(r[0]) for r in cores if r[3] == "spike")
    assert spikes == sorted(run.result.spike_cycles.tolist())
    assert len((out / "host.tsv").read_text().splitlines()) - 1 == int(c["host_flits"])
    steps = [list(map(int, ln.split("\t"))) for ln in (out / "steps.tsv").read_text().splitlines()[1:]]
    assert [s[3] - s[1] for s in steps] == run.step_cycles.tolist()


def test_vectors_refuse_bad_windows_and_sizes(cli, tmp_path):
    proc = cli("vectors", "tiny-2x2", "tiny-recurrent", "--steps", "4", "--window", "3:9", "--out", tmp_path / "v",
               check=False)
    assert proc.returncode == 2 and "--window" in proc.stderr and "Fix:" in proc.stderr
    proc = cli("vectors", "default-4x4", "default-net", "--steps", "12", "--max-mb", "0.01", "--out", tmp_path / "v",
               check=False)
    assert proc.returncode == 2 and "--window" in proc.stderr and "--max-mb" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "v").exists()


def test_in_order_checker_catches_every_kind_of_disagreement():
    from neurocycle.rtl._scoreboard import InOrderChecker

    exp = [(5, 0xA), (6, 0xB), (9, 0xC)]

    def run(observed, check_cycles=True):
        ch = InOrderChecker("s", deque(exp), check_cycles)
        for c, v in observed:
            ch.observe(c, v)
        ch.finish()
        return ch.first_mismatch

    assert run(exp) is None
    assert run([(5, 0xA), (7, 0xB), (9, 0xC)])["expected"] == [6, 0xB]          # a cycle late
    assert run([(5, 0xA), (7, 0xB), (10, 0xC)], check_cycles=False) is None      # order only
    assert run([(5, 0xA), (6, 0xD)])["got"] == [6, 0xD]                          # a changed flit
    assert run([(5, 0xA), (6, 0xB)])["missing"] == 1                              # one never came
    assert run(exp + [(12, 0xE)])["expected"] is None                             # one too many
    assert run([(6, 0xB), (5, 0xA)])["got"] == [6, 0xB]                          # reordered
