"""The model-vs-RTL comparison names the first mismatch: timestep, tile, cycle, field,
expected, actual — in time order, then counters and per-port detail. (No simulator needed.)"""
import copy

import numpy as np
import pytest

from neurocycle.sim import prepare
from neurocycle.sim._cosim import compare
from neurocycle.sim._engine import run_cycle

NET = {"name": "cmp", "seed": 1,
       "populations": [{"name": "a", "size": 24, "neuron": {"model": "lif_fixed", "bias": 3, "vth": 20, "dv": 300}}],
       "inputs": [{"name": "in", "size": 4, "source": {"kind": "poisson", "rate_hz": 300}}],
       "projections": [{"source": "in", "target": "a", "connect": {"kind": "all_to_all"}, "weight": 4},
                       {"source": "a", "target": "a", "connect": {"kind": "fixed_probability", "p": 0.2},
                        "weight": 3}]}


@pytest.fixture(scope="module")
def run():
    _, _, _, prog, stim, _ = prepare("tiny-2x2", NET, steps=6)
    res = run_cycle(prog, stim)
    assert res.spikes_per_step()[3:].min() > 5
    return prog, res


def test_identical_results_agree(run):
    prog, res = run
    assert compare(res, copy.deepcopy(res), prog) is None


def test_spike_cycle_mismatch(run):
    prog, res = run
    bad = copy.deepcopy(res)
    j = int(np.flatnonzero(bad.spike_steps == 3)[0])
    bad.spike_cycles[j] += 1
    mm = compare(res, bad, prog)
    g = int(res.spike_neurons[j])
    assert (mm.timestep, mm.field, mm.cycle) == (3, "spike_cycle", int(res.spike_cycles[j]))
    k = int(np.searchsorted(prog.core_neuron_offset, prog.gid_row[g], side="right") - 1)
    assert mm.tile == k and str(g) in str(mm.expected) and str(g) in str(mm.actual)
    assert f"timestep 3, tile {k}" in str(mm)


def test_missing_spike_is_first_in_time(run):
    prog, res = run
    bad = copy.deepcopy(res)
    later = np.flatnonzero(bad.spike_steps == 5)[0]
    bad.step_cycles[4] += 1                     # an earlier step differs too -> reported first
    keep = np.ones(bad.spike_steps.size, bool)
    keep[later] = False
    bad.spike_steps, bad.spike_neurons, bad.spike_cycles = (bad.spike_steps[keep], bad.spike_neurons[keep],
                                                            bad.spike_cycles[keep])
    mm = compare(res, bad, prog)
    assert (mm.timestep, mm.field, mm.tile) == (4, "step_cycles", None)
    assert (mm.expected, mm.actual) == (int(res.step_cycles[4]), int(res.step_cycles[4]) + 1)
    bad.step_cycles[4] -= 1                     # now the missing spike of step 5 is the first
    mm = compare(res, bad, prog)
    assert (mm.timestep, mm.field, mm.actual) == (5, "spike", "no spike")


def test_counter_and_detail_mismatch(run):
    prog, res = run
    bad = copy.deepcopy(res)
    bad.counters["synaptic_ops"][3] += 2
    mm = compare(res, bad, prog)
    assert (mm.timestep, mm.tile, mm.field) == (None, 3, "synaptic_ops")
    assert mm.actual == mm.expected + 2
    bad = copy.deepcopy(res)
    bad.detail["fifo_max_occupancy"][1, 5] += 1
    mm = compare(res, bad, prog)
    assert (mm.tile, mm.field) == (1, "fifo_max_occupancy[core]")
    bad = copy.deepcopy(res)
    bad.counters["cycles"] = np.array(int(bad.counters["cycles"]) + 1)
    assert compare(res, bad, prog).field == "cycles"
