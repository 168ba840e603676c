"""nc_system, a grid of nc_chip instances joined by nc_c2c_link instances (docs/microarchitecture.md
§12): model vs RTL co-simulation, exact on spikes, spike cycles, cycles per timestep, every event
counter and every per-port detail array.

Default run: the tiny-quad system (a 2 x 2 grid of tiny-2x2 chips, 3-cycle links with 4-flit
receive buffers; one build) with a directed program whose timelines are derived by hand, a
recurrent network and a congested one. On demand (``-m slow``): random 2 x 1 and 2 x 2 systems
with random link parameters (latency 0..5, credit latency, serialiser, receive buffer) and
random chips, unicast or multicast, binary or graded."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from neurocycle.hw import load_system
from neurocycle.sim import CompileOptions, NetworkBuilder, compile_network
from neurocycle.sim._cosim import compare, run_rtl_many
from neurocycle.sim._engine import run_cycle

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "nc_chip"))
from nc_random_cases import random_network  # noqa: E402
from test_nc_chip import CONGESTED, RECURRENT  # noqa: E402

pytestmark = pytest.mark.rtl
SILENT = {"vth": 2000}


def cosim_system(cases):
    """cases: [(program, stimulus)] of one system. Runs the model and, in one simulator process,
    the RTL; fails on the first mismatch. Returns (models, rtls)."""
    models = [run_cycle(p, s) for p, s in cases]
    rtls = run_rtl_many(cases)
    for (p, _), m, r in zip(cases, models, rtls):
        mm = compare(m, r, p)
        assert mm is None, f"{p.system.name}: first mismatch: {mm}"
        assert r.counters is not None and r.step_cycles is not None
    return models, rtls


def _program(system, spec, steps, options=None):
    net = spec.instantiate() if hasattr(spec, "instantiate") else None
    if net is None:
        from neurocycle.sim import load_network
        sp, base = load_network(spec)
        net = sp.instantiate(base_dir=base)
    return compile_network(net, system, options), net.stimulus(steps)


def directed_two_links():
    """16 neurons, one per core (chip by chip: neuron 4 is system tile (2,0) on chip 1, neuron 12
    tile (2,2) on chip 3). Input 0 fires at step 0 into neuron 4, input 1 at step 1 into neuron 12.

    Step 0 (L = Lc = 3): host push @0; router (0,0) E @1; (1,0) E onto the link @2 -> (2,0).W @5;
    (2,0) L @6, its credit back @9; SI pops @7, word @8. Q = 10 (the credit home), barrier
    2 + 2 x 2 x 4 = 18 -> 28. Step 1 (T = 28): push @28; (0,0) E @29; (1,0) onto the link @30 ->
    (2,0).W @33; (2,0) S @34 (within chip 1; the first link's credit back @37); (2,1) S onto the
    link to chip 3 @35 -> (2,2).N @38; (2,2) L @39, its credit back @42; SI @40, @41. Q = 43 ->
    15 + 18 = 33. Step 2: the NUs walk one neuron: 19."""
    b = NetworkBuilder("two-links")
    b.population("p", 16, SILENT)
    b.array_input("x", 2, steps=[0, 1], channels=[0, 1])
    b.connect("x", "p", "explicit", pairs=[[0, 4], [1, 12]], weight=5)
    return b.build()


def test_tiny_quad_directed_and_networks():
    s = load_system("tiny-quad")
    cases = [_program(s, directed_two_links(), 3, CompileOptions(neurons_per_core=1)),
             _program(s, RECURRENT, 15), _program(s, CONGESTED, 8)]
    models, rtls = cosim_system(cases)
    assert rtls[0].step_cycles.tolist() == [28, 33, 19] == models[0].step_cycles.tolist()
    pf = rtls[0].detail["link_flits_port"]
    assert pf[1, 2] == 2 and pf[6, 3] == 1            # (1,0) E twice over the link, (2,1) S once
    assert models[1].n_spikes > 50 and models[2].n_spikes > 100
    lk = s.derived.links
    crossed = sum(int(rtls[2].detail["link_flits_port"][r, o]) for r, o in zip(lk.src, lk.out_port))
    assert crossed > 100                                # real traffic over the chip-to-chip links
    assert int(rtls[2].counters["router_blocked_cycles"].sum()) > 100


def random_system(seed: int, grid=(2, 2)):
    """A random small chip (as the chip co-simulation draws them; capacities raised so that a
    random network of the whole system fits) in a grid, with random links."""
    from nc_random_cases import random_chip
    r = np.random.default_rng([seed, 9])
    chip = random_chip(seed, max_w=2, max_h=2, noc=bool(seed % 2)).with_overrides(
        {"core.axons": 1024, "core.synapse_words": 8192, "core.fanout_entries": 2048, "bits.accumulator": 28})
    fields = {"link_latency_cycles": int(r.integers(0, 6)), "link_credit_latency_cycles": int(r.integers(0, 5)),
              "link_cycles_per_flit": int(r.integers(1, 4)), "link_buffer_flits": int(r.integers(1, 6))}
    return load_system({"chip": chip.model_dump(mode="json"), "grid": {"width": grid[0], "height": grid[1]},
                        **fields})


@pytest.mark.slow
@pytest.mark.parametrize("seed, grid", [(s, (2, 1) if s % 3 == 0 else (2, 2)) for s in range(3000, 3012)])
def test_random_systems(seed, grid):
    """12 random systems (chips of up to 2 x 2 tiles, random NoC, payloads and links), 2 networks
    each (one congested)."""
    s = random_system(seed, grid)
    specs = [random_network(s.mesh_chip, seed * 10 + j, congested=bool(j)) for j in range(2)]
    place = CompileOptions(placement=["balanced", "sequential", "snake"][seed % 3])
    cosim_system([_program(s, spec, 10, place) for spec in specs])


@pytest.mark.slow
def test_system_with_delays_and_stdp():
    """Delays and STDP on a 2 x 2 system (tiny-2x2 chips with delay slots and STDP, 2-cycle links):
    the learning engines of every chip start at the system's quiescence and the system barrier
    waits for all of them (microarchitecture.md §11.2, §12.4); model == RTL on spikes, cycles,
    every counter and the final weights."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from test_delays_learning import delay_net, plastic_net
    chip = load_system("tiny-quad").chip.with_overrides({"core.learning": "stdp", "core.delay_slots": 3,
                                                          "bits.weight": 8, "bits.accumulator": 24})
    s = load_system({"chip": chip.model_dump(mode="json"), "grid": {"width": 2, "height": 2},
                     "link_latency_cycles": 2, "link_buffer_flits": 2})
    models, rtls = cosim_system([_program(s, plastic_net(3, 40, D=3), 12), _program(s, delay_net(5, 30, 3), 10)])
    assert models[0].weights is not None and (models[0].weights != rtls[0].weights).sum() == 0
    assert int(rtls[0].counters["learning_cycles"].sum()) > 0 and models[1].n_spikes > 0
