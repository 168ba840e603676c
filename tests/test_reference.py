"""The functional reference and the fixed-point neuron, against hand-computed traces."""
import numpy as np

from neurocycle.hw import decay, lif_step, load_chip, saturate
from neurocycle.sim import NetworkBuilder, compile_network, run_reference, simulate


def one(u, v, ref, I, *, du=0, dv=0, bias=0, vth=100, v_reset=0, refractory=0, w_exp=0, bits=16):
    a = lambda x: np.array([x], dtype=np.int64)  # noqa: E731
    out = lif_step(a(u), a(v), a(ref), a(I), a(du), a(dv), a(bias), a(vth), a(v_reset), a(refractory), a(w_exp), bits)
    return tuple(int(x[0]) for x in out)


def test_decay_truncates_toward_zero():
    assert decay(np.array([1000]), np.array([410]))[0] == 899      # 1000*3686/4096 = 899.9
    assert decay(np.array([-1000]), np.array([410]))[0] == -899    # not -900: toward zero
    assert decay(np.array([7]), np.array([0]))[0] == 7             # d = 0: no decay
    assert decay(np.array([4095]), np.array([4095]))[0] == 0       # 4095/4096 -> 0
    assert decay(np.array([-1]), np.array([1]))[0] == 0            # -4095/4096 -> 0, not -1


def test_saturation_at_both_rails():
    assert saturate(np.array([200, -200, 5]), 8).tolist() == [127, -128, 5]
    # u saturates at +127 with 8-bit state; v saturates at 127 too, which reaches vth = 127
    assert one(100, 0, 0, 100, vth=127, v_reset=3, bits=8) == (127, 3, 0, 1)
    assert one(100, 100, 0, 100, dv=0, bias=100, vth=127, bits=8)[3] == 1
    u, v, ref, s = one(-100, -100, 0, -100, vth=127, bits=8)
    assert (u, v, s) == (-128, -128, 0)
    # the shift by w_exp happens before saturation: 20 << 3 = 160 -> 127
    assert one(0, 0, 0, 20, w_exp=3, vth=1000, bits=8)[0] == 127


def test_update_order_uses_new_u():
    # u' = decay(10, 2048) + 6 = 5 + 6 = 11; v' = decay(40, 1024) + 11 + 2 = 30 + 13 = 43
    assert one(10, 40, 0, 6, du=2048, dv=1024, bias=2, vth=100) == (11, 43, 0, 0)


def test_threshold_equality_fires_and_resets():
    assert one(0, 0, 0, 100, vth=100, v_reset=-5, refractory=3) == (100, -5, 3, 1)
    assert one(0, 0, 0, 99, vth=100) == (99, 99, 0, 0)


def test_refractory_holds_v_and_counts_down():
    # in refractory: u still integrates, v unchanged, counter decrements, no spike
    assert one(0, -5, 2, 50, vth=10, v_reset=-5) == (50, -5, 1, 0)
    assert one(50, -5, 1, 0, vth=10, v_reset=-5) == (50, -5, 0, 0)
    # counter reached 0: integrates again
    u, v, ref, s = one(50, -5, 0, 0, vth=10, v_reset=-5)
    assert (u, v, ref, s) == (50, -5, 0, 1)  # -5 + 50 = 45 >= 10: fires, v <- v_reset


def _bias_net(bias, vth, refractory=0, steps=12):
    b = NetworkBuilder("bias")
    b.population("p", 1, {"bias": bias, "vth": vth, "refractory": refractory})
    run = simulate("tiny-2x2", b.build(), steps=steps, backend="reference")
    return run.result.spike_steps.tolist()


def test_reference_bias_trace_by_hand():
    # v: 30, 60, 90, 120>=100 fire@3 -> 0; 30, 60, 90, 120 fire@7; fire@11
    assert _bias_net(30, 100) == [3, 7, 11]
    # refractory 2: fire@3, steps 4,5 held at 0, then 30,60,90,120 at 6..9 -> fire@9
    assert _bias_net(30, 100, refractory=2) == [3, 9]
    # threshold equality: 25, 50, 75, 100 -> fire@3
    assert _bias_net(25, 100) == [3, 7, 11]


def test_one_timestep_synaptic_delay():
    b = NetworkBuilder("delay")
    b.population("a", 1, {"bias": 100, "vth": 100})     # fires every step
    b.population("b", 1, {"vth": 10, "du": 4095})        # fires the step after a's spike arrives
    b.array_input("x", 1, steps=[0], channels=[0])
    b.population("c", 1, {"vth": 10, "du": 4095})
    b.connect("a", "b", "all_to_all", weight=20)
    b.connect("x", "c", "all_to_all", weight=20)
    run = simulate("tiny-2x2", b.build(), steps=4, backend="reference")
    got = list(zip(run.result.spike_steps.tolist(), run.result.spike_neurons.tolist()))
    # a (id 0) fires at 0..3; b (id 1) from step 1 on; input at step 0 -> c (id 2) at step 1 only
    assert got == [(0, 0), (1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (3, 0), (3, 1)]


def test_cython_kernel_matches_numpy_specification():
    from neurocycle.core import _lif

    rng = np.random.default_rng(0)
    n, bits = 5000, 12
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    profiles = np.stack([rng.integers(0, 4096, 8), rng.integers(0, 4096, 8), rng.integers(-50, 50, 8),
                         rng.integers(-100, 1500, 8), rng.integers(-200, 200, 8), rng.integers(0, 4, 8),
                         rng.integers(0, 4, 8)], axis=1).astype(np.int64)
    idx = rng.integers(0, 8, n).astype(np.int32)
    u = rng.integers(lo, hi + 1, n).astype(np.int64)
    v = rng.integers(lo, hi + 1, n).astype(np.int64)
    ref = rng.integers(0, 4, n).astype(np.int64)
    for _ in range(20):
        acc = rng.integers(-3000, 3000, n).astype(np.int64)
        p = profiles[idx]
        want = lif_step(u, v, ref, acc, *(p[:, i] for i in range(7)), bits)
        spiked = np.zeros(n, np.uint8)
        count = _lif.lif_update(u, v, ref, acc, idx, profiles, bits, spiked)
        assert np.array_equal(u, want[0]) and np.array_equal(v, want[1]) and np.array_equal(ref, want[2])
        assert np.array_equal(spiked.astype(bool), want[3]) and count == want[3].sum()
        assert not acc.any()  # the accumulator is cleared, as the NU does


def test_determinism_same_seed_same_spikes():
    a = simulate(None, None, steps=60, seed=5, backend="reference").result
    b = simulate(None, None, steps=60, seed=5, backend="reference").result
    c = simulate(None, None, steps=60, seed=6, backend="reference").result
    assert np.array_equal(a.spike_steps, b.spike_steps) and np.array_equal(a.spike_neurons, b.spike_neurons)
    assert a.n_spikes > 0
    assert not (a.n_spikes == c.n_spikes and np.array_equal(a.spike_neurons, c.spike_neurons))


def test_placement_does_not_change_spikes():
    from neurocycle.sim import CompileOptions, load_network
    spec, base = load_network(None)
    net = spec.instantiate(base_dir=base)
    stim = net.stimulus(40)
    chip = load_chip(None)
    r1 = run_reference(compile_network(net, chip), stim)
    r2 = run_reference(compile_network(net, chip, CompileOptions(placement="snake", neurons_per_core=100)), stim)
    assert np.array_equal(r1.spike_neurons, r2.spike_neurons) and np.array_equal(r1.spike_steps, r2.spike_steps)
