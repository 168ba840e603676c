"""Area model: SRAM bits, area arithmetic, node tables; Yosys measurement (slow)."""
import math
from pathlib import Path

import pytest

from neurocycle.hw import ConfigError, area_report, estimate_logic_ge, load_chip
from neurocycle.hw import _area as A
from neurocycle.hw import _technology as T
from neurocycle.rtl import _synth as S
from neurocycle.rtl import synthesize_logic_ge

PRESETS = sorted(p.stem for p in (Path(__file__).resolve().parents[1] / "configs" / "chips").glob("*.yaml"))


@pytest.mark.parametrize("name", PRESETS)
def test_sram_breakdown_sums_to_the_derived_core_bits(name):
    chip = load_chip(name)
    bits = A.sram_bits_by_memory(chip)
    assert sum(bits.values()) == chip.derived.core_sram_bits
    assert all(v > 0 for v in bits.values())
    assert bits["synapse"] == chip.core.synapse_words * chip.derived.synapse_word_bits
    words = A.memory_words(chip)
    assert words["neuron_state"][0] * words["neuron_state"][1] == bits["neuron_state"]


def test_area_is_bits_times_area_per_bit_plus_logic():
    chip = load_chip("tiny-2x2")
    a = area_report(chip)
    est = estimate_logic_ge(chip)
    core_ge, router_ge = sum(est["core"].values()), sum(est["router"].values())
    assert (a.core_logic_ge, a.router_logic_ge, a.logic_source) == (core_ge, router_ge, "estimate")
    assert a.sram_um2_per_bit == T.SRAM_AREA_UM2_PER_BIT[28] == 0.18      # TSMC 28 nm bitcell / 0.7 (docs/references.md)
    assert a.logic_um2_per_ge == T.LOGIC_UM2_PER_GE[28] == 0.50
    sram = chip.derived.core_sram_bits * 0.18e-6
    assert a.core_sram_mm2 == pytest.approx(sram, rel=1e-12)
    assert a.tile_mm2 == pytest.approx(sram + (core_ge + router_ge) * 0.50e-6, rel=1e-12)
    assert a.chip_mm2 == pytest.approx(4 * a.tile_mm2, rel=1e-12)
    assert a.tile_pitch_mm == pytest.approx(math.sqrt(a.tile_mm2), rel=1e-12)
    # explicit values in the config win, and say so
    b = area_report(chip.with_overrides({"technology.core_logic_ge": 1000, "technology.router_logic_ge": 500,
                                         "technology.sram_area_um2_per_bit": 0.25, "technology.tile_pitch_mm": 1.0}))
    assert b.logic_source == "config" and b.tile_pitch_mm == 1.0
    assert b.tile_mm2 == pytest.approx(chip.derived.core_sram_bits * 0.25e-6 + 1500 * 0.5e-6, rel=1e-12)


def test_area_grows_with_capacity_and_shrinks_with_node():
    chip = load_chip("default-4x4")
    big = chip.with_overrides({"core.synapse_words": 32768})
    assert area_report(big).core_sram_mm2 > area_report(chip).core_sram_mm2
    a45, a28, a22 = (area_report(chip.with_overrides({"technology.node_nm": n})).chip_mm2 for n in (45, 28, 22))
    assert a45 > a28 > a22
    with pytest.raises(ConfigError, match="technology.sram_area_um2_per_bit"):
        area_report(chip.with_overrides({"technology.node_nm": 7}))


def test_node_tables_are_the_reference_figures():
    """Area per bit, wire energy, energy scale (docs/references.md), and the [D] derivations shown in
    hw/_technology.py redone here from their inputs."""
    assert T.SRAM_AREA_UM2_PER_BIT == {45: 0.49, 28: 0.18, 22: 0.13}
    assert T.SRAM_AREA_UM2_PER_BIT_CACTI == {45: 0.40, 28: 0.15, 22: 0.10}
    assert T.LOGIC_ENERGY_SCALE == {45: 1.0, 28: 0.42, 22: 0.32}
    # logic area per GE from TrueNorth (Merolla et al., Science 2014; Akopyan et al., IEEE TCAD 2015): die 430 mm², 5.4e9 transistors, 4096 x 256 x 410 SRAM bits
    sram_bits = 4096 * 256 * 410
    ge_um2 = (430e6 - sram_bits * 0.18) / (5.4e9 - 6 * sram_bits) * 4
    assert ge_um2 == pytest.approx(T.LOGIC_UM2_PER_GE[28], abs=0.005)
    for node, cell in ((45, 0.346), (22, 0.092)):
        assert T.LOGIC_UM2_PER_GE[node] == pytest.approx(ge_um2 * cell / 0.127, abs=0.006)
    # clock energy density from ODIN (Frenkel et al., IEEE TBioCAS 2019): 1.78 pJ/cycle over 0.086 mm²
    assert T.CLOCK_PJ_PER_MM2_CYCLE[28] == pytest.approx(1.78 / 0.086, abs=0.05)
    for node in (45, 22):
        want = 1.78 / 0.086 * (T.LOGIC_ENERGY_SCALE[node] / 0.42) / (T.LOGIC_UM2_PER_GE[node] / 0.50)
        assert T.CLOCK_PJ_PER_MM2_CYCLE[node] == pytest.approx(want, abs=0.05)


