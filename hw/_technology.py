"""Technology tables: SRAM, logic, wire and arithmetic figures per process node.

Every number here names the publication it comes from (docs/references.md collects them with
their provenance) or is derived from published figures with the arithmetic shown ([D]). These are *defaults*: every
node-dependent value can be given explicitly in a chip's ``technology`` section, which is
how a node without a table row (e.g. 14 nm) is used.

Units: energies in pJ, areas in µm², sizes in KB (1 KB = 1024 bytes = 8192 bits).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ._errors import ConfigError

# --------------------------------------------------------------------------- SRAM energy
# Power-law fits E = a * S_KB**b (pJ per access) to runs of CACTI 7 (Balasubramonian et al.,
# ACM TACO 2017; HewlettPackard/cacti 1ffd8df) [T]: scratchpad RAM, 1 bank, 1 RW port, access
# width = word, 350 K; 28 nm is the geometric mean of the 32/22 nm runs (docs/references.md).
# key: (cell, word_bits, node_nm) -> (read_a, read_b, write_a, write_b)
CACTI_SRAM_FITS: dict[tuple[str, int, int], tuple[float, float, float, float]] = {
    ("itrs-hp", 64, 45): (1.744, 0.513, 3.801, 0.387),
    ("itrs-hp", 64, 32): (1.033, 0.512, 1.466, 0.437),
    ("itrs-hp", 64, 28): (0.702, 0.525, 1.016, 0.436),
    ("itrs-hp", 64, 22): (0.477, 0.537, 0.704, 0.434),
    ("itrs-hp", 32, 45): (1.674, 0.424, 1.892, 0.434),
    ("itrs-hp", 32, 28): (0.522, 0.493, 0.585, 0.456),
    ("itrs-hp", 32, 22): (0.393, 0.488, 0.389, 0.464),
    ("itrs-lop", 64, 45): (1.002, 0.532, 1.302, 0.449),
    ("itrs-lop", 64, 28): (0.472, 0.503, 0.414, 0.491),
    ("itrs-lop", 64, 22): (0.375, 0.510, 0.328, 0.499),
    ("itrs-lop", 32, 28): (0.345, 0.483, 0.240, 0.511),
    ("itrs-lop", 32, 22): (0.270, 0.495, 0.190, 0.517),
}

# The sample points of the same CACTI runs: read energy (pJ) at 8 KB ... 1 MB. Kept here so
# a test can check the fits reproduce the published CACTI values at the points they fit.
CACTI_SAMPLE_KB = (8, 16, 32, 64, 128, 256, 1024)
CACTI_SAMPLE_READ_PJ: dict[tuple[str, int, int], tuple[float, ...]] = {
    ("itrs-hp", 64, 45): (5.06, 7.22, 10.31, 14.70, 20.98, 29.93, 60.91),
    ("itrs-hp", 64, 32): (3.00, 4.27, 6.09, 8.69, 12.39, 17.68, 35.95),
    ("itrs-hp", 64, 28): (2.09, 3.01, 4.33, 6.22, 8.95, 12.88, 26.65),
    ("itrs-hp", 64, 22): (1.46, 2.12, 3.07, 4.46, 6.47, 9.38, 19.76),
    ("itrs-hp", 32, 45): (4.04, 5.43, 7.28, 9.77, 13.11, 17.59, 31.67),
    ("itrs-hp", 32, 28): (1.46, 2.05, 2.88, 4.06, 5.71, 8.04, 15.94),
    ("itrs-hp", 32, 22): (1.08, 1.52, 2.13, 2.98, 4.18, 5.86, 11.53),
    ("itrs-lop", 64, 45): (3.03, 4.38, 6.33, 9.14, 13.22, 19.11, 39.93),
    ("itrs-lop", 64, 28): (1.34, 1.90, 2.69, 3.81, 5.40, 7.66, 15.37),
    ("itrs-lop", 64, 22): (1.08, 1.54, 2.19, 3.12, 4.45, 6.33, 12.83),
    ("itrs-lop", 32, 28): (0.94, 1.32, 1.84, 2.57, 3.59, 5.02, 9.80),
    ("itrs-lop", 32, 22): (0.76, 1.06, 1.50, 2.11, 2.98, 4.20, 8.34),
}

SRAM_CELLS = ("itrs-hp", "itrs-lop")

# Leakage per KB. Default 1.0 µW/KB, a low-power (LP/FDSOI) figure bracketed by the CACTI 7
# LSTP runs (0.35-0.44 µW/KB at 28 nm) and two chip-level bounds that include logic, so the
# default also stands for the logic's leakage: ODIN 27.3 µW / 36 kB = 0.76 µW/KB (Frenkel et
# al., IEEE TBioCAS 2019, Fig. 8b) and Loihi 104 mW / 33 MB = 3.1 µW/KB (Frady et al., NICE
# 2020, Table 1; Davies et al., IEEE Micro 2018, p. 95) [D].
SRAM_LEAKAGE_UW_PER_KB_DEFAULT = 1.0
# CACTI 7 itrs-hp leakage at 350 K [T], for users who want the HP corner.
SRAM_LEAKAGE_UW_PER_KB_HP = {45: 1100.0, 28: 220.0, 22: 150.0}

# SRAM area per bit including periphery = published 6T bitcell / 0.7 array efficiency [D] (CACTI 7
# arrays are 57-82 % efficient): Intel 45 nm 0.346 µm² (Mistry et al., IEDM 2007), TSMC 28 nm LP
# 0.127 µm² (TSMC, VLSI Technology Symposium 2009), Intel 22 nm 0.092 µm² (Intel, Intel
# Developer Forum 2009).
SRAM_AREA_UM2_PER_BIT = {45: 0.49, 28: 0.18, 22: 0.13}
# The CACTI 7 alternative [T], smaller because CACTI's 146 F² cell is denser.
SRAM_AREA_UM2_PER_BIT_CACTI = {45: 0.40, 28: 0.15, 22: 0.10}

# --------------------------------------------------------------------------- logic area
# Placed area per gate equivalent (GE = one 2-input NAND = 4 transistors), [D] from TrueNorth
# (28 nm): die 430 mm², 5.4e9 transistors (Merolla et al., Science 2014, p. 6); SRAM 4096 cores x
# 256 x 410 b (Akopyan et al., IEEE TCAD 2015, Sec. V-E) = 429.9 Mb = 2.58e9 transistors (6T)
# occupying 429.9e6 x 0.18 µm²/bit = 77.4 mm². The rest, 352.6 mm² for 2.82e9 transistors, is
# 0.125 µm² per transistor = 0.50 µm² per GE at 28 nm (routing, clock tree and white space
# included). Other nodes scale by the published 6T bitcells above: 0.50 x 0.346/0.127 = 1.36;
# 0.50 x 0.092/0.127 = 0.36.
LOGIC_UM2_PER_GE = {45: 1.36, 28: 0.50, 22: 0.36}

# --------------------------------------------------------------------------- interconnect
# Router traversal per flit bit: 0.1 pJ/bit/hop [D], from Loihi's 3.0 pJ per 32-bit east-west hop
# (Davies et al., IEEE Micro 2018, Table 2).
ROUTER_PJ_PER_BIT_DEFAULT = 0.1
# Full-swing repeated semi-global wire per bit per mm, CACTI 7 runs [T]: 45 nm 0.35, 22 nm 0.2;
# 28 nm [D] = geometric mean of the 32 nm mid-range 0.275 (0.20-0.35) and 22 nm 0.2.
WIRE_PJ_PER_BIT_MM = {45: 0.35, 28: 0.23, 22: 0.2}
# Off-chip / host link: 2 pJ per bit to the external periphery (TrueNorth at 0.775 V: Merolla et
# al., Science 2014, suppl. S5).
HOST_LINK_PJ_PER_BIT_DEFAULT = 2.0

# --------------------------------------------------------------------------- arithmetic
# Integer add / multiply energy (pJ) at 45 nm, 0.9 V (Horowitz, ISSCC 2014, pp. 10-14): add
# 8/32 b, multiply 8/32 b; the 16-bit add is interpolated [D]. Other nodes scale every op by k
# (28 nm 0.42, 22 nm 0.32): the ratio of the CACTI 7 energies of a 64 KB, 64-bit SRAM between
# those nodes and 45 nm, a proxy for logic scaling [D] (docs/references.md).
INT_ADD_PJ_45 = {8: 0.03, 16: 0.05, 32: 0.10}
INT_MULT_PJ_45 = {8: 0.20, 32: 3.1}
LOGIC_ENERGY_SCALE = {45: 1.0, 28: 0.42, 22: 0.32}

# --------------------------------------------------------------------------- clock / idle
# ODIN (28 nm FDSOI): idle power 1.78 µW/MHz = 1.78 pJ per cycle over its 0.086 mm² die (Frenkel
# et al., IEEE TBioCAS 2019, Fig. 8b and title): 1.78 / 0.086 = 20.7 pJ per cycle per mm² of
# tile at 28 nm [D]. Other nodes: energy scales by k and density by the logic area per GE above:
# 45 nm 20.7 x (1/0.42) / (1.36/0.50) = 18.1; 22 nm 20.7 x (0.32/0.42) / (0.36/0.50) = 21.9 [D].
CLOCK_PJ_PER_MM2_CYCLE = {45: 18.1, 28: 20.7, 22: 21.9}

# --------------------------------------------------------------------------- overhead
# Component sums of bare SRAM (CACTI) and bare arithmetic (Horowitz) undershoot measured chips
# 5-10x (docs/calibration.md). The default factor is fitted once to ODIN's incremental 8.43
# pJ/SOP (Frenkel et al., IEEE TBioCAS 2019, Fig. 8b) on the ODIN calibration workload (calib-odin-crossbar,
# `neurocycle ppa odin-like calib-odin-crossbar --energy technology --fit-overhead 8.43`);
# tests/test_energy.py re-fits it. It scales SRAM and arithmetic components only (see
# neurocycle.hw._energy.NO_OVERHEAD_EVENTS). See docs/calibration.md.
OVERHEAD_FACTOR_DEFAULT = 4.3

TABLE_NODES = (45, 28, 22)


# =========================================================================== functions
def power_law(a: float, b: float, size_kb: float) -> float:
    return a * size_kb ** b


def _interp_loglog(x: float, points: dict[int, float]) -> float:
    """Piecewise power law through ``points`` (x -> y), extrapolated with the end segments."""
    if x in points:                       # table points come back exactly
        return points[x]
    xs = sorted(points)
    if len(xs) == 1:
        return points[xs[0]]
    if x <= xs[0]:
        lo, hi = xs[0], xs[1]
    elif x >= xs[-1]:
        lo, hi = xs[-2], xs[-1]
    else:
        lo = max(v for v in xs if v <= x)
        hi = min(v for v in xs if v > x)
    slope = math.log(points[hi] / points[lo]) / math.log(hi / lo)
    return points[lo] * (x / lo) ** slope


@dataclass(frozen=True)
class SramModel:
    """SRAM read/write energy for any capacity and word width from two power-law fits.

    Each fit (one word width) gives E(S) = a * S_KB**b. Between and beyond the two widths
    the energy is a power law in the word width through the two fitted values at that size
    (for CACTI 28 nm HP this is about E ∝ width^0.5): the fits are reproduced exactly at
    their own widths.
    """
    fits: tuple[tuple[int, float, float, float, float], ...]  # (word_bits, ra, rb, wa, wb)

    def _energy(self, size_kb: float, word_bits: float, write: bool) -> float:
        if size_kb <= 0 or word_bits <= 0:
            return 0.0
        pts = {}
        for w, ra, rb, wa, wb in self.fits:
            pts[w] = power_law(wa, wb, size_kb) if write else power_law(ra, rb, size_kb)
        return _interp_loglog(float(word_bits), pts)

    def read_pj(self, size_kb: float, word_bits: float) -> float:
        return self._energy(size_kb, word_bits, False)

    def write_pj(self, size_kb: float, word_bits: float) -> float:
        return self._energy(size_kb, word_bits, True)


def cacti_fits(cell: str, node_nm: int) -> tuple[tuple[int, float, float, float, float], ...] | None:
    """The CACTI fits for ``cell`` at ``node_nm`` if the table has both word widths."""
    rows = [(w, *CACTI_SRAM_FITS[(c, w, n)]) for (c, w, n) in CACTI_SRAM_FITS if c == cell and n == node_nm]
    return tuple(sorted(rows)) if len(rows) >= 2 else None


def int_add_pj(bits: float, scale: float) -> float:
    """Energy of a ``bits``-wide integer add: Horowitz's 45 nm figures, log-log between 8/16/32 b,
    times the node scale."""
    return _interp_loglog(bits, INT_ADD_PJ_45) * scale


def int_mult_pj(bits_a: float, bits_b: float, scale: float) -> float:
    """Energy of a ``bits_a`` x ``bits_b`` multiply: the n x n entry at n = sqrt(a*b) of Horowitz's
    45 nm figures (Horowitz, ISSCC 2014), times the node scale."""
    return _interp_loglog(math.sqrt(bits_a * bits_b), INT_MULT_PJ_45) * scale


def node_default(table: dict[int, float], node_nm: int, field: str, what: str) -> float:
    """Look up a node table or raise a ConfigError that tells the user which field to set."""
    if node_nm in table:
        return table[node_nm]
    raise ConfigError(f"technology.{field}", f"has no default at {node_nm} nm (tables cover "
                      f"{', '.join(str(n) for n in sorted(table))} nm)", None,
                      f"set technology.{field} ({what}) explicitly, or use technology.node_nm 45, 28 or 22")
