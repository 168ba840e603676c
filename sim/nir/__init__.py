"""Import spiking networks from NIR (the Neuromorphic Intermediate Representation, PyPI ``nir``).

NIR graphs hold continuous-time float parameters with no timestep and no quantisation. The
importer discretises them at a timestep ``dt`` (forward Euler by default, the convention of
snnTorch and Norse exports), maps every neuron node to the chip's fixed-point CUBA LIF
(docs/microarchitecture.md §7), collapses chains of linear nodes (Affine, Linear, Scale,
Flatten, Conv, pooling, Delay as synaptic delays) into explicit synapses, and quantises weights per
target layer with a scale that uses the weight exponent and the threshold, so the
dynamics are preserved. docs/nir.md explains every choice and the error budget.

    from neurocycle.hw import NumericFormat
    conv = convert_nir("model.nir", numeric=NumericFormat.of("default-4x4"))
    print(conv.report)                        # per-layer quantisation error
    run = simulate("default-4x4", conv, steps=200, backend="reference")
    conv.output_spike_counts(run)             # {output name: spikes per output neuron}
    conv.readout(run)                         # {output name: LI/CubaLI/I state traces}

The network layer knows no chip: the quantisation needs only the three bit widths of a
:class:`neurocycle.hw.NumericFormat`. Modules, in the order an import runs through them:

- ``_reader``: load a ``.nir`` path or ``nir.NIRGraph``, inline nested graphs, node types
  and shapes (:class:`FlatGraph`);
- ``_linear``: sparse linear maps; chains of linear nodes, convolutions and pooling
  multiplied out into synapses;
- ``_convert``: :func:`convert_nir` / :func:`import_nir`: timestep, graph rules, the float
  model of each neuron node, and the assembled ``NetworkSpec``;
- ``_quantise``: per-layer state scale, ``w_exp``, rounded weights, thresholds and decays,
  and their error figures;
- ``_report``: :class:`QuantisationReport`, :class:`LayerQuantisation`, :class:`OutputMap`
  and :class:`NIRConversion` with its readout methods (state read back through the
  functional reference).
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "._convert": ("BIAS_INPUT", "DEFAULT_DT_MS", "DEFAULT_MAX_DROPPED_FRACTION", "DEFAULT_STATE_HEADROOM",
                  "DISCRETISATIONS", "convert_nir", "import_nir"),
    "._agreement": ("COUNT_TOLERANCE", "OutputAgreement", "agreement", "agreement_table"),
    "._frameworks": ("CONVENTIONS", "FRAMEWORKS", "Convention"),
    "._reader": ("SUPPORTED_NODES", "NIRTypeCheckWarning"),
    "._report": ("LayerQuantisation", "NIRConversion", "OutputMap", "ProjectionLoss", "QuantisationReport"),
}
_WHERE = {name: mod for mod, names in _EXPORTS.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str):          # imported on first use (PEP 562), like neurocycle.sim
    mod = _WHERE.get(name)
    if mod is None:
        raise AttributeError(f"module 'neurocycle.sim.nir' has no attribute {name!r}")
    value = getattr(importlib.import_module(mod, __name__), name)
    globals()[name] = value
    return value
