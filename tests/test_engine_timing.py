"""Directed timing tests: every expected cycle count is derived by hand from
docs/microarchitecture.md in the comments, and checked on both engine modes.

Conventions used in the derivations: a flit pushed/granted in cycle c is visible from c+1;
"router j @c" means router j grants the flit in cycle c; the SI pops in cycle p and reads words
in p+1 .. p+n, idle from p+n+1; Q is the first quiescent cycle and T_{t+1} = Q + barrier.
"""
import dataclasses

import numpy as np
import pytest

from neurocycle.hw import load_chip
from neurocycle.sim import CompileOptions, NetworkBuilder, compile_network, run_cycle, run_reference

FIRE_ONCE = {"bias": 100, "vth": 100, "refractory": 7}   # fires at step 0, then refractory
SILENT = {"vth": 2000}
B = 3   # barrier cycles used throughout


def line_chip(width, height=1, **over):
    base = {"mesh.width": width, "mesh.height": height, "barrier_cycles": B, "router.fifo_depth": 2,
            "core.fifo_depth": 2, "core.synapse_lanes": 1}
    return load_chip("tiny-2x2").with_overrides({**base, **over})


def both(prog, stim):
    """Run fast and stepped; they must agree on everything; return the fast result."""
    fast = run_cycle(prog, stim)
    stepped = run_cycle(prog, stim, mode="stepped")
    ref = run_reference(prog, stim)
    assert np.array_equal(fast.spike_neurons, ref.spike_neurons)
    assert np.array_equal(fast.spike_steps, ref.spike_steps)
    assert np.array_equal(fast.step_cycles, stepped.step_cycles)
    assert np.array_equal(fast.spike_cycles, stepped.spike_cycles)
    for name, arr in fast.counters.items():
        assert np.array_equal(arr, stepped.counters[name]), name
    for name, arr in fast.detail.items():
        assert np.array_equal(arr, stepped.detail[name]), name
    return fast


def compiled(spec, chip, npc, steps):
    net = spec.instantiate()
    prog = compile_network(net, chip, CompileOptions(neurons_per_core=npc))
    return prog, net.stimulus(steps)


# --------------------------------------------------------------------------- one spike, k hops
@pytest.mark.parametrize("k", [0, 1, 3, 6])
def test_one_spike_crosses_k_hops(k):
    """Neuron 0 on core 0 drives one neuron on core k of a (k+1)x1 mesh (1 neuron per core).

    UPDATE(0) @0 fires; push into L @1; router 0 @2 (L->E, or L->L if k=0); router j @2+j;
    router k ejects @2+k; SI pops @3+k, reads its 1 word @4+k, idle from 5+k = Q.
    Every other NU is done from 1. Step 0 = Q + B cycles; step 1 (refractory, no spike): 1 + B.
    """
    b = NetworkBuilder("hops")
    b.population("src", 1, FIRE_ONCE)
    if k:
        b.population("rest", k, SILENT)
        b.connect("src", "rest", "explicit", pairs=[[0, k - 1]], weight=1)
    else:
        b.connect("src", "src", "explicit", pairs=[[0, 0]], weight=1)    # L -> L on a 1x1 mesh
    prog, stim = compiled(b.build(), line_chip(k + 1), npc=1, steps=2)
    r = both(prog, stim)
    assert r.step_cycles.tolist() == [5 + k + B, 1 + B]
    assert r.spike_cycles.tolist() == [0]
    assert r.detail["link_flits_port"][:, 2].tolist() == [1] * k + [0]          # E outputs
    assert r.detail["link_flits_port"][:, 0].tolist() == [0] * k + [1]          # ejection at core k
    assert r.counters["router_flits"].tolist() == [1] * (k + 1)
    assert r.counters["router_blocked_cycles"].sum() == 0
    assert r.counters["nu_busy_cycles"][0] == 1 + 1 + 1     # step 0: update + push; step 1: update
    assert r.counters["si_busy_cycles"][k] == 2             # pop + 1 word


