"""The RTL is `verilator --lint-only -Wall` clean for every preset chip, a spread of
parameter corners and every module on its own, and its elaboration checks reject
inconsistent parameters."""
import pytest

from neurocycle.hw import list_presets, load_chip
from neurocycle.rtl import chip_parameters, lint, rtl_sources

pytestmark = pytest.mark.rtl

CORNERS = {
    "1x1-minimal": {"mesh": {"width": 1, "height": 1}, "core": {"neurons": 1, "axons": 1, "synapse_words": 1,
                    "synapse_lanes": 1, "fanout_entries": 1, "profiles": 1, "fifo_depth": 1},
                    "router": {"fifo_depth": 1}, "barrier_cycles": 1},
    "odd-sizes": {"mesh": {"width": 3, "height": 5}, "core": {"neurons": 13, "axons": 37, "synapse_words": 101,
                  "synapse_lanes": 3, "fanout_entries": 23, "profiles": 5, "fifo_depth": 3},
                  "router": {"fifo_depth": 3}, "host": {"row": 4}},
    "wide": {"mesh": {"width": 2, "height": 1}, "core": {"neurons": 300, "axons": 5000, "synapse_words": 70000,
             "synapse_lanes": 16, "fanout_entries": 9000, "profiles": 256, "fifo_depth": 64},
             "router": {"fifo_depth": 64}, "bits": {"weight": 16, "state": 32, "accumulator": 32, "refractory": 8}},
    "narrow": {"bits": {"weight": 2, "state": 4, "accumulator": 4, "refractory": 1}, "barrier_cycles": 1 << 20},
    "noc-multicast-4-cores": {"mesh": {"width": 2, "height": 2, "cores_per_router": 4},
                              "router": {"routing": "multicast", "table_entries": 7}},
    "noc-unicast-3-cores-1-entry": {"mesh": {"width": 3, "height": 1, "cores_per_router": 3}},
    "noc-multicast-1-entry": {"mesh": {"width": 1, "height": 1}, "router": {"routing": "multicast", "table_entries": 1}},
}


@pytest.mark.parametrize("preset", list_presets("chips"))
def test_lint_presets(preset):
    """Every preset's core/router parameters; meshes above 4x4 are linted as 4x4 (the mesh
    generate loop is the same, and Verilator needs minutes and GBs for thousands of tiles)."""
    chip = load_chip(preset)
    w, h = min(chip.mesh.width, 4), min(chip.mesh.height, 4)
    chip = chip.with_overrides({"mesh.width": w, "mesh.height": h, "host.row": min(chip.host.row, h - 1)})
    ok, out = lint(chip_parameters(chip))
    assert ok, out


@pytest.mark.parametrize("name", sorted(CORNERS))
def test_lint_corners(name):
    ok, out = lint(chip_parameters(load_chip(CORNERS[name])))
    assert ok, out


@pytest.mark.parametrize("top", [p.stem for p in rtl_sources() if p.stem != "nc_chip"])
def test_lint_modules(top):
    """Each module as a top with its default parameters, the way a unit test elaborates it
    (the chip lint above reaches it only with the parameters nc_chip passes down)."""
    ok, out = lint(top=top)
    assert ok, out


@pytest.mark.parametrize("bad,message", [
    ({"FLIT_BITS": 9}, "FLIT_BITS"),                 # layout != x + y + axon bits (8)
    ({"NEURON_BITS": 3, "NEURONS": 16}, "NEURONS"),   # 16 neurons need 4 address bits
    ({"HOST_ROW": 2}, "HOST_ROW"),                   # off the 2-row mesh
    ({"CORE_FIFO_DEPTH": 0}, "FIFO"),
    ({"CORES_PER_ROUTER": 5, "X_BITS": 4}, "CORES_PER_ROUTER"),
    ({"MC_BITS": 1, "FLIT_BITS": 9, "MC_ENTRIES": 0}, "MC_ENTRIES"),
])
def test_elaboration_checks(bad, message):
    params = {**chip_parameters(load_chip("tiny-2x2")), **bad}
    ok, out = lint(params)
    assert not ok and message in out and "fatal" in out.lower(), out


@pytest.mark.parametrize("top,bad,message", [
    ("nc_si", {"LANES": 17}, "nc_si: LANES"),
    ("nc_si", {"LANES": 4, "LEN_BITS": 2}, "nc_si: LEN_BITS"),      # a count of 4 needs 3 bits
    ("nc_si", {"AXON_BITS": 8, "FLIT_BITS": 7}, "nc_si: AXON_BITS"),
    ("nc_nu", {"FANOUT_LEN_BITS": 0}, "nc_nu: FANOUT"),
    ("nc_nu", {"NEURON_BITS": 17}, "nc_nu: NEURON_BITS"),
    ("nc_core_bus", {"CNT_BITS": 65}, "nc_core_bus: a field is wider"),
])
def test_module_elaboration_checks(top, bad, message):
    ok, out = lint(bad, top=top)
    assert not ok and message in out and "fatal" in out.lower(), out
