"""Every event counter is declared once (hw/_layout.py) with how it is priced: the energy model
prices each one in both modes as declared (or derives nothing for a counter declared free, with
its reason), and every backend reports exactly the declared counters."""
import dataclasses

import numpy as np
import pytest

from neurocycle.hw import COUNTER_NAMES, COUNTERS, energy_params, layout, list_presets, load_chip
from neurocycle.hw import _energy
from neurocycle.sim import simulate


def _applies(x, chip) -> bool:
    """A declared component exists on the chip: the graded datapath needs bits.payload > 0, the
    pending bitmap an event-driven core (docs/energy.md)."""
    if x.kind in ("payload_mult", "graded_output"):
        return chip.bits.payload > 0
    if x.arg == "pending_bitmap":
        return chip.core.neuron_update == "event"
    if x.kind in ("weight_update", "trace_decay") or x.arg in ("traces", "reverse_table"):
        return chip.core.learning == "stdp"
    return True


@pytest.mark.parametrize("variant", [{}, {"bits.payload": 4, "bits.accumulator": 28, "core.neuron_update": "event"},
                                     {"core.learning": "stdp", "core.delay_slots": 8}],
                         ids=["binary-dense", "graded-event", "stdp-delays"])
@pytest.mark.parametrize("preset", list_presets("chips"))
def test_technology_mode_prices_every_counter_as_declared(preset, variant):
    chip = load_chip(preset).with_overrides({"energy.mode": "technology", "energy.events_pj": {},
                                             "energy.static_power_mw": None, **variant})
    if chip.technology.node_nm not in (22, 28, 45):      # no CACTI table for the node (loihi-like: 14 nm)
        chip = chip.with_overrides({"technology.node_nm": 22})
    p = energy_params(chip)
    assert set(p.events_pj) == set(COUNTER_NAMES)
    for c in COUNTERS:
        comp = p.components_pj[c.name]
        if isinstance(c.price, layout.Free):
            assert comp == {} and p.events_pj[c.name] == 0.0, c.name
        else:
            want = [x.label for x in c.price.components if _applies(x, chip)]
            assert list(comp) == want, c.name
            assert all(v > 0 for v in comp.values()) and (p.events_pj[c.name] > 0) == bool(want), c.name
            factor = 1.0 if not c.price.overhead else p.overhead_factor
            assert p.events_pj[c.name] == pytest.approx(factor * sum(comp.values()), rel=1e-12), c.name


def test_table_mode_charges_the_table_for_every_counter():
    """Any counter can be priced by a table (free ones included); unlisted ones cost 0, marked."""
    chip = load_chip("tiny-2x2").with_overrides({"energy": {"mode": "table", "events_pj": {
        "synaptic_ops": 2.0, "nu_stall_cycles": 0.5}}})
    p = energy_params(chip)
    assert p.events_pj["synaptic_ops"] == 2.0 and p.event_source["synaptic_ops"] == "table"
    assert p.events_pj["nu_stall_cycles"] == 0.5                     # declared free, but the table says
    others = set(COUNTER_NAMES) - {"synaptic_ops", "nu_stall_cycles"}
    assert all(p.events_pj[n] == 0.0 and p.event_source[n] == "unlisted" for n in others)


def test_a_component_without_a_formula_is_refused(monkeypatch):
    """A counter declared with a technology component the energy model has no formula for is an
    error, never silently priced 0."""
    broken = dataclasses.replace(COUNTERS[0], price=layout.Energy((layout.Component("x", "no_such_kind"),)))
    monkeypatch.setattr(_energy, "COUNTERS", (broken,) + COUNTERS[1:])
    with pytest.raises(AssertionError, match="no_such_kind"):
        _energy.derive_event_components(load_chip("tiny-2x2"))


def test_free_counters_say_why():
    free = [c for c in COUNTERS if isinstance(c.price, layout.Free)]
    assert free and all(len(c.price.reason) > 20 for c in free)


def test_cycle_backends_report_exactly_the_counters():
    run = simulate("tiny-2x2", "synfire-chain", steps=5, backend="cycle")
    n_cores = run.chip.derived.n_cores
    for res in (run.result, __import__("neurocycle.sim", fromlist=["run_cycle"]).run_cycle(
            run.program, run.stimulus, mode="stepped")):
        assert list(res.counters) == list(COUNTER_NAMES)
        for c in COUNTERS:
            v = res.counters[c.name]
            assert v.shape == (() if c.scope == "chip" else (n_cores,)), c.name
        assert set(res.detail) == {n for n, _ in layout.DETAIL_FIELDS}
    assert int(np.sum(run.result.counters["synaptic_ops"])) > 0
