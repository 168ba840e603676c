"""Neuron models of a network: the chip's own fixed-point CUBA LIF (``model: lif_fixed``) and the
physical current-based LIF in PyNN's names and units (``model: lif``), with the one conversion
from physical to fixed-point parameters and the report of what it represents (docs/networks.md).
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

from pydantic import Discriminator, Field, Tag, model_validator

from neurocycle.hw import DECAY_ONE, W_EXP_MAX, ConfigError, ConfigModel, QuantisationWarning

__all__ = ["LIFFixed", "LIF", "LIFConversion", "FixedPoint", "NeuronModel", "QUANTISATION_TOLERANCE",
           "fixed_plateau"]


_Model = ConfigModel
# integers the kernels and the RTL hold (int32 fields; the compiler then checks the chip's widths)
Int32 = Annotated[int, Field(ge=-(1 << 31), le=(1 << 31) - 1)]


class LIFFixed(_Model):
    """CUBA LIF in the chip's fixed-point units (docs/microarchitecture.md §7)."""
    model: Literal["lif_fixed"] = "lif_fixed"
    du: Annotated[int, Field(ge=0, lt=DECAY_ONE, description="current decay, 12-bit")] = 0
    dv: Annotated[int, Field(ge=0, lt=DECAY_ONE, description="voltage decay, 12-bit")] = 0
    bias: Int32 = 0
    vth: Int32
    v_reset: Int32 = 0
    refractory: Annotated[int, Field(ge=0, le=(1 << 31) - 1, description="timesteps without integration after a spike")] = 0
    w_exp: Annotated[int, Field(ge=0, le=W_EXP_MAX, description="input scaling: I * 2**w_exp")] = 0

    def to_fixed(self, fp: "FixedPoint") -> "LIFFixed":
        return self


# Quantisation tolerance of the physical -> fixed-point conversion (docs/networks.md): a parameter
# the chip represents more than 5 % away from the request draws a QuantisationWarning.
QUANTISATION_TOLERANCE = 0.05

_OLD_LIF_NAMES = {"tau_mem_ms": "tau_m", "tau_syn_ms": "tau_syn", "v_th_mv": "v_thresh", "v_reset_mv": "v_reset",
                  "refractory_ms": "tau_refrac", "bias_mv": "i_offset"}