@pytest.mark.parametrize("k", [0, 2, 5])
def test_host_flit_crosses_k_hops(k):
    """An input spike at step 0 to a neuron on core k: the host pushes into router 0's West FIFO
    @0; router 0 @1; router j @1+j; router k ejects @1+k; SI pops @2+k, word @3+k; Q = 4+k."""
    b = NetworkBuilder("host")
    b.population("p", k + 1, SILENT)
    b.array_input("x", 1, steps=[0], channels=[0])
    b.connect("x", "p", "explicit", pairs=[[0, k]], weight=1)
    prog, stim = compiled(b.build(), line_chip(k + 1), npc=1, steps=1)
    r = both(prog, stim)
    assert r.step_cycles.tolist() == [4 + k + B]
    assert int(r.counters["host_flits"]) == 1
    assert r.detail["link_flits_port"][:, 0].tolist() == [0] * k + [1]


# --------------------------------------------------------------------------- contention
@pytest.mark.parametrize("core_fifo", [1, 2])
def test_two_flits_contend_for_one_output(core_fifo):
    """3x1 mesh, 2 neurons per core. A = neuron 0 (core 0, local 0) and Bf = neuron 3 (core 1,
    local 1) both fire at step 0 and both drive neuron 4 (core 2).

    A:  UPDATE @0, push @1, router 0 L->E @2, in router 1's W FIFO from 3.
    Bf: core 1 UPDATE(0) @0 (silent), UPDATE(1) @1 fires, push @2, in router 1's L FIFO from 3.
    Cycle 3, router 1, output E: L and W both request. Arbiter pointer starts at 4 (W), so the
    scan is L, N, E, S, W: L (Bf) wins; W (A) is blocked one cycle.
    Bf: router 2 W->L @4. A: router 1 W->E @4 (router 2's W FIFO holds 1 < 2 at start of 4).
    core FIFO depth 2: A router 2 W->L @5 (core FIFO holds 1 < 2); SI pops Bf @5, word @6,
      pops A @7, word @8, idle from 9.
    core FIFO depth 1: at 5 the core FIFO is full (Bf) -> A blocked at router 2; SI pops Bf @5,
      so A is ejected @6; SI word of Bf @6, pops A @7, word @8, idle from 9.
    Q = 9 either way. NUs: cores 0, 1 done from 3, core 2 from 2.
    """
    # neuron ids: a = 0, q1 = 1..2, bf = 3, q2 = 4..5; neuron 4 is the common target
    b = NetworkBuilder("contend")
    b.population("a", 1, FIRE_ONCE)
    b.population("q1", 2, SILENT)
    b.population("bf", 1, FIRE_ONCE)
    b.population("q2", 2, SILENT)
    b.connect("a", "q2", "explicit", pairs=[[0, 0]], weight=1)
    b.connect("bf", "q2", "explicit", pairs=[[0, 0]], weight=1)
    prog, stim = compiled(b.build(), line_chip(3, **{"core.fifo_depth": core_fifo}), npc=2, steps=1)
    r = both(prog, stim)
    assert r.spike_neurons.tolist() == [0, 3]
    assert r.spike_cycles.tolist() == [0, 1]
    assert r.step_cycles.tolist() == [9 + B]
    blocked = r.detail["blocked_cycles_port"]
    assert blocked[1].tolist() == [0, 0, 0, 0, 1]          # router 1: W input waited one cycle
    assert blocked[2].tolist() == [0, 0, 0, 0, 1 if core_fifo == 1 else 0]
    assert r.counters["router_flits"].tolist() == [1, 2, 2]
    assert r.detail["fifo_max_occupancy"][2, 5] == 1


