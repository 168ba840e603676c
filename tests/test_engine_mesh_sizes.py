"""Every mesh size the schema allows (1..64 x 1..64): fast engine == literal stepped model ==
functional reference (issue #19: the fast engine hung on widths 32..63), and the fast engine's
watchdog stops a timestep that runs past its proven bound instead of spinning forever."""
import numpy as np
import pytest

from neurocycle.hw import EngineError, layout, load_chip
from neurocycle.sim import CompileOptions, NetworkBuilder, compile_network, run_cycle, run_reference

from test_engine import assert_identical, assert_same_spikes

EDGES = (1, 2, 31, 32, 33, 63, 64)
ONE_PER_CORE = CompileOptions(placement="sequential", neurons_per_core=1)


def mesh_chip(width, height, host_row=0, **over):
    return load_chip("tiny-2x2").with_overrides({
        "mesh.width": width, "mesh.height": height, "host.row": host_row, "core.neurons": 1,
        "core.axons": 8, "core.synapse_words": 8, "core.fanout_entries": 256, **over})


def edge_net(width, height, seed=0):
    """One neuron per core. An input channel firing every timestep drives the four corner
    neurons over threshold (host flits to the corners); (0,0) targets every core of the last
    row and the last column, (W-1,H-1) every core of the first row and column, the two other
    corners each other. So flits travel to every column and every row, far edges included."""
    n = width * height
    k = lambda x, y: y * width + x  # noqa: E731
    corners = sorted({k(0, 0), k(width - 1, 0), k(0, height - 1), k(width - 1, height - 1)})
    far_first = {k(x, height - 1) for x in range(width)} | {k(width - 1, y) for y in range(height)}
    far_last = {k(x, 0) for x in range(width)} | {k(0, y) for y in range(height)}
    pairs = [(k(0, 0), t) for t in sorted(far_first)] + [(k(width - 1, height - 1), t) for t in sorted(far_last)]
    pairs += [(k(width - 1, 0), k(0, height - 1)), (k(0, height - 1), k(width - 1, 0))]
    b = NetworkBuilder(f"edges-{width}x{height}", seed=seed)
    b.population("a", n, {"vth": 30, "dv": 100})
    b.regular_input("drive", 1, period_steps=1)
    b.connect("drive", "a", "explicit", pairs=[[0, c] for c in corners], weight=31)
    b.connect("a", "a", "explicit", pairs=[list(p) for p in pairs], weight=9)
    return b.build()


def check_mesh(width, height, steps=3, host_row=0, stepped=True):
    chip = mesh_chip(width, height, host_row)
    net = edge_net(width, height).instantiate()
    prog = compile_network(net, chip, ONE_PER_CORE)
    stim = net.stimulus(steps)
    ref, fast = run_reference(prog, stim), run_cycle(prog, stim)
    assert_same_spikes(ref, fast)
    assert fast.n_spikes > 0
    # every row and every column of the mesh ejected a flit (the far edges included)
    ej = fast.detail["link_flits_port"][:, 0].reshape(height, width)
    assert (ej.sum(axis=1) > 0).all() and (ej.sum(axis=0) > 0).all()
    if stepped:
        assert_identical(fast, run_cycle(prog, stim, mode="stepped"))
    return fast


def test_two_neurons_on_a_33_wide_mesh():
    """The report: one synapse 0 -> 1 on a 33x1 mesh, neurons on different tiles."""
    b = NetworkBuilder("pair")
    b.population("a", 1, {"vth": 5, "bias": 10})
    b.population("b", 1, {"vth": 1000})
    b.connect("a", "b", "all_to_all", weight=5)
    chip = mesh_chip(33, 1)
    net = b.build().instantiate()
    prog = compile_network(net, chip, ONE_PER_CORE)
    stim = net.stimulus(3)
    fast, stepped = run_cycle(prog, stim), run_cycle(prog, stim, mode="stepped")
    assert_same_spikes(run_reference(prog, stim), fast)
    assert_identical(fast, stepped)
    assert fast.counters["synaptic_ops"][1] == 3


@pytest.mark.parametrize("width", EDGES)
def test_every_edge_width(width):
    for height in (1, 2):
        check_mesh(width, height)


@pytest.mark.parametrize("height", EDGES)
def test_every_edge_height(height):
    for width in (1, 2):
        check_mesh(width, height, host_row=height - 1)


