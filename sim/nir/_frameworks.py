"""How each framework's NIR export encodes its discrete-time neuron, and which reading a graph admits.

NIR has no timestep and no agreed discretisation: every writer maps its own per-step neuron
onto NIR's continuous-time equations in its own way (docs/nir.md, "Framework conventions").
A :class:`Convention` undoes one writer's mapping: from a node's NIR parameters and the
step length in the graph's time units (``dt_graph``) it gives the per-step model the chip
runs (decay fractions, input gain, leak drive) and how the writer compares with the
threshold. A :class:`Reading` is one convention applied to one graph: the step it uses,
where that step came from, and the physical step length (``dt_ms``) used for reports.

:func:`resolve` decides the reading of a graph: the framework the user named; else a
``metadata['dt']``; else a writer's own evidence in the numbers (snnTorch/Lava-dl write
``r = tau/dt``, SpikingJelly ``r = 1/dt`` on IF nodes, Spyx ``r = 1 - dt/tau``, Rockpool
``r = tau exp(-dt/tau)/dt``); else the candidates whose reading is plausible (every time
constant between one and 5,000 steps). One candidate is used and named in the report; two
or more are refused by the converter with what each implies.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from neurocycle.hw import ConfigError

GENERIC = "nir"
FRAMEWORKS = ("snntorch", "norse", "sinabs", "spikingjelly", "rockpool", "lava-dl", "spyx")
# plausible per-step decay fractions: time constants between 1 and 5,000 steps
PLAUSIBLE_F = (2e-4, 1.0)


@dataclass(frozen=True)
class Convention:
    """One writer's encoding of its per-step neuron in NIR (docs/nir.md has the table)."""
    name: str
    title: str
    disc: str              # how the writer's decay relates to tau/dt: "euler" (1 - dt/tau) or "exp"
    fires_on: str          # ">" (spike when v > threshold) or ">="
    default_step_s: float | None   # the writer's export default step (graph time units), if any
    gains: str             # "nir": NIR's input gains; "norse", "sinabs", "spyx", "rockpool": the writer's own
    internal_delay: int    # timesteps the writer's neuron itself delays its output (Spyx: 1)
    encodes: str           # one line: what the writer puts in the file
    reset: str             # what the writer does on a spike, and whether NIR keeps it
    cuba_refractory: int = 0   # timesteps a CubaLIF's v stays at v_reset after a spike (snnTorch Synaptic: 1)


CONVENTIONS: dict[str, Convention] = {c.name: c for c in (
    Convention(GENERIC, "NIR (continuous time)", "euler", ">", None, "nir", 0,
               "NIR's equations; no timestep in the file", "v <- v_reset"),
    Convention("snntorch", "snnTorch", "euler", ">", 1e-4, "nir", 0,
               "tau = dt/(1-beta), r = tau/dt, w_in = tau_syn/dt with dt = 1e-4 s (export_to_nir)",
               "default reset_mechanism='subtract' is written as v_reset = 0 (only 'zero' is kept; Synaptic's "
               "'zero' also holds mem at 0 for the step after a spike: refractory 1)", 1),
    Convention("norse", "Norse", "euler", ">", 1e-3, "norse", 0,
               "1.1: tau = dt/tau_inv (dt = 1e-3), r = 1, w_in = 1; later: tau = 1/tau_inv",
               "v <- v_reset (1.1 writes no v_reset: NIR's default 0)"),
    Convention("sinabs", "Sinabs", "exp", ">=", 1.0, "sinabs", 0,
               "tau in timesteps (alpha = exp(-1/tau)), r = 1; IF r = 1",
               "default MembraneSubtract + MultiSpike are not written (NIR: v <- 0, one spike)"),
    Convention("spikingjelly", "SpikingJelly", "euler", ">=", 1e-4, "nir", 0,
               "tau = tau_sj*dt, r = 1 (decay_input) or tau_sj, IF r = 1/dt, dt = 1e-4 s",
               "hard reset to v_reset kept; soft reset (v_reset=None) is written as v_reset = 0"),
    Convention("rockpool", "Rockpool", "exp", ">=", None, "rockpool", 0,
               "tau in seconds, r = tau exp(-dt/tau)/dt (dt = module.dt)",
               "subtracts the threshold and emits up to max_spikes_per_dt spikes: not written"),
    Convention("lava-dl", "Lava-dl (netx hdf5 via NIR's lava_to_nir)", "euler", ">", 1e-4, "nir", 0,
               "tau = dt/(decay/4096), r = tau/dt, w_in = tau_syn/dt, dt = 1e-4 s; weights and vThMant / 64",
               "v <- 0"),
    Convention("spyx", "Spyx", "euler", ">", 1.0, "spyx", 1,
               "tau = dt/(1-beta), r = beta (LIF, CubaLIF), IF r = 1, dt = 1 (to_nir default)",
               "subtracts the threshold (not written: NIR v <- 0); spikes from the state before the input"),
)}


