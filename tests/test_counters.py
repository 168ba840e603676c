"""Counters and costs share names: every event counter has one name, unit and description;
every backend reports exactly those names and the energy model prices exactly those names."""
import pytest

from neurocycle.hw import COUNTER_NAMES, COUNTERS, energy_params, list_presets, load_chip
from neurocycle.sim import simulate


def test_counter_declarations_are_complete_and_unique():
    assert len(set(COUNTER_NAMES)) == len(COUNTERS)
    for c in COUNTERS:
        assert c.name.isidentifier() and c.unit and c.description and c.scope in ("core", "router", "chip")


@pytest.mark.parametrize("preset", list_presets("chips"))
def test_energy_model_prices_exactly_the_counters(preset):
    p = energy_params(load_chip(preset))
    assert set(p.events_pj) == set(COUNTER_NAMES)


def test_cycle_backend_reports_exactly_the_counters():
    run = simulate("tiny-2x2", "synfire-chain", steps=5, backend="cycle")
    assert set(run.result.counters) == set(COUNTER_NAMES)
    n_cores = run.chip.derived.n_cores
    for c in COUNTERS:
        v = run.result.counters[c.name]
        assert v.shape == (() if c.scope == "chip" else (n_cores,)), c.name
