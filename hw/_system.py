"""Systems of chips: a grid of chips of one design joined by chip-to-chip links
(docs/microarchitecture.md §12). Frozen pydantic models, unknown keys rejected, strict types.

A system is simulated as one **system mesh**: the chips' meshes side by side, router and core
indices row-major over the whole mesh (§12.1). :attr:`SystemConfig.mesh_chip` is that mesh as a
chip config (the chip's design with the system's width, height, flit widths and barrier), so the
compiler, the reference, the routing walk and the cycle models read a system program exactly as
a chip program; :attr:`SystemDerived.links` lists the directed chip-to-chip links (§12.2) that
make the difference. Derived quantities are computed once, in :class:`SystemDerived`.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated

import numpy as np
from pydantic import Field, model_validator

from ._config import ChipConfig, MeshConfig, load_chip
from ._errors import ConfigError
from ._frozen import ConfigModel
from ._layout import PORTS
from ._yaml import node_line, parse_yaml, read_yaml, validate_data

__all__ = ["GridConfig", "LinkOverride", "SystemConfig", "SystemDerived", "LinkTable", "load_system",
           "system_from_yaml_text", "MAX_SYSTEM_CORES", "MAX_FLIT_BITS"]

# The cycle kernel addresses cores with the 16-bit `dst` field of its flit word (hw/_layout.py
# KERNEL_FLIT); a system is simulated as one mesh, so its cores share that address space.
MAX_SYSTEM_CORES = 1 << 16
MAX_FLIT_BITS = 63          # a flit (and a multicast key) is packed into a non-negative int64

_P = {n: i for i, n in enumerate(PORTS)}
# output port -> (dX, dY, input port at the neighbour)
_STEP = {_P["N"]: (0, -1, _P["S"]), _P["E"]: (1, 0, _P["W"]), _P["S"]: (0, 1, _P["N"]), _P["W"]: (-1, 0, _P["E"])}


class GridConfig(ConfigModel):
    """The chip grid: ``width`` chip columns (cx, west→east) × ``height`` chip rows (cy, north→south)."""
    width: Annotated[int, Field(ge=1, le=64, description="chips along x")] = 1
    height: Annotated[int, Field(ge=1, le=64, description="chips along y")] = 1


class LinkOverride(ConfigModel):
    """Different link parameters for the links between two neighbouring chips (e.g. a cable
    between boards); unset fields keep the system's values."""
    chips: Annotated[tuple[tuple[int, int], tuple[int, int]], Field(
        description="the two chips, as [[cx, cy], [cx2, cy2]] (grid neighbours)")]
    link_latency_cycles: Annotated[int | None, Field(ge=0, le=1 << 16, description="pipeline registers of "
                                                     "these links")] = None
    link_credit_latency_cycles: Annotated[int | None, Field(ge=0, le=1 << 16, description="credit return "
                                                            "registers of these links")] = None
    link_cycles_per_flit: Annotated[int | None, Field(ge=1, le=1024, description="serialiser cycles per flit "
                                                      "of these links")] = None
    link_energy_pj_per_bit: Annotated[float | None, Field(ge=0, le=1e4, description="energy per flit bit "
                                                          "carried by these links")] = None


