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


def test_kernel_arithmetic_at_the_saturation_corners():
    """The kernel's fixed-point arithmetic (cython_core/_fixed.pxd) against the numpy specification
    where it is hardest: 8-bit state saturating on both rails, extreme decays, large w_exp, big
    negative and positive inputs. Any difference in u or v shows up in the spike trains."""
    from neurocycle.sim import CompileOptions, NetworkBuilder, run_cycle
    rng = np.random.default_rng(4)
    b = NetworkBuilder("corners", seed=4)
    for i in range(12):
        b.population(f"p{i}", 8, {"du": int(rng.choice([0, 1, 2048, 4094, 4095])),
                                  "dv": int(rng.choice([0, 1, 3000, 4095])), "bias": int(rng.integers(-60, 60)),
                                  "vth": int(rng.integers(-20, 127)), "v_reset": int(rng.integers(-128, 20)),
                                  "refractory": int(rng.integers(0, 4)), "w_exp": int(rng.integers(0, 8))})
        b.connect("x", f"p{i}", "fixed_probability", p=0.5, weight={"kind": "uniform", "low": -128, "high": 127})
    b.poisson_input("x", 16, rate_hz=500)
    chip = load_chip("tiny-2x2").with_overrides({"bits.state": 8, "bits.weight": 8, "bits.accumulator": 20,
                                                 "core.neurons": 32, "core.synapse_words": 1024})
    net = b.build().instantiate()
    prog = compile_network(net, chip, CompileOptions(placement="sequential"))
    stim = net.stimulus(60)
    ref, fast = run_reference(prog, stim), run_cycle(prog, stim)
    assert np.array_equal(ref.spike_steps, fast.spike_steps) and np.array_equal(ref.spike_neurons, fast.spike_neurons)
    assert 200 < ref.n_spikes < 96 * 60 * 0.9      # neither silent nor saturated into firing always


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
