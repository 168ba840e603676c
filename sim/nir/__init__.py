"""Import spiking networks from NIR (the Neuromorphic Intermediate Representation, PyPI ``nir``).

NIR graphs hold continuous-time float parameters with no timestep and no quantisation. The
importer discretises them at a timestep ``dt`` (forward Euler by default, the convention of
snnTorch and Norse exports), maps every neuron node to the chip's fixed-point CUBA LIF
(docs/microarchitecture.md §7), collapses chains of linear nodes (Affine, Linear, Scale,
Flatten, Conv, pooling, one-timestep Delay) into explicit synapses, and quantises weights per
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
from ._convert import (BIAS_INPUT, DEFAULT_DT_MS, DEFAULT_MAX_DROPPED_FRACTION, DEFAULT_STATE_HEADROOM,
                       DISCRETISATIONS, convert_nir, import_nir)
from ._agreement import COUNT_TOLERANCE, OutputAgreement, agreement, agreement_table
from ._frameworks import CONVENTIONS, FRAMEWORKS, Convention
from ._reader import SUPPORTED_NODES, NIRTypeCheckWarning
from ._report import LayerQuantisation, NIRConversion, OutputMap, ProjectionLoss, QuantisationReport

__all__ = ["import_nir", "convert_nir", "NIRConversion", "QuantisationReport", "LayerQuantisation",
           "OutputMap", "SUPPORTED_NODES", "DISCRETISATIONS", "DEFAULT_DT_MS", "DEFAULT_STATE_HEADROOM",
           "BIAS_INPUT", "FRAMEWORKS", "CONVENTIONS", "Convention", "NIRTypeCheckWarning", "ProjectionLoss",
           "DEFAULT_MAX_DROPPED_FRACTION", "agreement", "agreement_table", "OutputAgreement", "COUNT_TOLERANCE"]
