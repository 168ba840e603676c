"""Chip configs: every error class gets a message naming field, rule, value, fix (and line)."""
import pytest

from neurocycle.hw import ChipConfig, ConfigError, chip_from_yaml_text, list_presets, load_chip

GOOD = """\
name: t
mesh: {width: 2, height: 3}
core:
  neurons: 16
  axons: 32
"""


def err(text):
    with pytest.raises(ConfigError) as exc:
        chip_from_yaml_text(text, source="chip.yaml")
    return exc.value, str(exc.value)


def test_good_config_and_derived_widths():
    c = chip_from_yaml_text(GOOD)
    d = c.derived
    assert (d.n_cores, d.x_bits, d.y_bits, d.axon_bits, d.neuron_bits) == (6, 1, 2, 5, 4)
    assert d.flit_bits == 1 + 2 + 5
    assert d.weight_min == -128 and d.weight_max == 127
    assert d.synapse_slot_bits == 1 + 4 + 8
    assert d.synapse_sram_bits == c.core.synapse_words * c.core.synapse_lanes * d.synapse_slot_bits
    assert c.derived is c.derived  # computed once


def test_config_is_frozen():
    c = chip_from_yaml_text(GOOD)
    with pytest.raises(Exception):
        c.clock_mhz = 5


def test_unknown_key_names_field_line_and_fix():
    e, msg = err(GOOD + "  nuerons: 4\n")
    assert e.field == "core.nuerons" and e.line == 6
    assert "not a known field" in msg and "spelling" in msg and "chip.yaml:6" in msg


def test_wrong_type():
    e, msg = err(GOOD.replace("neurons: 16", "neurons: lots"))
    assert e.field == "core.neurons" and e.line == 4 and "'lots'" in msg and "whole number" in msg


def test_out_of_range_value():
    e, msg = err(GOOD.replace("width: 2", "width: 0"))
    assert e.field == "mesh.width" and "greater than or equal to 1" in msg and "use a value of at least 1" in msg
    assert e.line == 2


def test_cross_field_rule_host_row():
    e, msg = err(GOOD + "host: {row: 3}\n")
    assert e.field == "host.row" and "outside the mesh" in msg and "0..2" in msg


def test_cross_field_rule_accumulator():
    e, msg = err(GOOD + "bits: {weight: 12, accumulator: 8}\n")
    assert e.field == "bits.accumulator" and "raise bits.accumulator" in msg


def test_yaml_syntax_error_has_line():
    e, msg = err("mesh: {width: 2\ncore: [\n")
    assert e.field == "file" and "not valid YAML" in msg and e.line is not None


def test_not_a_mapping():
    e, msg = err("- 1\n- 2\n")
    assert "must be a mapping" in msg


def test_empty_file():
    e, msg = err("")
    assert "is empty" in msg


def test_unknown_energy_event():
    e, msg = err(GOOD + "energy: {events_pj: {synops: 1.0}}\n")
    assert "energy.events_pj" in e.field and "synops" in msg and "synaptic_ops" in msg


def test_several_errors_are_all_reported():
    e, msg = err("mesh: {width: 0, height: 0}\nclock_mhz: -1\n")
    assert "3 problems" in msg and "mesh.width" in msg and "mesh.height" in msg and "clock_mhz" in msg


def test_missing_file_and_unknown_preset():
    with pytest.raises(ConfigError, match="neither a file nor a chip preset.*tiny-2x2"):
        load_chip("no-such-chip")


def test_presets_load_by_name():
    names = list_presets("chips")
    assert {"tiny-2x2", "default-4x4", "loihi-like", "truenorth-like", "odin-like"} <= set(names)
    for n in names:
        assert isinstance(load_chip(n), ChipConfig)


def test_overrides():
    c = load_chip("tiny-2x2")
    c2 = c.with_overrides({"core.neurons": 8, "router.fifo_depth": 1})
    assert c2.core.neurons == 8 and c2.router.fifo_depth == 1 and c.core.neurons == 16
    with pytest.raises(ConfigError, match="core.nuerons.*not a chip config field"):
        c.with_overrides({"core.nuerons": 8})
    with pytest.raises(ConfigError, match="router.fifo_depth"):
        c.with_overrides({"router.fifo_depth": 0})
