"""The system schema (hw/_system.py, docs/microarchitecture.md §12): presets, derived geometry,
links and barrier, and every refusal with its field, rule and fix."""
from __future__ import annotations

import numpy as np
import pytest

from neurocycle.hw import ConfigError, MAX_SYSTEM_CORES, load_chip, load_system, system_from_yaml_text
from neurocycle.hw import layout

N, E, S, W = (layout.PORTS.index(p) for p in "NESW")


def _sys(text, **kw):
    return system_from_yaml_text(text, **kw)


def test_quad_geometry_links_and_barrier():
    s = load_system("tiny-quad")          # 2 x 2 grid of 2 x 2 chips, latency 3
    d = s.derived
    assert (d.n_chips, d.mesh_width, d.mesh_height, d.n_routers, d.n_cores) == (4, 4, 4, 16, 16)
    # barrier = chip barrier 2 + 2 x diameter 2 x (latency 3 + 1)
    assert (d.diameter, d.hop_cycles, d.barrier_cycles) == (2, 4, 2 + 2 * 2 * 4)
    L = d.links
    # every boundary between neighbouring tiles of different chips, both directions:
    # 2 vertical boundaries... = (GX-1) x (GY*H) x 2 + (GY-1) x (GX*W) x 2 = 8 + 8
    assert L.n == 16
    pairs = set(zip(L.src.tolist(), L.out_port.tolist()))
    assert (1, E) in pairs and (2, W) in pairs and (4, S) in pairs and (8, N) in pairs   # routers (1,0) (2,0) (0,1) (0,2)
    assert (0, E) not in pairs and (5, E) in pairs                                      # (0,0)->(1,0) is on-chip
    # each link's receiver is the neighbour across the boundary, on the opposite port
    MW = d.mesh_width
    for l in range(L.n):
        dx, dy = {N: (0, -1), E: (1, 0), S: (0, 1), W: (-1, 0)}[int(L.out_port[l])]
        s0 = int(L.src[l])
        assert int(L.dst[l]) == (s0 // MW + dy) * MW + s0 % MW + dx
        assert {int(L.out_port[l]), int(L.in_port[l])} in ({N, S}, {E, W})
        assert L.src_chip[l] != L.dst_chip[l]
    assert list(s.chip_of_router([0, 3, 12, 15])) == [0, 1, 2, 3]
    assert (L.latency == 3).all() and (L.credit_latency == 3).all() and (L.cycles_per_flit == 1).all()


def test_mesh_chip_is_the_system_mesh():
    s = load_system("tiny-quad")
    mc = s.mesh_chip
    assert (mc.mesh.width, mc.mesh.height) == (4, 4) and mc.barrier_cycles == s.derived.barrier_cycles
    chip = load_chip("tiny-2x2")
    assert mc.core == chip.core and mc.router == chip.router and mc.bits == chip.bits
    assert mc.derived.x_bits == 2 and mc.derived.y_bits == 2 and mc.derived.n_cores == 16
    # a 1 x 1 system is its chip
    one = _sys("chip: tiny-2x2\n")
    assert one.derived.links.n == 0 and one.derived.barrier_cycles == chip.barrier_cycles
    assert one.mesh_chip.derived == chip.derived


def test_presets_load():
    for name in ("tiny-pair", "tiny-quad", "loihi-2x2"):
        s = load_system(name)
        assert s.name == name and s.derived.links.n > 0


def test_overrides_per_chip_pair():
    s = _sys("chip: tiny-2x2\ngrid: {width: 2, height: 2}\nlink_latency_cycles: 2\n"
             "link_overrides:\n  - {chips: [[0, 1], [1, 1]], link_latency_cycles: 9, link_energy_pj_per_bit: 5}\n")
    L = s.derived.links
    sel = ((L.src_chip == 2) & (L.dst_chip == 3)) | ((L.src_chip == 3) & (L.dst_chip == 2))
    assert sel.sum() == 4
    assert (L.latency[sel] == 9).all() and (L.credit_latency[sel] == 9).all() and (L.energy_pj_per_bit[sel] == 5).all()
    assert (L.latency[~sel] == 2).all() and (L.credit_latency[~sel] == 2).all()


@pytest.mark.parametrize("text, field, words", [
    ("chip: tiny-2x2\ngrid: {width: 2, height: 1}\nlink_overrides:\n  - {chips: [[0, 0], [2, 0]]}\n",
     "link_overrides[0].chips[1]", "does not exist"),
    ("chip: tiny-2x2\ngrid: {width: 2, height: 2}\nlink_overrides:\n  - {chips: [[0, 0], [1, 1]]}\n",
     "link_overrides[0].chips", "not neighbours"),
    ("chip: tiny-2x2\ngrid: {width: 2, height: 1}\nlink_overrides:\n  - {chips: [[0, 0], [1, 0]]}\n"
     "  - {chips: [[1, 0], [0, 0]]}\n", "link_overrides[1].chips", "already overridden"),
    ("chip: tiny-2x2\ngrid: {width: 2, height: 1}\nlink_latency_cycles: -1\n", "link_latency_cycles", "greater than"),
    ("chip: tiny-2x2\nlink_latency_cycles: '3'\n", "link_latency_cycles", "integer"),
    ("chip: tiny-2x2\nlink_buffer_flits: 65\n", "link_buffer_flits", "less than or equal"),
    ("chip: tiny-2x2\nlink_speed: 3\n", "link_speed", "not a known field"),
    ("chip: loihi-like\ngrid: {width: 64, height: 9}\n", "grid", "cores the cycle engine addresses"),
    ("grid: {width: 2}\n", "chip", "required"),
    ("chip: tiny-2x3\n", "chip", "neither a file nor a chip preset"),
    ("chip: {mesh: {width: 99}}\n", "chip.mesh.width", "less than or equal"),
])
def test_refusals_name_field_rule_and_fix(text, field, words):
    with pytest.raises(ConfigError) as ei:
        _sys(text, source="sys.yaml")
    errs = getattr(ei.value, "errors", [ei.value])
    e = next((x for x in errs if x.field == field), None)
    assert e is not None, f"no error on {field}: {ei.value}"
    assert words in e.rule.lower() or words in str(e).lower(), str(e)
    assert e.fix, str(e)


def test_too_big_names_the_largest_grid():
    with pytest.raises(ConfigError) as ei:
        _sys("chip: loihi-like\ngrid: {width: 64, height: 9}\n")
    e = ei.value.errors[0]
    assert f"{MAX_SYSTEM_CORES}" in e.rule and "at most 512 chips" in e.fix


def test_chip_file_relative_to_the_system_file(tmp_path):
    (tmp_path / "c.yaml").write_text("name: c\nmesh: {width: 3, height: 1}\n")
    (tmp_path / "s.yaml").write_text("chip: c.yaml\ngrid: {width: 2, height: 2}\n")
    s = load_system(tmp_path / "s.yaml")
    assert s.chip.name == "c" and s.derived.mesh_width == 6 and s.derived.mesh_height == 2
    assert s.derived.links.n == 2 * 2 + 6 * 2


def test_zero_latency_is_a_wire():
    s = _sys("chip: tiny-2x2\ngrid: {width: 2, height: 1}\nlink_latency_cycles: 0\n")
    assert (s.derived.links.latency == 0).all() and s.derived.barrier_cycles == 2 + 2 * 1 * 1
    assert np.array_equal(s.derived.links.credit_latency, s.derived.links.latency)
