"""Where the flits of a program go: unicast flits by XY routing, multicast flits by following the
program's routing tables and default routes, router by router (docs/microarchitecture.md §4).

:func:`walk` is the one reading of the tables that the functional reference, the cycle engine's
driver and the traffic report share; it refuses tables that leave the mesh or revisit a router
(§4.4). It reads only the program (the tables a host would load), not the compiler's trees, so
the reference checks that the compiler's tables mean what the network said.
"""
from __future__ import annotations

from dataclasses import dataclass
import numpy as np

from neurocycle.hw import ConfigError, layout

from ._noc import DEFAULT_OUT, P_E, P_N, P_S, P_W, STEP, local_port
from ._program import ChipProgram

__all__ = ["ProgramFlits", "program_flits", "Walk", "walk", "destinations", "noc_traffic"]


@dataclass(frozen=True)
class ProgramFlits:
    """Every flit of a program's fan-out tables, neuron entries first, then host entries:
    where it enters the mesh (router, input port), whether it is multicast, its key (the flit
    without the mc bit), its axon and (unicast) its destination core."""
    n_neuron: int               # entries 0 .. n_neuron-1 are the neuron fan-out table (program order)
    router: np.ndarray          # int64: router whose input FIFO the flit is pushed into
    inport: np.ndarray          # int64: that input port (a local port, or W for the host link)
    mc: np.ndarray              # bool
    key: np.ndarray             # int64
    axon: np.ndarray            # int64
    dst_core: np.ndarray        # int64: unicast destination core (-1 for multicast)