@dataclass(frozen=True)
class Reading:
    """A convention applied to a graph."""
    convention: Convention
    dt_graph: float        # one chip timestep in the graph's time units
    dt_ms: float           # one chip timestep in physical milliseconds (reports, Poisson rates)
    source: str            # how the step was decided (goes into the report)

    @property
    def framework(self) -> str:
        return self.convention.name

    def label(self) -> str:
        return f"{self.convention.name} (dt = {self.dt_graph:g} graph units, {self.source})"


# ----------------------------------------------------------------------------- per-step model
def step_fraction(conv: Convention, tau: np.ndarray, dt_graph: float) -> np.ndarray:
    """The per-step decay fraction of a state with time constant ``tau`` (graph units)."""
    x = dt_graph / np.asarray(tau, np.float64)
    return -np.expm1(-x) if conv.disc == "exp" else x


def neuron_step(conv: Convention, kind: str, P, dt_graph: float, n: int, frac) -> tuple:
    """``(du, dv, gain, leak)`` per neuron of a NIR neuron node under ``conv``.

    ``P(name, default)`` reads a parameter broadcast to the node's ``n`` neurons; ``frac(tau, what)``
    is :func:`step_fraction` with the converter's checks. The chip runs
    ``u <- (1-du) u + gain x``, ``v <- (1-dv) v + u + leak`` (docs/nir.md, "Fixed point").
    """
    one = np.ones(n)
    g = conv.gains
    if kind in ("LIF", "LI"):
        fm = frac(P("tau"), "tau")
        if g == "spyx":
            gain = one.copy()                    # V <- beta V + x; r holds beta
        elif g == "rockpool":
            gain = (dt_graph / P("tau")) * P("r")    # = exp(-dt/tau) with rockpool's r
        elif g == "sinabs" and kind == "LI":
            gain = P("r")                        # ExpLeak: norm_input=False by default
        else:
            gain = fm * P("r")                   # NIR; Norse LIFBox; Sinabs LIF with norm_input=True
        return one, fm, gain, fm * P("v_leak", 0.0)
    if kind in ("CubaLIF", "CubaLI"):
        fs, fm = frac(P("tau_syn"), "tau_syn"), frac(P("tau_mem"), "tau_mem")
        if g == "norse":
            gain = fm * P("r")                   # the input jumps the current: i <- i + x
        elif g == "spyx":
            gain = one.copy()                    # I <- alpha I + x; V <- beta V + I
        elif g == "rockpool":
            gain = 1.0 - fs                      # isyn <- beta (isyn + x); vmem <- alpha vmem + isyn
        else:
            gain = fm * P("r") * fs * P("w_in", 1.0)
        return fs, fm, gain, fm * P("v_leak", 0.0)
    if kind in ("IF", "I"):
        gain = dt_graph * P("r") if g == "nir" else (one.copy() if g == "spyx" else P("r"))
        return one, np.zeros(n), gain, np.zeros(n)
    return one, one, one.copy(), np.zeros(n)     # Threshold: a comparator of this step's input