class LIF(_Model):
    """Current-based LIF with an exponential synaptic current, in the units and names of PyNN's
    ``IF_curr_exp`` (NEST ``iaf_psc_exp``; Brian2 writes the same equations):

        tau_m dV/dt = -(V - v_rest) + R (I_syn + i_offset),   R = tau_m / cm
        tau_syn dI_syn/dt = -I_syn (+ a jump per input spike)
        V >= v_thresh: spike, V = v_reset, held for tau_refrac

    Units: ms, mV, nF, nA (nA x MOhm = mV). Defaults are PyNN's. Converted once to the chip's
    fixed point by :meth:`conversion` (docs/networks.md): ``dv``/``du`` from ``tau_m``/``tau_syn``
    (exact exponential-Euler decay per timestep), voltages relative to ``v_rest`` in units of
    ``mv_per_lsb``, ``i_offset`` as the per-timestep bias whose fixed-point plateau is closest to
    ``v_rest + R*i_offset`` (truncation included), ``tau_refrac`` in whole timesteps. Parameters
    the fixed point represents worse than ``QUANTISATION_TOLERANCE`` draw a
    :class:`neurocycle.hw.QuantisationWarning` with the numbers.
    """
    model: Literal["lif"] = "lif"
    tau_m: Annotated[float, Field(gt=0, description="membrane time constant (ms)")] = 20.0
    cm: Annotated[float, Field(gt=0, description="membrane capacitance (nF); R = tau_m / cm (MOhm)")] = 1.0
    v_rest: Annotated[float, Field(description="resting potential (mV); the chip's v = 0")] = -65.0
    v_reset: Annotated[float, Field(description="potential after a spike (mV)")] = -65.0
    v_thresh: Annotated[float, Field(description="spike threshold (mV)")] = -50.0
    tau_syn: Annotated[float, Field(gt=0, description="synaptic current time constant (ms)")] = 5.0
    tau_refrac: Annotated[float, Field(ge=0, description="refractory period (ms)")] = 0.1
    i_offset: Annotated[float, Field(description="constant input current (nA); drives V to v_rest + R*i_offset")] = 0.0
    w_exp: Annotated[int, Field(ge=0, le=W_EXP_MAX, description="input scaling of the chip: I * 2**w_exp")] = 0

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data):
        if isinstance(data, dict):
            old = [k for k in data if k in _OLD_LIF_NAMES]
            if old:
                pairs = ", ".join(f"{k} -> {_OLD_LIF_NAMES[k]}" for k in old)
                raise ValueError(f"@{old[0]}|the physical neuron uses PyNN's names and units now ({pairs}); "
                                 "voltages are absolute with v_rest (PyNN default -65 mV) and a constant input is "
                                 "the current i_offset (nA, with cm in nF), not a per-timestep bias_mv"
                                 "|rename the fields; for the old meaning set v_rest: 0 and give the voltages "
                                 "relative to rest (docs/networks.md shows the conversion)")
        return data

    @model_validator(mode="after")
    def _ordered(self):
        if self.v_reset >= self.v_thresh:
            raise ValueError(f"@v_reset|v_reset ({self.v_reset} mV) must be below v_thresh ({self.v_thresh} mV)"
                             "|lower v_reset or raise v_thresh")
        return self

    @property
    def r_mohm(self) -> float:
        """Membrane resistance R = tau_m / cm (MOhm)."""
        return self.tau_m / self.cm

    @property
    def drive_mv(self) -> float:
        """R * i_offset: where a constant i_offset alone holds V, relative to v_rest (mV)."""
        return self.r_mohm * self.i_offset

    def analytic_isi_ms(self) -> float:
        """Inter-spike interval under the constant input alone (no synaptic input), in continuous
        time: tau_refrac + tau_m * ln((RI - (v_reset - v_rest)) / (RI - (v_thresh - v_rest))); inf if
        the plateau v_rest + RI stays below v_thresh."""
        ri, th, rs = self.drive_mv, self.v_thresh - self.v_rest, self.v_reset - self.v_rest
        return self.tau_refrac + self.tau_m * math.log((ri - rs) / (ri - th)) if ri > th else math.inf

    def conversion(self, fp: "FixedPoint") -> "LIFConversion":
        """The fixed-point parameters and what they represent (requested vs represented values)."""
        return LIFConversion.of(self, fp)

    def to_fixed(self, fp: "FixedPoint") -> LIFFixed:
        """The chip's parameters; warns (QuantisationWarning) when the fixed point cannot represent
        the request within QUANTISATION_TOLERANCE."""
        conv = self.conversion(fp)
        for msg in conv.problems():
            warnings.warn(msg, QuantisationWarning, stacklevel=2)
        return conv.fixed


_PHYSICAL = {"vth": ("v_thresh", "mV"), "v_reset": ("v_reset", "mV"), "bias": ("i_offset", "nA"),
             "refractory": ("tau_refrac", "ms")}


def _fixed_or_error(**values) -> "LIFFixed":
    """LIFFixed of converted values; a value outside the chip's int32 fields is the physical
    parameter's fault, named as such (not a validation error of a field the user never wrote)."""
    for name, v in values.items():
        if name in _PHYSICAL and not -(1 << 31) <= v < (1 << 31):
            phys, unit = _PHYSICAL[name]
            shown = v if abs(v) < 10 ** 12 else f"{float(v):.3g}"
            raise ConfigError(f"neuron.{phys}", f"converts to {name} = {shown}, outside the 32-bit integers the "
                              "chip holds", shown, f"give {phys} in {unit} a value the fixed point can represent (or a larger "
                              "mv_per_lsb / dt_ms)")
    return LIFFixed(**values)


def _decay_of(tau_ms: float, dt_ms: float) -> int:
    return int(min(DECAY_ONE - 1, max(0, round(DECAY_ONE * (1 - math.exp(-dt_ms / tau_ms))))))


def _tau_of(d: int, dt_ms: float) -> float:
    """The time constant a 12-bit decay ``d`` represents (inf for d = 0: no decay)."""
    return math.inf if d == 0 else -dt_ms / math.log(1 - d / DECAY_ONE)