def program_flits(p: ChipProgram) -> ProgramFlits:
    chip = p.chip
    W, C = chip.mesh.width, chip.mesh.cores_per_router
    WC = W * C
    # neuron entries: owner core of every entry (tables are concatenated in core order)
    n_fo = int(p.fanout_axon.size)
    owner = np.repeat(np.arange(p.n_cores), np.diff(p.core_fanout_offset))
    n_in = int(p.input_axon.size)
    host_r = chip.host.row * W
    router = np.concatenate([owner // C, np.full(n_in, host_r, np.int64)]).astype(np.int64)
    inport = np.concatenate([local_port(owner % C), np.full(n_in, P_W, np.int64)]).astype(np.int64)
    x = np.concatenate([p.fanout_dst_x, p.input_dst_x]).astype(np.int64)
    y = np.concatenate([p.fanout_dst_y, p.input_dst_y]).astype(np.int64)
    axon = np.concatenate([p.fanout_axon, p.input_axon]).astype(np.int64)
    mc = np.concatenate([p.fanout_mc, p.input_mc]).astype(bool)
    key = layout.CHIP_FLIT.pack(vars(chip.derived), axon=axon, dst_y=y, dst_x=x).astype(np.int64)
    dst = np.where(mc, -1, y * WC + x)
    return ProgramFlits(n_fo, router, inport, mc, key, axon, dst)


@dataclass(frozen=True)
class Walk:
    """The routes of the multicast flits of a program, as a forest of nodes (one node per router
    a flit visits). Node arrays are in breadth-first order; flit index = index into
    :class:`ProgramFlits`."""
    flit: np.ndarray       # int64 [n_nodes]
    router: np.ndarray     # int64
    inport: np.ndarray     # int64
    outputs: np.ndarray    # int64: output-port set at that router (table entry or default route)
    default: np.ndarray    # bool: no table entry matched (default route, or dropped)
    parent: np.ndarray     # int64: parent node (-1 at the root)
    parent_out: np.ndarray  # int64: the parent's output port this node hangs off (-1 at the root)
    root: np.ndarray       # int64 [n_flits]: root node of each flit (-1 for unicast flits)
    ej_node: np.ndarray    # int64 [n_ejections]: node of each ejection into a core
    ej_core: np.ndarray    # int64: core ejected into
    ej_flit: np.ndarray    # int64


def _sorted_tables(p: ChipProgram):
    """The tables as sorted composite keys (router << 40 | key) and their outputs."""
    ent_r = np.repeat(np.arange(p.n_routers, dtype=np.int64), np.diff(p.router_table_offset))
    comp = (ent_r << 40) | p.table_key.astype(np.int64)
    order = np.argsort(comp, kind="stable")
    return comp[order], p.table_outputs.astype(np.int64)[order]


def _table_lookup(tables, router: np.ndarray, key: np.ndarray):
    """(found, outputs) of (router, key) in the program's tables (``_sorted_tables``)."""
    comp_s, outs = tables
    n_e = int(comp_s.size)
    if n_e == 0:
        return np.zeros(router.size, bool), np.zeros(router.size, np.int64)
    q = (router << 40) | key
    i = np.minimum(np.searchsorted(comp_s, q), n_e - 1)
    found = comp_s[i] == q
    return found, np.where(found, outs[i], 0)


def walk(p: ChipProgram, flits: ProgramFlits | None = None) -> Walk:
    """Follow every multicast flit of ``p`` through the routing tables (entry, else the default
    route of its input port), router by router. Raises ConfigError for tables the contract's
    model refuses (§4.4): a route off the mesh, or a flit reaching a router twice."""
    if flits is not None:
        return _walk(p, flits)
    cached = p.__dict__.get("_walk")          # a program is immutable: walk it once
    if cached is None:
        cached = _walk(p, program_flits(p))
        p.__dict__["_walk"] = cached
    return cached


def _walk(p: ChipProgram, f: ProgramFlits) -> Walk:
    chip = p.chip
    W, H, C = chip.mesh.width, chip.mesh.height, chip.mesh.cores_per_router
    P = chip.derived.n_ports
    lports = [local_port(j) for j in range(C)]
    mcf = np.flatnonzero(f.mc)
    fr = mcf.astype(np.int64)
    rr, ip = f.router[mcf], f.inport[mcf]
    par = np.full(mcf.size, -1, np.int64)
    pout = np.full(mcf.size, -1, np.int64)
    cols = {k: [] for k in ("flit", "router", "inport", "outputs", "default", "parent", "parent_out")}
    ej = {"node": [], "core": [], "flit": []}
    n_nodes = 0
    tables = _sorted_tables(p)
    for _level in range(chip.derived.n_routers + 1):
        if fr.size == 0:
            break
        found, outs = _table_lookup(tables, rr, f.key[fr])
        outs = np.where(found, outs, DEFAULT_OUT[ip])
        ids = n_nodes + np.arange(fr.size)
        n_nodes += fr.size
        for k, v in (("flit", fr), ("router", rr), ("inport", ip), ("outputs", outs), ("default", ~found),
                     ("parent", par), ("parent_out", pout)):
            cols[k].append(v)
        if np.any(outs >> P):
            i = int(np.argmax(outs >> P))
            raise ConfigError("program.table_outputs", f"router {int(rr[i])} routes a multicast flit to port(s) "
                              f"beyond its {P} ports", int(outs[i]), "rebuild the program with compile_network")
        for j, lp in enumerate(lports):
            hit = ((outs >> lp) & 1).astype(bool)
            ej["node"].append(ids[hit])
            ej["core"].append(rr[hit] * C + j)
            ej["flit"].append(fr[hit])
        nxt = []
        x, y = rr % W, rr // W
        for o in (P_N, P_E, P_S, P_W):
            hit = ((outs >> o) & 1).astype(bool)
            if not hit.any():
                continue
            dx, dy, p2 = STEP[o]
            x2, y2 = x[hit] + dx, y[hit] + dy
            off = (x2 < 0) | (x2 >= W) | (y2 < 0) | (y2 >= H)
            if off.any():
                i = int(np.flatnonzero(off)[0])
                r = int(rr[hit][i])
                raise ConfigError("program.routing_tables", f"a multicast flit (key {int(f.key[fr[hit][i]])}) is "
                                  f"routed off the mesh by router {r} (x={r % W}, y={r // W}) through port "
                                  f"{layout.PORTS[o]}", r, "rebuild the program with compile_network: its trees "
                                  "stay on the mesh")
            nxt.append((fr[hit], y2 * W + x2, np.full(int(hit.sum()), p2, np.int64), ids[hit],
                        np.full(int(hit.sum()), o, np.int64)))
        if not nxt:
            fr = np.zeros(0, np.int64)
            break
        fr, rr, ip, par, pout = (np.concatenate(z) for z in zip(*nxt))
    if fr.size:
        raise ConfigError("program.routing_tables", "a multicast flit circulates: its route does not end within "
                          f"{chip.derived.n_routers} routers", int(f.key[fr[0]]),
                          "rebuild the program with compile_network: its trees reach each router once")
    cat = {k: (np.concatenate(v) if v else np.zeros(0, np.int64)) for k, v in cols.items()}
    if cat["flit"].size:
        visit = np.sort(cat["flit"] * p.n_routers + cat["router"])
        if (np.diff(visit) == 0).any():
            raise ConfigError("program.routing_tables", "a multicast flit reaches a router twice", None,
                              "rebuild the program with compile_network: its trees reach each router once")
    root = np.full(f.mc.size, -1, np.int64)
    is_root = cat["parent"] < 0
    root[cat["flit"][is_root]] = np.flatnonzero(is_root)
    ejc = {k: (np.concatenate(v).astype(np.int64) if v else np.zeros(0, np.int64)) for k, v in ej.items()}
    return Walk(flit=cat["flit"].astype(np.int64), router=cat["router"].astype(np.int64),
                inport=cat["inport"].astype(np.int64), outputs=cat["outputs"].astype(np.int64),
                default=cat["default"].astype(bool), parent=cat["parent"].astype(np.int64),
                parent_out=cat["parent_out"].astype(np.int64), root=root, ej_node=ejc["node"],
                ej_core=ejc["core"], ej_flit=ejc["flit"])


def destinations(p: ChipProgram) -> tuple[ProgramFlits, np.ndarray, np.ndarray]:
    """(flits, flit index, destination core) of every delivery: one per unicast flit, one per
    ejection of a multicast flit."""
    f = program_flits(p)
    uni = np.flatnonzero(~f.mc)
    if not f.mc.any():
        return f, uni, f.dst_core[uni]
    w = walk(p)
    return f, np.concatenate([uni, w.ej_flit]), np.concatenate([f.dst_core[uni], w.ej_core])


def _unicast_hops(p: ChipProgram, f: ProgramFlits, idx: np.ndarray) -> np.ndarray:
    W, C = p.chip.mesh.width, p.chip.mesh.cores_per_router
    r2 = f.dst_core[idx] // C
    r1 = f.router[idx]
    return np.abs(r1 % W - r2 % W) + np.abs(r1 // W - r2 // W)


def noc_traffic(p: ChipProgram) -> dict:
    """The program's traffic if every neuron and input channel fires once (one timestep in which
    all sources spike): what a placement and a routing mode cost the network before any
    simulation. ``link_flits`` (the hop-weighted traffic) and ``router_flits`` are exactly what
    the cycle model's counters of the same names would count in such a timestep."""
    f = program_flits(p)
    uni = np.flatnonzero(~f.mc)
    hops = _unicast_hops(p, f, uni)
    links = int(hops.sum())
    grants = int((hops + 1).sum())
    deliveries = int(uni.size)
    lookups = 0
    entries_hit = 0
    if f.mc.any():
        w = walk(p)
        nlinks = sum(((w.outputs >> o) & 1) for o in (P_N, P_E, P_S, P_W))
        links += int(nlinks.sum())
        grants += int(nlinks.sum()) + int(w.ej_core.size)
        deliveries += int(w.ej_core.size)
        lookups = int(w.flit.size)
        entries_hit = int((~w.default).sum())
    n_fl = int(f.mc.size)
    return {"flits": n_fl, "multicast_flits": int(f.mc.sum()), "deliveries": deliveries,
            "link_flits": links, "router_flits": grants, "mc_table_lookups": lookups,
            "mc_table_hits": entries_hit,
            "hops_per_flit": links / n_fl if n_fl else 0.0,
            "hops_per_delivery": links / deliveries if deliveries else 0.0}


def hop_range(p: ChipProgram) -> np.ndarray:
    """Per flit of the program (ProgramFlits order), the router grants it takes (its work in the
    watchdog bound): unicast hops + 1, or the grants of its multicast tree."""
    f = program_flits(p)
    out = np.zeros(f.mc.size, np.int64)
    uni = np.flatnonzero(~f.mc)
    out[uni] = _unicast_hops(p, f, uni) + 1
    if f.mc.any():
        w = walk(p)
        g = np.zeros(w.flit.size, np.int64)
        for o in range(p.chip.derived.n_ports):
            g += (w.outputs >> o) & 1
        out += np.bincount(w.flit, weights=g, minlength=f.mc.size).astype(np.int64)
    return out



def link_outputs(p: ChipProgram) -> np.ndarray:
    """int32 [n_routers * 8]: the chip-to-chip link that output o of router r drives, at r*8 + o,
    or -1 (every entry on a single chip; docs/microarchitecture.md §12.2)."""
    lko = np.full(p.n_routers * 8, -1, np.int32)
    if p.system is not None:
        lk = p.system.derived.links
        lko[lk.src * 8 + lk.out_port] = np.arange(lk.n, dtype=np.int32)
    return lko


def link_crossings(p: ChipProgram) -> np.ndarray:
    """Per flit of the program (ProgramFlits order), the copies it sends over chip-to-chip links:
    a unicast flit crosses every chip column and then every chip row between its source and its
    destination (XY on the system mesh); a multicast flit, the link outputs of its tree. Zero on
    a single chip."""
    f = program_flits(p)
    out = np.zeros(f.mc.size, np.int64)
    s = p.system
    if s is None:
        return out
    MW, W, H, C = s.derived.mesh_width, s.chip.mesh.width, s.chip.mesh.height, s.chip.mesh.cores_per_router
    uni = np.flatnonzero(~f.mc)
    r1, r2 = f.router[uni], f.dst_core[uni] // C
    out[uni] = np.abs(r1 % MW // W - r2 % MW // W) + np.abs(r1 // MW // H - r2 // MW // H)
    if f.mc.any():
        w = walk(p)
        lko = link_outputs(p)
        n = np.zeros(w.flit.size, np.int64)
        for o in (P_N, P_E, P_S, P_W):
            n += ((w.outputs >> o) & 1) * (lko[w.router * 8 + o] >= 0)
        out += np.bincount(w.flit, weights=n, minlength=f.mc.size).astype(np.int64)
    return out