# --------------------------------------------------------------------------- NU stalls
def test_full_local_fifo_stalls_the_nu():
    """4x1 mesh, router FIFOs of depth 1, one neuron per core; neuron 0 fires with 3 fan-out
    flits (to cores 1, 2, 3, in core order).

    Push f0 @1. @2 the L FIFO still holds f0 at the start of the cycle (router 0 pops it @2, which
    frees the slot only from 3): stall. Push f1 @3, stall @4, push f2 @5: 2 stall cycles.
    f0: router 0 @2, router 1 ejects @3, SI1 pops @4, word @5.
    f1: visible @4, router 0 @4 (router 1's W FIFO emptied @3), router 1 @5, router 2 ejects @6.
    f2: visible @6, router 0 @6, router 1 @7, router 2 @8, router 3 ejects @9, SI3 pops @10,
        word @11, idle from 12 = Q.
    """
    b = NetworkBuilder("stall")
    b.population("src", 1, FIRE_ONCE)
    b.population("dst", 3, SILENT)
    b.connect("src", "dst", "all_to_all", weight=1)
    prog, stim = compiled(b.build(), line_chip(4, **{"router.fifo_depth": 1}), npc=1, steps=1)
    r = both(prog, stim)
    assert r.step_cycles.tolist() == [12 + B]
    assert r.counters["nu_stall_cycles"].tolist() == [2, 0, 0, 0]
    assert r.counters["nu_busy_cycles"].tolist() == [4, 1, 1, 1]
    assert r.counters["fanout_flits"].tolist() == [3, 0, 0, 0]
    assert r.counters["router_blocked_cycles"].sum() == 0
    assert r.detail["fifo_max_occupancy"][0, 0] == 1


# --------------------------------------------------------------------------- barrier
@pytest.mark.parametrize("barrier", [1, 4, 9])
@pytest.mark.parametrize("width,height", [(1, 1), (2, 2), (3, 1)])
def test_barrier_and_neuron_walk_length(barrier, width, height):
    """No spikes: each NU walks its neurons one per cycle from T_t; Q = T_t + (most neurons on
    any core); a timestep is Q - T_t + barrier cycles."""
    b = NetworkBuilder("walk")
    b.population("p", 5, SILENT)
    npc = 3 if width * height > 1 else 5
    prog, stim = compiled(b.build(), line_chip(width, height, barrier_cycles=barrier), npc=npc, steps=3)
    r = both(prog, stim)
    most = int(np.diff(prog.core_neuron_offset).max())
    assert r.step_cycles.tolist() == [most + barrier] * 3
    assert int(r.counters["cycles"]) == 3 * (most + barrier)
    assert int(r.counters["barriers"]) == 3


# --------------------------------------------------------------------------- SI: lanes and len = 0
def _si_program(lanes, first_axon_len0):
    """2x1 mesh, 3 neurons per core. Input channel 0 drives neuron 3 (core 1); channel 1 drives
    neurons 3, 4, 5 (one axon of 3 synapses at core 1). Both channels fire at step 0."""
    b = NetworkBuilder("si")
    b.population("p", 6, SILENT)
    b.array_input("x", 2, steps=[0, 0], channels=[0, 1])
    b.connect("x", "p", "explicit", pairs=[[0, 3], [1, 3], [1, 4], [1, 5]], weight=1)
    prog, stim = compiled(b.build(), line_chip(2, **{"core.synapse_lanes": lanes}), npc=3, steps=1)
    if first_axon_len0:
        # core 1's axons are sorted by source: channel 0's axon is the first one
        ax = int(prog.core_axon_offset[1])
        word = int(prog.core_word_offset[1] + prog.axon_base[ax])
        length = prog.axon_len.copy()
        length[ax] = 0           # its slots are then invalid too (syn_valid follows the axon table)
        prog = dataclasses.replace(prog, axon_len=length)
        assert not prog.syn_valid[word].any()
    return prog, stim


