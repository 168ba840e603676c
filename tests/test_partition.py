"""A system partitioned over Dask worker processes (sim/_partition.py): bit-identical to the
single-process run on a 2 x 2-chip system, and the refusals that come before any process starts."""
from __future__ import annotations

import pytest

from neurocycle.hw import ConfigError, load_chip, load_system
from neurocycle.sim import compile_network
from neurocycle.sim._partition import run_partitioned
from neurocycle.sim._system_engine import run_system

from test_engine import random_net
from test_system_engine import assert_same_numbers

pytest.importorskip("distributed")


def _quad(**fields):
    chip = load_chip("tiny-2x2").with_overrides({"core.neurons": 16, "core.axons": 128, "core.fanout_entries": 256,
                                                 "core.synapse_words": 1024})
    return load_system({"chip": chip.model_dump(mode="json"), "grid": {"width": 2, "height": 2},
                        "link_latency_cycles": 3, "link_buffer_flits": 3, **fields})


def test_two_worker_processes_equal_one_process():
    s = _quad()
    net = random_net(5, 80, n_in=4, rate_hz=500, p_rec=0.35).instantiate()
    prog, stim = compile_network(net, s), net.stimulus(20)
    one = run_system(prog, stim)
    two = run_partitioned(prog, stim, workers=2)
    assert_same_numbers(one, two)
    assert two.partition["partitions"] == 2 and len(set(two.partition["workers"])) == 2
    assert two.partition["window_cycles"] == 3 and two.partition["exchanged"] > 0
    assert one.n_spikes > 100


def test_refusals_before_any_process_starts():
    s = _quad(link_latency_cycles=0)
    net = random_net(5, 40).instantiate()
    prog, stim = compile_network(net, s), net.stimulus(2)
    with pytest.raises(ConfigError) as ei:
        run_partitioned(prog, stim, workers=2)
    assert ei.value.field == "link_latency_cycles" and "no window" in ei.value.rule
    with pytest.raises(ConfigError) as ei:
        run_partitioned(prog, stim, workers=5)
    assert ei.value.field == "workers"
    chip_prog = compile_network(net, load_chip("default-4x4"))
    with pytest.raises(ConfigError) as ei:
        run_partitioned(chip_prog, stim, workers=2)
    assert ei.value.field == "--workers" and "system" in ei.value.rule


def test_two_worker_processes_learn_as_one_process():
    """Delays and STDP on a partitioned system: the weights each worker learns for its own chips
    and the learning phases (after the system's quiescence) equal the single-process run's."""
    from test_delays_learning import plastic_net

    chip = load_chip("tiny-2x2").with_overrides({"core.neurons": 16, "core.axons": 128, "core.fanout_entries": 256,
                                                 "core.synapse_words": 1024, "core.learning": "stdp",
                                                 "core.delay_slots": 3, "bits.weight": 8, "bits.accumulator": 24})
    s = load_system({"chip": chip.model_dump(mode="json"), "grid": {"width": 2, "height": 2},
                     "link_latency_cycles": 2, "link_buffer_flits": 2})
    net = plastic_net(4, 60, D=3).instantiate()
    prog, stim = compile_network(net, s), net.stimulus(12)
    one = run_system(prog, stim)
    two = run_partitioned(prog, stim, workers=2)
    assert_same_numbers(one, two)
    assert one.weights is not None and (one.weights != prog.syn_weight).any()
    assert (one.weights == two.weights).all() and int(two.counters["learning_cycles"].sum()) > 0