class SystemConfig(ConfigModel):
    """A system: a grid of chips of one design and the links between them (docs/microarchitecture.md §12)."""
    name: Annotated[str, Field(description="preset / report name")] = "system"
    description: Annotated[str, Field(description="one line for `neurocycle presets`")] = ""
    chip: Annotated[ChipConfig, Field(description="the chip of every grid position: a preset name, a chip "
                                                  "file (relative to this file) or an inline chip mapping")]
    grid: GridConfig = GridConfig()
    link_latency_cycles: Annotated[int, Field(ge=0, le=1 << 16, description="pipeline registers of a "
                                              "chip-to-chip link: a flit granted in cycle c is pushed into the "
                                              "receiving FIFO in cycle c + latency (0: a wire)")] = 8
    link_credit_latency_cycles: Annotated[int | None, Field(ge=0, le=1 << 16, description="cycles a credit "
                                                            "takes back to the sender after the receiving FIFO "
                                                            "pops (null: link_latency_cycles)")] = None
    link_cycles_per_flit: Annotated[int, Field(ge=1, le=1024, description="serialiser: cycles between two "
                                               "flits on one link (1 = a flit per cycle)")] = 1
    link_buffer_flits: Annotated[int, Field(ge=1, le=64, description="receive buffer: depth of the input FIFO "
                                            "a link feeds, = the sender's credits")] = 16
    link_energy_pj_per_bit: Annotated[float, Field(ge=0, le=1e4, description="energy per flit bit carried over a "
                                                   "chip-to-chip link (SerDes, pads, wire)")] = 10.0
    serdes_static_power_mw: Annotated[float, Field(ge=0, le=1e5, description="static power of one directed link "
                                                   "(its transmitter and receiver)")] = 0.0
    barrier_cycles_per_chip_hop: Annotated[int | None, Field(ge=0, le=1 << 20, description="cycles a barrier "
                                                             "token takes per chip hop (null: "
                                                             "link_latency_cycles + 1)")] = None
    link_overrides: Annotated[tuple[LinkOverride, ...], Field(description="other link parameters between "
                                                              "particular neighbouring chips")] = ()

    @model_validator(mode="after")
    def _checks(self):
        g, c = self.grid, self.chip
        seen = {}
        for i, o in enumerate(self.link_overrides):
            a, b = o.chips
            for which, (cx, cy) in (("0", a), ("1", b)):
                if not (0 <= cx < g.width and 0 <= cy < g.height):
                    raise ValueError(f"@link_overrides[{i}].chips[{which}]|names chip ({cx}, {cy}), which does not "
                                     f"exist: the grid is {g.width} x {g.height} chips (cx 0..{g.width - 1}, cy "
                                     f"0..{g.height - 1})|name a chip of the grid, or enlarge grid.width/height")
            if abs(a[0] - b[0]) + abs(a[1] - b[1]) != 1:
                raise ValueError(f"@link_overrides[{i}].chips|chips ({a[0]}, {a[1]}) and ({b[0]}, {b[1]}) are not "
                                 "neighbours in the grid, so no link joins them|name two chips one column or one "
                                 "row apart")
            key = tuple(sorted((tuple(a), tuple(b))))
            if key in seen:
                raise ValueError(f"@link_overrides[{i}].chips|the links between chips {key[0]} and {key[1]} are "
                                 f"already overridden by link_overrides[{seen[key]}]|merge the two entries")
            seen[key] = i
        n = g.width * g.height * c.derived.n_cores
        if n > MAX_SYSTEM_CORES:
            per = c.derived.n_cores
            most = max(1, MAX_SYSTEM_CORES // per)
            raise ValueError(f"@grid|{g.width} x {g.height} chips of {per} cores = {n} cores, more than the "
                             f"{MAX_SYSTEM_CORES} cores the cycle engine addresses in one system|use at most {most} "
                             f"chips of this design (e.g. a {_grid_fit(most)} grid), or smaller chips")
        flit = self._flit_bits()
        if flit > MAX_FLIT_BITS:
            raise ValueError(f"@grid|a {g.width} x {g.height} grid needs system coordinates of "
                             f"{flit - c.derived.flit_bits + c.derived.x_bits + c.derived.y_bits} bits, which makes "
                             f"the flit {flit} bits, more than {MAX_FLIT_BITS}|use a smaller grid, fewer axons "
                             "or fewer payload bits")
        return self

    def _flit_bits(self) -> int:
        c, g = self.chip, self.grid
        d = c.derived
        xb = _clog2(c.mesh.width * g.width * c.mesh.cores_per_router)
        yb = _clog2(c.mesh.height * g.height)
        return d.flit_bits - d.x_bits - d.y_bits + xb + yb

    @cached_property
    def derived(self) -> "SystemDerived":
        return SystemDerived.of(self)

    @cached_property
    def mesh_chip(self) -> ChipConfig:
        """The system mesh as a chip config (docs/microarchitecture.md §12.1): the chip's design
        with the mesh of the whole grid, hence system-wide flit widths, and the system barrier.
        Built without validation (it may exceed a chip's 64 x 64 mesh limit), so never
        re-validate or override it: change the system instead."""
        c, d = self.chip, self.derived
        fields = {name: getattr(c, name) for name in ChipConfig.model_fields}
        fields.update(name=self.name, barrier_cycles=d.barrier_cycles,
                      mesh=MeshConfig.model_construct(width=d.mesh_width, height=d.mesh_height,
                                                      cores_per_router=c.mesh.cores_per_router))
        return ChipConfig.model_construct(**fields)

    def chip_of_router(self, router) -> np.ndarray:
        """Chip index q = cy * grid.width + cx of system router(s)."""
        d = self.derived
        r = np.asarray(router, np.int64)
        X, Y = r % d.mesh_width, r // d.mesh_width
        return (Y // self.chip.mesh.height) * self.grid.width + X // self.chip.mesh.width

    def chip_of_core(self, core) -> np.ndarray:
        return self.chip_of_router(np.asarray(core, np.int64) // self.chip.mesh.cores_per_router)

    def chip_name(self, q: int) -> str:
        return f"chip {q} (cx={q % self.grid.width}, cy={q // self.grid.width})"


def _clog2(n: int) -> int:
    return max(1, math.ceil(math.log2(n))) if n > 1 else 1


def _grid_fit(n: int) -> str:
    w = max(1, int(math.isqrt(n)))
    return f"{w} x {n // w}"


@dataclass(frozen=True)
class LinkTable:
    """The directed chip-to-chip links of a system (docs/microarchitecture.md §12.2), ordered by
    (sending router, output port): link ``l`` carries the copies granted on output ``out_port[l]``
    of system router ``src[l]`` into input ``in_port[l]`` of router ``dst[l]``."""
    src: np.ndarray            # int64 sending router (system index)
    out_port: np.ndarray       # int64 its output port (N, E, S or W)
    dst: np.ndarray            # int64 receiving router
    in_port: np.ndarray        # int64 its input port (the opposite side)
    src_chip: np.ndarray       # int64 chip of the sender
    dst_chip: np.ndarray       # int64 chip of the receiver
    latency: np.ndarray        # int64 pipeline registers L
    credit_latency: np.ndarray  # int64 credit return registers Lc
    cycles_per_flit: np.ndarray  # int64 serialiser k
    energy_pj_per_bit: np.ndarray  # float64

    @property
    def n(self) -> int:
        return int(self.src.size)

    def name(self, l: int, mesh_width: int) -> str:  # noqa: E741
        s, o = int(self.src[l]), int(self.out_port[l])
        return (f"link {l}: router ({s % mesh_width},{s // mesh_width}) {PORTS[o]} of chip {int(self.src_chip[l])} "
                f"-> chip {int(self.dst_chip[l])}")


@dataclass(frozen=True)
class SystemDerived:
    """Quantities derived from a system config, computed in this one place."""
    n_chips: int
    mesh_width: int           # tiles of the system mesh along X (grid.width x chip mesh width)
    mesh_height: int
    n_routers: int
    n_cores: int
    diameter: int             # chip hops from chip (0, 0) to the farthest chip: (GX-1) + (GY-1)
    hop_cycles: int           # barrier token cycles per chip hop (resolved)
    barrier_cycles: int       # the system barrier: chip barrier + 2 x diameter x hop_cycles
    links: LinkTable

    @classmethod
    def of(cls, s: SystemConfig) -> "SystemDerived":
        c, g = s.chip, s.grid
        W, H = c.mesh.width, c.mesh.height
        MW, MH = W * g.width, H * g.height
        diameter = (g.width - 1) + (g.height - 1)
        hop = s.link_latency_cycles + 1 if s.barrier_cycles_per_chip_hop is None else s.barrier_cycles_per_chip_hop
        lc = s.link_latency_cycles if s.link_credit_latency_cycles is None else s.link_credit_latency_cycles
        # directed links, by (sending router, output port)
        R = np.arange(MW * MH, dtype=np.int64)
        X, Y = R % MW, R // MW
        rows = []
        for o in sorted(_STEP):
            dx, dy, p2 = _STEP[o]
            X2, Y2 = X + dx, Y + dy
            ok = (X2 >= 0) & (X2 < MW) & (Y2 >= 0) & (Y2 < MH)
            cross = ok & ((X2 // W != X // W) | (Y2 // H != Y // H))
            r = R[cross]
            rows.append(np.stack([r, np.full(r.size, o), Y2[cross] * MW + X2[cross], np.full(r.size, p2)], axis=1))
        lk = np.concatenate(rows) if rows else np.zeros((0, 4), np.int64)
        lk = lk[np.lexsort((lk[:, 1], lk[:, 0]))]
        src, out_port, dst, in_port = (lk[:, i].astype(np.int64) for i in range(4))

        def chip(r):
            return (r // MW // H) * g.width + (r % MW) // W

        qs, qd = chip(src), chip(dst)
        lat = np.full(src.size, s.link_latency_cycles, np.int64)
        clat = np.full(src.size, lc, np.int64)
        kpf = np.full(src.size, s.link_cycles_per_flit, np.int64)
        epb = np.full(src.size, float(s.link_energy_pj_per_bit))
        for o in s.link_overrides:
            (ax, ay), (bx, by) = o.chips
            a, b = ay * g.width + ax, by * g.width + bx
            sel = ((qs == a) & (qd == b)) | ((qs == b) & (qd == a))
            if o.link_latency_cycles is not None:
                lat[sel] = o.link_latency_cycles
                if o.link_credit_latency_cycles is None and s.link_credit_latency_cycles is None:
                    clat[sel] = o.link_latency_cycles        # the credit latency follows the latency
            if o.link_credit_latency_cycles is not None:
                clat[sel] = o.link_credit_latency_cycles
            if o.link_cycles_per_flit is not None:
                kpf[sel] = o.link_cycles_per_flit
            if o.link_energy_pj_per_bit is not None:
                epb[sel] = o.link_energy_pj_per_bit
        links = LinkTable(src=src, out_port=out_port, dst=dst, in_port=in_port, src_chip=qs, dst_chip=qd,
                          latency=lat, credit_latency=clat, cycles_per_flit=kpf, energy_pj_per_bit=epb)
        for a in (src, out_port, dst, in_port, qs, qd, lat, clat, kpf, epb):
            a.setflags(write=False)
        return cls(n_chips=g.width * g.height, mesh_width=MW, mesh_height=MH, n_routers=MW * MH,
                   n_cores=MW * MH * c.mesh.cores_per_router, diameter=diameter, hop_cycles=hop,
                   barrier_cycles=c.barrier_cycles + 2 * diameter * hop, links=links)


# ----------------------------------------------------------------------------- loading
def _resolve_chip(data, base_dir: str | None, node, source: str | None):
    """A system YAML's ``chip`` (a preset name, a chip file relative to the system file, or a
    mapping) loaded and validated as a ChipConfig; errors name the system file's line."""
    if not isinstance(data, dict) or "chip" not in data:
        return data
    spec = data["chip"]
    if isinstance(spec, ChipConfig):
        return data
    line = node_line(node, ("chip",)) if node is not None else None
    try:
        if isinstance(spec, str):
            path = spec
            if base_dir is not None and not os.path.isabs(spec) and os.path.exists(os.path.join(base_dir, spec)):
                path = os.path.join(base_dir, spec)
            chip = load_chip(path)
        elif isinstance(spec, dict):
            chip = load_chip(spec)
        else:
            raise ConfigError("chip", "must be a chip preset name, a chip file or a chip mapping",
                              type(spec).__name__, "write e.g. `chip: loihi-like`")
    except ConfigError as exc:
        if exc.source is None:
            field = exc.field if exc.field.startswith("chip") else f"chip.{exc.field}" if exc.field else "chip"
            raise ConfigError(field, exc.rule, exc.value, exc.fix, source=source, line=exc.line or line) from None
        raise
    return {**data, "chip": chip}


def load_system(source: "str | os.PathLike | SystemConfig | dict") -> SystemConfig:
    """Load a system config from a preset name (configs/systems), a YAML path or a dict."""
    from ._presets import resolve_file

    if isinstance(source, SystemConfig):
        return source
    if isinstance(source, dict):
        return validate_data(SystemConfig, _resolve_chip(source, None, None, None), what="system")
    path = resolve_file("systems", source)
    data, node = read_yaml(path)
    data = _resolve_chip(data, os.path.dirname(os.path.abspath(path)), node, path)
    return validate_data(SystemConfig, data, node=node, source=path, what="system")


def system_from_yaml_text(text: str, source: str = "<string>", base_dir: str | None = None) -> SystemConfig:
    data, node = parse_yaml(text, source)
    data = _resolve_chip(data, base_dir, node, source)
    return validate_data(SystemConfig, data, node=node, source=source, what="system")