# ----------------------------------------------------------------------------- evidence
NEURONS = ("LIF", "CubaLIF", "IF", "LI", "CubaLI", "I")


def _arr(node, name, default=None):
    v = getattr(node, name, default)
    return None if v is None else np.asarray(v, np.float64).ravel()


def _consistent(values: list[np.ndarray]) -> float | None:
    if not values:
        return None
    c = np.concatenate(values)
    if c.size and np.isfinite(c).all() and (c > 0).all() and np.allclose(c, c[0], rtol=1e-5):
        return snap(float(np.median(c)))
    return None


def snap(dt: float) -> float:
    """A step read back from float32 parameters, snapped to the round value it was written from."""
    if not (dt > 0 and math.isfinite(dt)):
        return dt
    p = 10.0 ** math.floor(math.log10(dt))
    for c in (1.0, 2.0, 2.5, 5.0, 10.0):
        if math.isclose(dt, c * p, rel_tol=1e-5):
            return float(f"{c * p:.12g}")
    return dt


def _tau_r_pairs(nodes: dict, kind: dict) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(tau, r)`` of every leaky node, plus ``(tau_syn, w_in)`` of CubaLIF nodes whose w_in is not 1."""
    pairs = []
    for k, node in nodes.items():
        t = kind[k]
        if t in ("LIF", "LI"):
            pairs.append((_arr(node, "tau"), _arr(node, "r")))
        elif t in ("CubaLIF", "CubaLI"):
            pairs.append((_arr(node, "tau_mem"), _arr(node, "r")))
            w_in = _arr(node, "w_in", 1.0)
            if not np.allclose(w_in, 1.0):
                pairs.append((_arr(node, "tau_syn"), w_in))
    return [(np.broadcast_arrays(a, b)[0], np.broadcast_arrays(a, b)[1]) for a, b in pairs]


def evidence(nodes: dict, kind: dict) -> list[tuple[str, float, str]]:
    """Writers whose own encoding the graph's numbers show: ``(framework, dt_graph, why)``."""
    out = []
    pairs = _tau_r_pairs(nodes, kind)
    ifs = [_arr(n, "r") for k, n in nodes.items() if kind[k] in ("IF", "I")]
    if pairs and all(np.all(r > 1 + 1e-9) for _, r in pairs):
        dt = _consistent([tau / r for tau, r in pairs])
        if dt is not None:
            out.append(("snntorch", dt, "r = tau/dt on every neuron node (snnTorch, Lava-dl; SpikingJelly with "
                                        "decay_input=False)"))
    if ifs and all(np.all(r > 1 + 1e-9) for r in ifs):
        dt = _consistent([1.0 / r for r in ifs])
        leaky_ok = all(np.allclose(r, 1.0) or np.allclose(tau / r, dt, rtol=1e-5) for tau, r in pairs) if dt else False
        if dt is not None and leaky_ok:
            out.append(("spikingjelly", dt, "IF nodes have r = 1/dt (SpikingJelly)"))
    lif_pairs = [(_arr(n, "tau" if kind[k] == "LIF" else "tau_mem"), _arr(n, "r"))
                 for k, n in nodes.items() if kind[k] in ("LIF", "CubaLIF")]
    if lif_pairs and all(np.all((r > 0) & (r < 1 - 1e-9)) for _, r in lif_pairs):
        dt = _consistent([tau * (1 - r) for tau, r in (np.broadcast_arrays(a, b) for a, b in lif_pairs)])
        if dt is not None:
            out.append(("spyx", dt, "r = 1 - dt/tau on every LIF/CubaLIF node (Spyx writes r = beta)"))
    if pairs and all(not np.allclose(r, 1.0) for _, r in pairs):
        dts = []
        for tau, r in pairs:
            y = _lambert_w(1.0 / r)
            dts.append(tau * y)
        dt = _consistent(dts)
        if dt is not None:
            out.append(("rockpool", dt, "r = tau exp(-dt/tau)/dt on every neuron node (Rockpool)"))
    return out