def fixed_plateau(bias: int, dv: int) -> int:
    """Where ``v <- trunc(v*(4096-dv)/4096) + bias`` settles from v = 0 (its fixed point nearest 0).

    For v >= 0 one step is ``v + bias - ceil(v*dv/4096)``, so v rises until ``ceil(v*dv/4096)``
    reaches ``bias``: at ``floor((bias-1)*4096/dv) + 1``. Truncation is toward zero, so a negative
    bias settles at minus the same value. Needs dv > 0."""
    if bias == 0:
        return 0
    b = abs(bias)
    return int(math.copysign((b - 1) * DECAY_ONE // dv + 1, bias))


@dataclass(frozen=True)
class LIFConversion:
    """One physical LIF converted to the chip's fixed point, with the values it represents.

    ``drive_lsb_per_step`` is the bracket of the chip's constant drive while V approaches its
    plateau: truncation toward zero removes between 0 and 1 LSB per step, so V moves like an
    exact exponential-Euler neuron driven by between ``bias - 1`` and ``bias`` LSB per step
    (toward ``drive_bracket_mv``); it settles exactly at ``plateau_mv``.
    """
    neuron: LIF
    dt_ms: float
    mv_per_lsb: float
    fixed: LIFFixed
    tau_m_ms: float                 # represented by dv
    tau_syn_ms: float               # represented by du
    v_thresh_mv: float              # represented (absolute)
    v_reset_mv: float
    tau_refrac_ms: float
    plateau_mv: float               # where the constant drive alone settles (absolute); nan without leak
    drive_bracket_mv: tuple[float, float]   # plateaus of the bracketing exponentials (relative to rest)

    @classmethod
    def of(cls, n: LIF, fp: "FixedPoint") -> "LIFConversion":
        dt, q = fp.dt_ms, fp.mv_per_lsb
        dv, du = _decay_of(n.tau_m, dt), _decay_of(n.tau_syn, dt)
        vth = round((n.v_thresh - n.v_rest) / q)
        vreset = round((n.v_reset - n.v_rest) / q)
        target = n.drive_mv / q                              # plateau in LSB, relative to rest
        if dv == 0:                                          # no leak: a perfect integrator
            bias = round(n.i_offset / n.cm * dt / q)         # dV/dt = i_offset / cm (mV/ms)
            plateau = math.nan
            bracket = (math.nan, math.nan)
        else:
            guess = math.ceil(abs(target) * dv / DECAY_ONE)
            cands = [b for b in range(max(0, guess - 2), guess + 3)]
            best = min(cands, key=lambda b: (abs(fixed_plateau(b, dv) - abs(target)), b))
            bias = int(math.copysign(best, target)) if target else 0
            plateau = n.v_rest + fixed_plateau(bias, dv) * q
            k = DECAY_ONE / dv
            lo = (abs(bias) - 1) * k * q if bias else 0.0
            hi = abs(bias) * k * q
            bracket = (math.copysign(lo, bias), math.copysign(hi, bias)) if bias else (0.0, 0.0)
        fixed = _fixed_or_error(du=du, dv=dv, bias=bias, vth=vth, v_reset=vreset,
                                refractory=round(n.tau_refrac / dt), w_exp=n.w_exp)
        return cls(neuron=n, dt_ms=dt, mv_per_lsb=q, fixed=fixed, tau_m_ms=_tau_of(dv, dt),
                   tau_syn_ms=_tau_of(du, dt), v_thresh_mv=n.v_rest + vth * q, v_reset_mv=n.v_rest + vreset * q,
                   tau_refrac_ms=fixed.refractory * dt, plateau_mv=plateau, drive_bracket_mv=bracket)

    def isi_bounds_ms(self) -> tuple[float, float]:
        """Bounds on the chip's inter-spike interval under the constant input alone: the
        documented discretisation error (docs/networks.md). Between two spikes V is held for the
        represented refractory steps, then follows exponential-Euler steps of the represented
        tau_m driven by between ``bias - 1`` and ``bias`` LSB per step (the truncation bracket),
        and the spike is the first timestep whose end state reaches the represented threshold:
        up to one timestep after the crossing. So the interval lies in
        ``[t_ref + t_cross(upper drive), t_ref + t_cross(lower drive) + dt]``."""
        n, f = self.neuron, self.fixed
        if f.dv == 0 or f.bias <= 0:
            return (math.inf, math.inf)
        th, rs = self.v_thresh_mv - n.v_rest, self.v_reset_mv - n.v_rest
        lo_drive, hi_drive = self.drive_bracket_mv

        def cross(drive):
            return self.tau_m_ms * math.log((drive - rs) / (drive - th)) if drive > th else math.inf
        return (self.tau_refrac_ms + cross(hi_drive), self.tau_refrac_ms + cross(lo_drive) + self.dt_ms)

    def rows(self) -> list[tuple[str, float, float, float | None]]:
        """(quantity, requested, represented, relative error or None) for the report."""
        n = self.neuron

        def rel(req, got):
            if math.isinf(got) or math.isnan(got):
                return None
            return (got - req) / req if req else (0.0 if got == req else None)
        dth = (n.v_thresh - n.v_rest, self.v_thresh_mv - n.v_rest)
        rows = [("tau_m (ms)", n.tau_m, self.tau_m_ms, rel(n.tau_m, self.tau_m_ms)),
                ("tau_syn (ms)", n.tau_syn, self.tau_syn_ms, rel(n.tau_syn, self.tau_syn_ms)),
                ("v_thresh - v_rest (mV)", dth[0], dth[1], rel(*dth)),
                ("v_reset - v_rest (mV)", n.v_reset - n.v_rest, self.v_reset_mv - n.v_rest,
                 rel(n.v_reset - n.v_rest, self.v_reset_mv - n.v_rest)),
                ("tau_refrac (ms)", n.tau_refrac, self.tau_refrac_ms, rel(n.tau_refrac, self.tau_refrac_ms))]
        if n.i_offset:
            got = self.plateau_mv - n.v_rest
            rows.append(("R*i_offset plateau (mV)", n.drive_mv, got, rel(n.drive_mv, got)))
        return rows

    def problems(self) -> list[str]:
        """One message per parameter the fixed point cannot represent within the tolerance."""
        n, f, tol = self.neuron, self.fixed, QUANTISATION_TOLERANCE
        where = f"at dt_ms={self.dt_ms:g}, mv_per_lsb={self.mv_per_lsb:g}"
        out = []
        for name, req, got, err in self.rows():
            if name.startswith("tau_refrac"):
                continue                      # whole timesteps: the time grid, not the fixed point
            if err is None and not (isinstance(got, float) and math.isinf(got)):
                continue
            if err is None or abs(err) > tol:
                shown = "no decay at all (the 12-bit decay rounds to 0)" if math.isinf(got) else f"{got:.4g}"
                out.append(f"{name.split(' (')[0]} = {req:g} is represented as {shown}"
                           + (f" ({100 * err:+.1f} %)" if err is not None else "")
                           + f" {where}; fix: {'a larger dt_ms' if name.startswith('tau') else 'a smaller mv_per_lsb'}")
        if f.bias and f.dv:
            b = abs(f.bias)
            if 1 / b > tol:
                lo, hi = (abs(x) for x in self.drive_bracket_mv)
                out.append(f"R*i_offset = {n.drive_mv:g} mV is a bias of only {f.bias} LSB per timestep {where}: "
                           f"truncation makes the drive anything between {b - 1} and {b} LSB per step "
                           f"(V approaches its {self.plateau_mv - n.v_rest:.4g} mV plateau like a neuron driven "
                           f"to {lo:.4g}..{hi:.4g} mV, {100 / b:.0f} % uncertain); fix: a smaller mv_per_lsb "
                           "(more LSB per step) or a larger dt_ms")
        if f.bias and f.dv and n.i_offset:
            ideal = n.drive_mv >= n.v_thresh - n.v_rest
            got = self.plateau_mv >= self.v_thresh_mv
            if ideal != got:
                out.append(f"a constant i_offset = {n.i_offset:g} nA (plateau {n.v_rest + n.drive_mv:g} mV) "
                           f"{'reaches' if ideal else 'stays below'} v_thresh = {n.v_thresh:g} mV, but the chip's "
                           f"plateau {self.plateau_mv:.4g} mV {'stays below' if ideal else 'reaches'} its threshold "
                           f"{self.v_thresh_mv:.4g} mV {where}: the neuron {'never fires' if ideal else 'fires'} on "
                           "the chip; fix: a smaller mv_per_lsb")
        return out

    def to_dict(self) -> dict:
        return {"fixed": self.fixed.model_dump(), "dt_ms": self.dt_ms, "mv_per_lsb": self.mv_per_lsb,
                "quantities": [{"quantity": q, "requested": r, "represented": g, "relative_error": e}
                               for q, r, g, e in self.rows()],
                "drive_bracket_mv": list(self.drive_bracket_mv), "warnings": self.problems()}


def _neuron_tag(v: Any) -> str:
    if isinstance(v, dict):
        return v.get("model", "lif_fixed")
    return getattr(v, "model", "lif_fixed")


NeuronModel = Annotated[Union[Annotated[LIFFixed, Tag("lif_fixed")], Annotated[LIF, Tag("lif")]],
                        Discriminator(_neuron_tag)]


class FixedPoint(_Model):
    """Timestep and voltage resolution used to convert physical parameters."""
    dt_ms: Annotated[float, Field(gt=0)] = 1.0
    mv_per_lsb: Annotated[float, Field(gt=0)] = 0.01


