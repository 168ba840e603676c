"""Golden vectors for another team's RTL (``neurocycle vectors CHIP NET --out DIR``): what every
router port and every core of the chip does in every cycle of a run, in the compact text
format of docs/vectors.md, read by the cocotb scoreboard in neurocycle.rtl._scoreboard.

Files (tab-separated, one header line each, flits as hex words of the RTL's flit layout):
- ``ports.tsv``  ``cycle x y port flit``: router (x, y)'s output ``port`` granted a flit (a local
  port L, L1, ...: into that core's FIFO)
- ``cores.tsv``  ``cycle x y kind value``: core (x, y) — x the core column, router x times the cores
  per router plus the local core, as in a flit's dst_x — ``push``ed flit ``value`` into its
  router's local input, or an UPDATE of its neuron ``value`` ``spike``d (``payload`` column)
- ``host.tsv``   ``cycle flit``: the host link pushed a flit into input W of the host row
- ``steps.tsv``  ``t T Q T_next``: each timestep's first cycle, quiescence and next start
- ``vectors.json`` the chip, the flit layout (field, lsb, bits), port names, counts, files' SHA-256
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from neurocycle.hw import layout

from ._activity import Activity

__all__ = ["write_vectors", "VECTORS_FORMAT"]

VECTORS_FORMAT = 1


def write_vectors(act: Activity, folder, *, program, extra: dict | None = None) -> list[Path]:
    """Write the vectors of ``act`` (a replayed run or window) into the existing ``folder``."""
    out = Path(folder)
    chip = act.chip
    W, C = chip.mesh.width, act.cores_per_router
    names = act.port_names
    WC = W * C
    files = []

    def tsv(name: str, header: str, lines) -> None:
        p = out / name
        with open(p, "w") as f:
            f.write(header + "\n")
            f.writelines(lines)
        files.append(p)

    tsv("ports.tsv", "cycle\tx\ty\tport\tflit",
        (f"{c}\t{r % W}\t{r // W}\t{names[o]}\t{fl:x}\n" for c, r, o, i, fl in act.grants.tolist()))
    core = [(c, k, 0, f"{fl:x}\t") for c, k, fl in act.nu_pushes.tolist()]
    core += [(c, k, 1, f"{n}\t{q}") for c, k, n, q in act.spikes.tolist()]
    core.sort(key=lambda e: (e[0], e[1], e[2]))
    tsv("cores.tsv", "cycle\tx\ty\tkind\tvalue\tpayload",
        (f"{c}\t{k % WC}\t{k // WC}\t{('push', 'spike')[kind]}\t{v}\n" for c, k, kind, v in core))
    tsv("host.tsv", "cycle\tflit", (f"{c}\t{fl:x}\n" for c, fl in act.host.tolist()))
    tsv("steps.tsv", "t\tT\tQ\tT_next", ("\t".join(map(str, row)) + "\n" for row in act.steps.tolist()))
    widths = vars(chip.derived)
    fields = [{"field": f.name, "lsb": layout.CHIP_FLIT.shifts(widths)[f.name],
               "bits": layout.CHIP_FLIT.widths(widths)[f.name]} for f in layout.CHIP_FLIT.fields]
    meta = {"neurocycle_vectors": VECTORS_FORMAT, "chip": chip.model_dump(), "mesh": [W, chip.mesh.height],
            "cores_per_router": C, "ports": list(names), "flit": fields, "flit_bits": chip.derived.flit_bits,
            "host_input": {"x": 0, "y": chip.host.row, "port": "W"},
            "timesteps": [act.t0, act.t1], "first_cycle": act.first_cycle, "end_cycle": act.end_cycle,
            "counts": {"ports": len(act.grants), "pushes": len(act.nu_pushes), "spikes": len(act.spikes),
                       "host": len(act.host)},
            "files": {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}, **(extra or {})}
    p = out / "vectors.json"
    p.write_text(json.dumps(meta, indent=1))
    return files + [p]


def run_scoreboard(program, stim, folder, *, defines: dict | None = None, work_dir=None) -> dict:
    """Run ``program`` on neurocycle's own ``nc_chip`` (a build with every signal visible, and the
    test-only ``defines``) under the cocotb scoreboard of neurocycle.rtl._scoreboard, checking the
    vectors in ``folder``; returns the scoreboard's report (``ok``, ``matched``, ``mismatches``)."""
    import pickle
    import tempfile

    from neurocycle.rtl import build, run_cocotb

    from ._cosim import rtl_case

    case = rtl_case(program, stim)
    b = build("nc_chip", case["parameters"], waves=True, defines=defines)
    wd = Path(work_dir) if work_dir is not None else Path(tempfile.mkdtemp(prefix="nc-vectors-"))
    wd.mkdir(parents=True, exist_ok=True)
    job, out = wd / "job.pkl", wd / "scoreboard.json"
    with open(job, "wb") as fh:
        pickle.dump({"cases": [case]}, fh)
    run_cocotb(b, "neurocycle.rtl._scoreboard", test_dir=wd, log_file=wd / "sim.log",
               extra_env={"NC_COSIM_JOB": str(job), "NC_VECTORS_DIR": str(Path(folder).resolve()),
                          "NC_VECTORS_OUT": str(out)})
    return json.loads(out.read_text())