def round_step(dt: float) -> bool:
    """Whether a step is a round number (1, 2, 2.5 or 5 times a power of ten), as writers' steps are."""
    if not (dt > 0 and math.isfinite(dt)):
        return False
    m = dt / 10.0 ** math.floor(math.log10(dt))
    return any(math.isclose(m, c, rel_tol=1e-5) for c in (1.0, 2.0, 2.5, 5.0, 10.0))


def _lambert_w(x: np.ndarray) -> np.ndarray:
    """Principal branch of Lambert W for x > 0 (Newton), for Rockpool's r = tau exp(-dt/tau)/dt."""
    x = np.asarray(x, np.float64)
    w = np.log1p(x)
    for _ in range(60):
        ew = np.exp(w)
        w = w - (w * ew - x) / (ew * (w + 1))
    return w


def candidate_readings(nodes: dict, kind: dict, dt_ms: float | None) -> list[tuple[str, float, str]]:
    """Every framework reading of a graph without evidence: ``(framework, dt_graph, why)``.

    Norse is split in two (1.1 writes ``tau = dt/tau_inv``, later versions ``tau = 1/tau_inv``);
    the generic NIR reading uses the given ``dt_ms`` or 1 ms.
    """
    step_n = (dt_ms / 1e3) if dt_ms is not None else 1e-3
    out = [("norse", step_n * step_n, f"Norse 1.1: tau = dt/tau_inv with dt = {step_n:g} s"),
           ("norse", step_n, f"Norse >= 1.2: tau = 1/tau_inv, dt = {step_n:g} s"),
           ("sinabs", 1.0, "Sinabs: time constants in timesteps"),
           ("spikingjelly", (dt_ms / 1e3) if dt_ms is not None else 1e-4,
            "SpikingJelly: tau = tau_sj*dt (decay_input=True), export dt" +
            (f" = {dt_ms / 1e3:g} s" if dt_ms is not None else " = 1e-4 s")),
           (GENERIC, step_n, f"NIR's own equations at dt = {step_n:g} s")]
    return out


def plausible(nodes: dict, kind: dict, conv: Convention, dt_graph: float) -> bool:
    """Whether every leaky time constant is between one and 5,000 steps under this reading."""
    for k, node in nodes.items():
        t = kind[k]
        taus = []
        if t in ("LIF", "LI"):
            taus = [_arr(node, "tau")]
        elif t in ("CubaLIF", "CubaLI"):
            taus = [_arr(node, "tau_syn"), _arr(node, "tau_mem")]
        for tau in taus:
            if tau is None or not np.isfinite(tau).all() or (tau <= 0).any():
                return False
            f = step_fraction(conv, tau, dt_graph)
            if (f < PLAUSIBLE_F[0]).any() or (f > PLAUSIBLE_F[1] * (1 + 1e-9)).any() or (f >= 0.999).all() \
                    and conv.disc == "exp":
                return False
    return True


def has_leaky(kind: dict) -> bool:
    return any(t in ("LIF", "LI", "CubaLIF", "CubaLI") for t in kind.values())


