"""How well the chip's output spike trains agree with a framework's own (docs/nir.md, "Comparing").

:func:`agreement` compares two sets of binary spike trains ``{output: [steps, *shape]}``
(the chip's, aligned with :meth:`NIRConversion.output_spike_trains` ``align=True``, and the
ones the framework recorded for the same inputs) and gives the figures a user needs to trust
an import: identical trains, count correlation, per-neuron count error against the
documented tolerance ``2 + 0.1 n``, and whether the most active output neuron (the class a
rate-coded classifier would predict) is the same.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from neurocycle.hw import ConfigError

COUNT_TOLERANCE = (2.0, 0.1)     # |n_chip - n_ref| <= 2 + 0.1 n_ref per output neuron (docs/nir.md)


@dataclass(frozen=True)
class OutputAgreement:
    output: str
    steps: int
    neurons: int
    spikes_chip: int
    spikes_reference: int
    exact: bool                     # every train identical
    matching_bins: float            # fraction of (step, neuron) entries that agree
    count_correlation: float        # Pearson r of per-neuron counts (1.0 when both are identical constants)
    max_count_error: int            # max |n_chip - n_ref| over neurons
    mean_abs_count_error: float
    worst_tolerance_ratio: float    # max |n_chip - n_ref| / (2 + 0.1 n_ref); <= 1 is within the tolerance
    within_tolerance: bool
    class_agrees: bool              # argmax of counts (first on ties) is the same neuron

    def to_dict(self) -> dict:
        return asdict(self)


def agreement(chip: dict[str, np.ndarray], reference: dict[str, np.ndarray]) -> dict[str, OutputAgreement]:
    """Per output present in both, the agreement of two sets of binary spike trains."""
    common = [k for k in reference if k in chip]
    if not common:
        raise ConfigError("reference", "has no output in common with the chip's outputs", sorted(reference),
                          f"name the outputs as the graph does: {', '.join(sorted(chip)) or '(none)'}")
    out = {}
    for k in common:
        a = np.asarray(chip[k]).reshape(np.asarray(chip[k]).shape[0], -1).astype(np.int64)
        b = np.asarray(reference[k]).reshape(np.asarray(reference[k]).shape[0], -1).astype(np.int64)
        if a.shape[1] != b.shape[1]:
            raise ConfigError(f"reference.{k}", f"has {b.shape[1]} neurons per step, the chip's output has "
                              f"{a.shape[1]}", b.shape, "record the framework's output of the same node")
        steps = min(a.shape[0], b.shape[0])
        a, b = a[:steps], b[:steps]
        ca, cb = a.sum(0), b.sum(0)
        if ca.std() == 0 or cb.std() == 0:
            corr = 1.0 if np.array_equal(ca, cb) else 0.0
        else:
            corr = float(np.corrcoef(ca, cb)[0, 1])
        err = np.abs(ca - cb)
        tol = COUNT_TOLERANCE[0] + COUNT_TOLERANCE[1] * cb
        out[k] = OutputAgreement(
            output=k, steps=int(steps), neurons=int(a.shape[1]), spikes_chip=int(ca.sum()),
            spikes_reference=int(cb.sum()), exact=bool(np.array_equal(a, b)),
            matching_bins=float((a == b).mean()) if a.size else 1.0, count_correlation=corr,
            max_count_error=int(err.max(initial=0)), mean_abs_count_error=float(err.mean()) if err.size else 0.0,
            worst_tolerance_ratio=float((err / tol).max(initial=0.0)), within_tolerance=bool((err <= tol).all()),
            class_agrees=bool(int(np.argmax(ca)) == int(np.argmax(cb))))
    return out


def agreement_table(res: dict[str, OutputAgreement]) -> str:
    cols = ("output", "steps", "neurons", "spikes chip/ref", "exact", "bins equal", "count r", "max |dn|",
            "tol ratio", "class")
    rows = [cols]
    for a in res.values():
        rows.append((a.output, str(a.steps), str(a.neurons), f"{a.spikes_chip}/{a.spikes_reference}",
                     "yes" if a.exact else "no", f"{100 * a.matching_bins:.2f}%", f"{a.count_correlation:.4f}",
                     str(a.max_count_error), f"{a.worst_tolerance_ratio:.2f}", "same" if a.class_agrees else "differs"))
    w = [max(len(r[i]) for r in rows) for i in range(len(cols))]
    return "\n".join("  ".join(c.ljust(w[i]) for i, c in enumerate(r)) for r in rows)
