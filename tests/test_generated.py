"""One definition of the chip: the generated files (SystemVerilog defines and parameter lists, the
Cython kernel constants, the layout and configuration reference pages) are current, and they say
what the declarations in hw/_layout.py say."""
import re

import numpy as np
import pytest

from neurocycle.hw import layout, load_chip
from neurocycle.hw._codegen import generate, repo_root, stale


def test_generated_files_are_current():
    bad = stale()
    assert not bad, (f"stale generated file(s) {bad}: run `python -m neurocycle.hw._codegen` after changing "
                     "hw/_layout.py or hw/_config.py, and commit the result")


def test_svh_defines_are_the_declared_indices():
    """Spot checks that the generated text means the declarations (not only that it is current)."""
    from neurocycle.rtl import defs
    d = defs()
    assert [d[f"CC_{n.upper()}"] for n in layout.CORE_COUNTERS] == list(range(len(layout.CORE_COUNTERS)))
    assert [d[f"RC_{n.upper()}"] for n in layout.ROUTER_COUNTERS] == list(range(len(layout.ROUTER_COUNTERS)))
    assert [d[f"CHC_{n.upper()}"] for n in layout.CHIP_COUNTERS] == list(range(len(layout.CHIP_COUNTERS)))
    assert [d[f"PARAM_{p.name}"] for p in layout.RTL_PARAMS] == list(range(len(layout.RTL_PARAMS)))
    assert [d[f"PF_{f.upper()}"] for f in layout.PROFILE_FIELDS] == list(range(len(layout.PROFILE_FIELDS)))
    assert [d[f"PORT_{p}"] for p in layout.PORTS] == list(range(layout.N_PORTS))
    text = generate()["rtl/nc_defs.svh"]
    # the read-back vector lists the last parameter first, so bits [32k +: 32] are parameter k
    vec = re.search(r"`define NC_PARAM_VECTOR \{(.*)\}", text).group(1)
    names = re.findall(r"32'\((\w+)\)", vec)
    assert names[::-1] == [p.name for p in layout.RTL_PARAMS]


def test_pxd_constants_pack_like_the_python_layout():
    text = generate()["cython_core/_layout.pxd"]
    consts = {k: int(v) for k, v in re.findall(r"^\s+(\w+) = (\d+)$", text, re.M)}
    kf = layout.KERNEL_FLIT
    word = int(kf.pack(dst=(1 << 16) - 3, port=3, words=1234, record=(1 << 31) + 5))
    assert (word >> consts["KFLIT_DST_SHIFT"]) & consts["KFLIT_DST_MASK"] == (1 << 16) - 3
    assert (word >> consts["KFLIT_PORT_SHIFT"]) & consts["KFLIT_PORT_MASK"] == 3
    assert (word >> consts["KFLIT_WORDS_SHIFT"]) & consts["KFLIT_WORDS_MASK"] == 1234
    assert (word >> consts["KFLIT_RECORD_SHIFT"]) & ((1 << consts["KFLIT_RECORD_BITS"]) - 1) == (1 << 31) + 5   # no enum mask past 31 bits
    assert word > 0                                    # bit 63 stays clear (a kmcflit is negative)
    assert [consts[f"CC_{n.upper()}"] for n in layout.CORE_COUNTERS] == list(range(len(layout.CORE_COUNTERS)))
    assert [consts[f"PRM_{n.upper()}"] for n in layout.PROFILE_FIELDS] == list(range(len(layout.PROFILE_FIELDS)))


def test_chip_flit_layout_round_trips():
    dv = load_chip("default-4x4").derived
    w = vars(dv)
    rng = np.random.default_rng(0)
    x, y, a = rng.integers(0, 4, 50), rng.integers(0, 4, 50), rng.integers(0, 1 << dv.axon_bits, 50)
    f = layout.CHIP_FLIT.pack(w, axon=a, dst_y=y, dst_x=x)
    assert layout.CHIP_FLIT.total_bits(w) == dv.flit_bits
    assert (layout.CHIP_FLIT.unpack(f, "dst_x", w) == x).all() and (layout.CHIP_FLIT.unpack(f, "axon", w) == a).all()
    assert f.max() < (1 << dv.flit_bits)


@pytest.mark.parametrize("rel", ["rtl/nc_chip_params.svh", "rtl/nc_tile_params.svh"])
def test_parameter_lists_default_to_the_tiny_preset(rel):
    from neurocycle.rtl import chip_parameters
    want = chip_parameters(load_chip("tiny-2x2"))
    got = dict(re.findall(r"parameter int (\w+)\s+= (\d+)", (repo_root() / rel).read_text()))
    assert got and {k: int(v) for k, v in got.items()} == {k: want[k] for k in got}
