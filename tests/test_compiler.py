"""Compiler: tables mean what the network says; every capacity is checked with a clear error."""
import numpy as np
import pytest

from neurocycle.hw import PROFILE_FIELDS, CapacityError, ConfigError, load_chip
from neurocycle.sim import CompileOptions, NetworkBuilder, compile_network, effective_connectivity, load_network


def chip(**over):
    return load_chip("tiny-2x2").with_overrides(over)


def small_net(n=40, k=5, w=3, n_in=4, vth=50, seed=0):
    b = NetworkBuilder("t", seed=seed)
    b.population("p", n, {"vth": vth, "dv": 100, "du": 500})
    b.poisson_input("x", n_in, rate_hz=200)
    b.connect("x", "p", "fixed_probability", p=0.5, weight=w)
    b.connect("p", "p", "fixed_out_degree", k=k, weight={"kind": "uniform", "low": -w, "high": w})
    return b.build().instantiate()


def test_tables_reproduce_the_network_synapses():
    net = small_net()
    for lanes in (1, 3):
        p = compile_network(net, chip(**{"core.synapse_lanes": lanes}))
        off, tgt_row, w = effective_connectivity(p)
        src = np.repeat(np.arange(off.size - 1), np.diff(off))
        # sources in the program: inputs first, then placed rows -> back to network source ids
        is_row = src >= p.n_inputs
        net_src = src.copy()
        net_src[is_row] = p.n_inputs + p.row_gid[src[is_row] - p.n_inputs]
        got = sorted(zip(net_src.tolist(), p.row_gid[tgt_row].tolist(), w.tolist()))
        want = sorted(zip(net.syn_source.tolist(), net.syn_target.tolist(), net.syn_weight.tolist()))
        assert got == want


def test_placement_strategies():
    net = small_net(n=40)
    p = compile_network(net, chip())  # balanced: 10 per core
    assert np.diff(p.core_neuron_offset).tolist() == [10, 10, 10, 10]
    p = compile_network(net, chip(), CompileOptions(placement="sequential"))
    assert np.diff(p.core_neuron_offset).tolist() == [16, 16, 8, 0]
    p = compile_network(net, chip(), CompileOptions(placement="snake", neurons_per_core=16))
    # snake order on 2x2: cores 0, 1, 3, 2
    assert np.diff(p.core_neuron_offset).tolist() == [16, 16, 0, 8]


def test_too_many_neurons():
    with pytest.raises(CapacityError) as e:
        compile_network(small_net(n=70), chip())
    msg = str(e.value)
    assert "70 neurons" in msg and "4 cores x 16 = 64" in msg and "over by 6" in msg and "at least 5 cores" in msg


def test_axon_overflow():
    with pytest.raises(CapacityError, match=r"core.axons.*needs \d+ axons.*core.axons is 8.*over by"):
        compile_network(small_net(), chip(**{"core.axons": 8}))


def test_synapse_word_overflow():
    with pytest.raises(CapacityError, match=r"core.synapse_words.*over by.*raise core.synapse_words"):
        compile_network(small_net(k=10), chip(**{"core.synapse_words": 20}))


def test_fanout_overflow():
    with pytest.raises(CapacityError, match=r"core.fanout_entries.*fan-out entries.*over by"):
        compile_network(small_net(k=10), chip(**{"core.fanout_entries": 5}))


def test_profile_overflow():
    b = NetworkBuilder()
    for i in range(5):
        b.population(f"p{i}", 2, {"vth": 10 + i})
    with pytest.raises(CapacityError, match=r"core.profiles.*5 distinct.*core.profiles is 4"):
        compile_network(b.build().instantiate(), chip(), CompileOptions(placement="sequential"))


def test_weight_out_of_range():
    with pytest.raises(CapacityError, match=r"weight 40 does not fit 6-bit signed weights \(-32..31\).*bits.weight to 7"):
        compile_network(small_net(w=40), chip())


def test_accumulator_overflow():
    with pytest.raises(CapacityError, match=r"bits.accumulator.*fan-in x \|weight\|.*raise bits.accumulator"):
        compile_network(small_net(w=30, k=15), chip(**{"bits.accumulator": 8, "bits.weight": 6}))


def test_neuron_parameter_out_of_state_range():
    with pytest.raises(CapacityError, match=r"neuron.vth.*5000.*-2048..2047.*bits.state"):
        compile_network(small_net(vth=5000), chip())


def test_neurons_per_core_option_checked():
    with pytest.raises(ConfigError, match="neurons_per_core"):
        compile_network(small_net(), chip(), CompileOptions(neurons_per_core=100))


def test_program_arrays_are_frozen_and_typed():
    p = compile_network(small_net(), chip())
    for name, a in p.arrays().items():
        assert a.flags.c_contiguous and not a.flags.writeable, name
    # the synapse memory is a packed (target, weight) record per slot (hw/_layout.py SYNAPSE_SLOT), as
    # narrow as the widest chip needs (core.neurons <= 65536, bits.weight <= 16); valid bits derived
    assert p.synapses.dtype.itemsize == 4 and p.synapses.shape == p.syn_valid.shape
    assert p.synapses.shape[1] == p.chip.core.synapse_lanes
    assert p.syn_target.dtype == np.uint16 and p.syn_weight.dtype == np.int16 and p.syn_valid.dtype == np.uint8
    assert p.core_word_offset.dtype == np.int64 and p.core_fanout_offset.dtype == np.int64
    assert p.profile_table.shape[1] == len(PROFILE_FIELDS)
    # padding slots invalid and zero
    assert np.all(p.syn_weight[p.syn_valid == 0] == 0)
    # flit packing per the doc: axon | y << axon_bits | x << (axon_bits + y_bits)
    d = p.chip.derived
    assert p.flit(1, 1, 3) == 3 | (1 << d.axon_bits) | (1 << (d.axon_bits + d.y_bits))


def test_default_network_fits_default_chip():
    spec, base = load_network(None)
    p = compile_network(spec.instantiate(base_dir=base), load_chip(None))
    assert p.n_neurons == 1024