@pytest.mark.parametrize("width,height", [(33, 33), (63, 31), (32, 63)])
def test_large_two_dimensional_meshes(width, height):
    check_mesh(width, height, steps=2, host_row=height // 2)


def test_largest_mesh_against_the_reference():
    check_mesh(64, 64, steps=3, host_row=63, stepped=False)


@pytest.mark.slow
def test_largest_mesh_against_the_stepped_model():
    check_mesh(64, 64, steps=2, host_row=17)


@pytest.mark.parametrize("seed", range(4))
def test_random_mesh_sizes_over_the_whole_range(seed):
    """Mesh sizes drawn from all of 1..64 x 1..64, random FIFO depths and host row; the stepped
    model joins in where it is quick (up to 1024 tiles)."""
    rng = np.random.default_rng([19, seed])
    w, h = (int(v) for v in rng.integers(1, 65, size=2))
    over = {"router.fifo_depth": int(rng.integers(1, 5)), "core.fifo_depth": int(rng.integers(1, 5)),
            "barrier_cycles": int(rng.integers(1, 9))}
    chip = mesh_chip(w, h, int(rng.integers(0, h)), **over)
    net = edge_net(w, h, seed).instantiate()
    prog = compile_network(net, chip, ONE_PER_CORE)
    stim = net.stimulus(3)
    fast = run_cycle(prog, stim)
    assert_same_spikes(run_reference(prog, stim), fast)
    if w * h <= 1024:
        assert_identical(fast, run_cycle(prog, stim, mode="stepped"))


def test_state_bits_32_match_the_reference():
    """The widest state the schema allows (the kernel's saturation bounds need 64-bit shifts)."""
    b = NetworkBuilder("wide", seed=3)
    b.population("a", 40, {"vth": 1 << 30, "bias": 1 << 29, "dv": 10, "refractory": 1})
    b.poisson_input("x", 4, rate_hz=300)
    b.connect("x", "a", "fixed_probability", p=0.5, weight=100)
    chip = load_chip("tiny-2x2").with_overrides({"bits.state": 32, "bits.weight": 8, "core.neurons": 16})
    net = b.build().instantiate()
    prog = compile_network(net, chip)
    stim = net.stimulus(6)
    fast = run_cycle(prog, stim)
    assert_same_spikes(run_reference(prog, stim), fast)
    assert fast.n_spikes > 0


# --------------------------------------------------------------------------- watchdog
def _ping_pong(monkeypatch):
    """A deliberately broken kernel input: a routing table that sends every flit east at x = 0
    and west at x = 1, so a flit bounces between two routers for ever."""
    from neurocycle.sim import _engine

    real = _engine._kernel_inputs

    def broken(p, stim):
        a = real(p, stim)
        rt = a["RT"].copy()
        stride = rt.size // 2
        rt[:stride] = _engine.P_E
        rt[stride:] = _engine.P_W
        a["RT"] = rt
        return a

    monkeypatch.setattr(_engine, "_kernel_inputs", broken)
    b = NetworkBuilder("pp")
    b.population("a", 2, {"vth": 1000})
    b.array_input("x", 1, steps=[1], channels=[0])
    b.connect("x", "a", "explicit", pairs=[[0, 1]], weight=3)
    net = b.build().instantiate()
    return compile_network(net, mesh_chip(2, 1), ONE_PER_CORE), net.stimulus(3)


def test_watchdog_stops_a_timestep_past_its_bound(monkeypatch):
    prog, stim = _ping_pong(monkeypatch)
    with pytest.raises(EngineError, match=r"timestep 1 ran past its proven bound of [\d,]+ cycles.*bug"):
        run_cycle(prog, stim)


def test_watchdog_bound_holds_on_a_congested_chip():
    """The bound is a true upper bound: the worst timestep of a saturated 1-deep mesh stays
    below half of it (the bound is twice the proven work bound)."""
    from neurocycle.sim._bounds import step_cycle_bounds
    from neurocycle.sim._cycle import host_flits

    b = NetworkBuilder("hot", seed=2)
    b.population("a", 64, {"vth": 10, "bias": 12, "refractory": 0})
    b.poisson_input("x", 8, rate_hz=900)
    b.connect("x", "a", "all_to_all", weight=5)
    b.connect("a", "a", "all_to_all", weight=1)
    chip = load_chip("tiny-2x2").with_overrides({"router.fifo_depth": 1, "core.fifo_depth": 1, "core.neurons": 16,
                                                 "core.axons": 128, "core.synapse_words": 2048,
                                                 "core.fanout_entries": 256, "bits.accumulator": 24})
    net = b.build().instantiate()
    prog = compile_network(net, chip)
    stim = net.stimulus(4)
    fast = run_cycle(prog, stim)
    bounds = step_cycle_bounds(prog, *host_flits(prog, stim))
    assert (fast.step_cycles * 2 <= bounds).all()
    assert fast.counters["router_blocked_cycles"].sum() > 1000


# --------------------------------------------------------------------------- the general router path
def check_noc_mesh(width, height, cores, routing, steps=3, host_row=0, stepped=True):
    """The edge network over the core grid (core columns x rows: neuron k on core k) on a mesh of
    ``cores`` cores per router with ``routing``: the general router path at the mesh limits."""
    chip = mesh_chip(width, height, host_row, **{"mesh.cores_per_router": cores, "router.routing": routing,
                                                 "router.table_entries": 4096, "core.axons": 4096})
    net = edge_net(width * cores, height).instantiate()
    prog = compile_network(net, chip, ONE_PER_CORE)
    stim = net.stimulus(steps)
    ref, fast = run_reference(prog, stim), run_cycle(prog, stim)
    assert_same_spikes(ref, fast)
    assert fast.n_spikes > 0
    lp = [layout.local_port(j) for j in range(cores)]
    ej = fast.detail["link_flits_port"][:, lp].sum(axis=1).reshape(height, width)
    assert (ej.sum(axis=1) > 0).all() and (ej.sum(axis=0) > 0).all()
    if routing == "multicast" and width * height * cores > 1:
        assert fast.counters["mc_table_lookups"].sum() > 0
    if stepped:
        assert_identical(fast, run_cycle(prog, stim, mode="stepped"))
    return fast


@pytest.mark.parametrize("width", EDGES)
def test_multicast_every_edge_width(width):
    for height in (1, 2):
        check_noc_mesh(width, height, 1, "multicast")


@pytest.mark.parametrize("width,cores", [(1, 4), (16, 2), (17, 2), (31, 2), (32, 2), (33, 2), (16, 4), (32, 3)])
def test_concentration_wide_meshes(width, cores):
    for routing in ("unicast", "multicast"):
        check_noc_mesh(width, 2, cores, routing, host_row=1)


def test_multicast_largest_mesh_against_the_reference():
    check_noc_mesh(64, 64, 1, "multicast", steps=2, host_row=40, stepped=False)
    check_noc_mesh(32, 32, 4, "multicast", steps=2, host_row=5, stepped=False)