def named(framework: str, nodes: dict, kind: dict, dt_ms: float | None) -> Reading:
    """The reading of a graph for a framework the user named (``--from``)."""
    fw = framework.lower().replace("_", "-")
    alias = {"snn-torch": "snntorch", "lava": "lava-dl", "lavadl": "lava-dl", "sj": "spikingjelly",
             "spiking-jelly": "spikingjelly", "generic": GENERIC}
    fw = alias.get(fw, fw)
    if fw not in CONVENTIONS:
        raise ConfigError("framework", f"must be one of {', '.join(FRAMEWORKS)} or '{GENERIC}'", framework,
                          "name the framework the graph was exported from (e.g. --from snntorch)")
    conv = CONVENTIONS[fw]
    given = dt_ms is not None
    ev = {name: (dt, why) for name, dt, why in evidence(nodes, kind)}
    if fw in ("snntorch", "lava-dl"):
        if "snntorch" not in ev and has_leaky(kind):
            raise ConfigError("framework", f"{conv.title} writes r = tau/dt on every neuron node, but the tau/r of "
                              "this graph's nodes are not one common value, so this graph was not written by "
                              f"{conv.title}'s export", framework,
                              "check the source framework (or omit --from to see the candidates)")
        dt = ev["snntorch"][0] if "snntorch" in ev else conv.default_step_s
        return Reading(conv, dt, dt_ms if given else dt * 1e3,
                       "r = tau/dt in the file" if "snntorch" in ev else f"{conv.title} export default")
    if fw == "spikingjelly":
        if "spikingjelly" in ev or "snntorch" in ev:
            dt = (ev.get("spikingjelly") or ev["snntorch"])[0]
            return Reading(conv, dt, dt_ms if given else dt * 1e3, "the file (IF r = 1/dt or r = tau/dt)")
        dt = dt_ms / 1e3 if given else conv.default_step_s
        return Reading(conv, dt, dt * 1e3, "given" if given else "export_to_nir default dt = 1e-4 s")
    if fw == "spyx":
        dt = ev["spyx"][0] if "spyx" in ev else conv.default_step_s
        return Reading(conv, dt, dt_ms if given else 1.0,
                       "r = 1 - dt/tau in the file" if "spyx" in ev else "to_nir default dt = 1")
    if fw == "rockpool":
        if "rockpool" not in ev and has_leaky(kind):
            raise ConfigError("framework", "Rockpool writes r = tau exp(-dt/tau)/dt, which gives no common dt for "
                              "this graph's nodes", framework, "check the source framework")
        dt = ev["rockpool"][0] if "rockpool" in ev else (dt_ms / 1e3 if given else 1e-3)
        return Reading(conv, dt, dt_ms if given else dt * 1e3, "r = tau exp(-dt/tau)/dt in the file")
    if fw == "sinabs":
        return Reading(conv, 1.0, dt_ms if given else 1.0,
                       "time constants in timesteps" + ("" if given else "; dt_ms = 1 (Sinabs has no physical step)"))
    if fw == "norse":
        step = dt_ms / 1e3 if given else conv.default_step_s
        src = "given" if given else "LIFCell/to_nir default dt = 1 ms"
        taus = [t for t, _ in _tau_r_pairs(nodes, kind)]
        if not taus:
            return Reading(conv, step, step * 1e3, src)
        small = [bool((t < step).all()) for t in taus]
        large = [bool((t >= step).all()) for t in taus]
        if all(small):
            return Reading(conv, step * step, step * 1e3, f"{src}; Norse 1.1 file (tau = dt/tau_inv < dt)")
        if all(large):
            return Reading(conv, step, step * 1e3, f"{src}; Norse >= 1.2 file (tau = 1/tau_inv >= dt)")
        raise ConfigError("framework", "Norse 1.1 writes tau = dt/tau_inv (below dt) and later versions tau = "
                          "1/tau_inv (at least dt); this graph has time constants on both sides of dt = "
                          f"{step:g} s", framework, "give the step Norse was trained with: --dt-ms")
    # generic NIR
    if not given:
        raise ConfigError("dt_ms", "the generic NIR reading needs the timestep", None,
                          "give --dt-ms (or dt_ms=) with framework 'nir'")
    return Reading(conv, dt_ms / 1e3, dt_ms, "given")


def fmt_step(x: float) -> str:
    return f"{x:.4g}" if math.isfinite(x) else "inf"