@pytest.mark.slow
@pytest.mark.rtl
def test_primitive_costs_match_yosys(tmp_path):
    """Re-measure the per-bit transistor costs the structural estimate is built from."""
    import subprocess

    blocks = {
        "add32": ("module add32(input [31:0] a, b, output [31:0] s); assign s = a + b; endmodule", 32, "add_bit"),
        "mul": ("module mul(input signed [15:0] a, input [12:0] b, output signed [28:0] p); "
                "assign p = a * $signed({1'b0,b}); endmodule", 16 * 13, "mult_pp_bit"),
        "mux2": ("module mux2(input [15:0] a, b, input s, output [15:0] y); assign y = s ? b : a; endmodule",
                 16, "mux2_bit"),
        "mux5": ("module mux5(input [79:0] a, input [2:0] s, output [15:0] y); assign y = a[s*16 +: 16]; endmodule",
                 16, "mux5_bit"),
        "cmp": ("module cmp(input signed [15:0] a, b, output y); assign y = a >= b; endmodule", 16, "cmp_bit"),
        "ff": ("module ff(input clk, input [15:0] d, output reg [15:0] q); always @(posedge clk) q <= d; endmodule",
               16, "dff"),
        "ffe": ("module ffe(input clk, input en, input [15:0] d, output reg [15:0] q); "
                "always @(posedge clk) if (en) q <= d; endmodule", 16, "dffe"),
    }
    exe = S._yosys_exe()
    for top, (src, per, key) in blocks.items():
        (tmp_path / f"{top}.v").write_text(src)
        script = (f"read_verilog {top}.v; synth -top {top}; dfflegalize -cell $_DFF_P_ 01; abc -g cmos2; "
                  f"opt_clean; tee -q -o {top}.txt stat -tech cmos")
        subprocess.run([exe, "-q", "-p", script], cwd=tmp_path, check=True, capture_output=True)
        _, transistors = S._parse_stat((tmp_path / f"{top}.txt").read_text())
        assert transistors / per == pytest.approx(A.PRIMITIVE_TRANSISTORS[key], rel=1e-9), top


@pytest.mark.slow
@pytest.mark.rtl
@pytest.mark.parametrize("name", ["tiny-2x2", "default-4x4"])
def test_synthesised_rtl_measures_logic_and_its_memories_match_the_model(name):
    """`ppa --synth`: the RTL's core and router through Yosys. The RAM the core keeps as
    memories is exactly the SRAM the area model counts, plus the co-simulation spike trace
    (NEURONS x (NEURON_BITS + CNT_BITS))."""
    chip = load_chip(name)
    s = synthesize_logic_ge(chip, use_cache=False)
    assert s.core_ge > 1000 and s.router_ge > 500
    assert s.cells["nc_core"]["$_DFF_P_"] > 0 and s.cells["nc_router"]["$_NAND_"] > 0
    d = chip.derived
    trace = chip.core.neurons * (d.neuron_bits + 1)
    assert s.memories_bits["nc_core"] - trace == d.core_sram_bits
    a = area_report(chip, synth=s)
    assert a.logic_source == "synthesis" and a.core_logic_ge == s.core_ge
    # the structural estimate is the right order of magnitude (it leaves out control and
    # instrumentation the RTL carries)
    est = estimate_logic_ge(chip)
    assert 0.3 < sum(est["core"].values()) / s.core_ge <= 1.0
    # full-width counters cost more logic
    full = A.synthesize_module(chip, "nc_router", counter_bits=None, use_cache=False)
    assert full["ge"] > s.router_ge


@pytest.mark.slow
@pytest.mark.rtl
def test_ppa_cli_synth(cli, tmp_path):
    import json

    proc = cli("ppa", "tiny-2x2", "--synth", "--out", tmp_path)
    assert "core logic (synthesis)" in proc.stdout and "router logic (synthesis)" in proc.stdout
    rep = json.loads((tmp_path / "ppa.json").read_text())
    assert rep["area"]["logic_source"] == "synthesis"
    assert rep["synthesis"]["transistors"]["nc_core"] > 0