@pytest.mark.parametrize("lanes,len0,q", [
    # host pushes A @0 and Bf @1; routers: A 0@1, 1@2 (eject); Bf 0@2, 1@3 (eject; core FIFO 1 < 2).
    # SI pops A @3. A has 1 synapse = 1 word (@4) -> Bf popped @5; Bf has ceil(3/lanes) words.
    (1, False, 5 + 3 + 1),     # Bf words @6,7,8 -> idle from 9
    (2, False, 5 + 2 + 1),     # Bf words @6,7 -> 8
    (4, False, 5 + 1 + 1),     # Bf word @6 -> 7
    # A's axon has len = 0: no word, the SI is idle again from 4 and pops Bf @4
    (2, True, 4 + 2 + 1),      # Bf words @5,6 -> 7
    (1, True, 4 + 3 + 1),      # Bf words @5,6,7 -> 8
])
def test_si_words_lanes_and_empty_axon(lanes, len0, q):
    prog, stim = _si_program(lanes, len0)
    r = both(prog, stim)
    assert r.step_cycles.tolist() == [q + B]
    words_b = -(-3 // lanes)
    assert r.counters["axon_lookups"].tolist() == [0, 2]
    assert r.counters["synapse_word_reads"].tolist() == [0, (0 if len0 else 1) + words_b]
    assert r.counters["synaptic_ops"].tolist() == [0, (0 if len0 else 1) + 3]
    assert r.counters["si_busy_cycles"].tolist() == [0, 2 + (0 if len0 else 1) + words_b]


# --------------------------------------------------------------------------- SI: synapse_word_cycles
@pytest.mark.parametrize("lanes,len0,wc", [(1, False, 2), (2, False, 3), (4, False, 16), (2, True, 5), (1, True, 1)])
def test_si_word_cycles(lanes, len0, wc):
    """The program of test_si_words_lanes_and_empty_axon with each synapse word taking ``wc``
    cycles (docs/microarchitecture.md §5): SI pops A @3; A's one word occupies 4 .. 3+wc, so Bf is
    popped @4+wc; Bf's n = ceil(3/lanes) words occupy 5+wc .. 4+wc+n*wc; Q = 5 + wc + n*wc.
    With A's axon empty: A popped @3, Bf @4, Bf's words 5 .. 4+n*wc; Q = 5 + n*wc."""
    prog, stim = _si_program(lanes, len0)
    prog = dataclasses.replace(prog, chip=prog.chip.with_overrides({"core.synapse_word_cycles": wc}))
    r = both(prog, stim)
    n = -(-3 // lanes)
    q = 5 + n * wc + (0 if len0 else wc)
    assert r.step_cycles.tolist() == [q + B]
    words = (0 if len0 else 1) + n
    assert r.counters["synapse_word_reads"].tolist() == [0, words]
    assert r.counters["synaptic_ops"].tolist() == [0, (0 if len0 else 1) + 3]
    assert r.counters["si_busy_cycles"].tolist() == [0, 2 + words * wc]


# --------------------------------------------------------------------------- link directions, local
def test_link_directions_and_local_delivery():
    """2x2 mesh, one neuron per core; neuron 0 (core 0 = (0,0)) fires once and drives itself,
    neuron 1 (core 1 = (1,0)) and neuron 3 (core 3 = (1,1)).

    Flit to core 0: router 0 L->L (local, no link). Flit to core 1: router 0 L->E (one E-W hop),
    router 1 W->L. Flit to core 3: router 0 L->E, router 1 W->S (X first, then Y: one N-S hop),
    router 3 N->L. So router 0: 2 E-W, 0 N-S, 1 local; router 1: 0 E-W, 1 N-S; others none."""
    b = NetworkBuilder("dirs")
    b.population("p", 4, {"bias": 100, "vth": 100, "refractory": 7})
    b.connect("p", "p", "explicit", pairs=[[0, 0], [0, 1], [0, 3]], weight=0)
    prog, stim = compiled(b.build(), line_chip(2, 2), npc=1, steps=2)
    r = both(prog, stim)
    # every neuron fires at step 0 (bias = vth); only neuron 0 has fan-out
    assert r.counters["fanout_flits"].tolist() == [3, 0, 0, 0]
    assert r.counters["local_flits"].tolist() == [1, 0, 0, 0]
    assert r.counters["link_flits_ew"].tolist() == [2, 0, 0, 0]
    assert r.counters["link_flits_ns"].tolist() == [0, 1, 0, 0]
    assert np.array_equal(r.counters["link_flits"], r.counters["link_flits_ew"] + r.counters["link_flits_ns"])
