"""Reading NIR: load a ``.nir`` file or a ``nir.NIRGraph``, inline nested graphs, and give
every node its type name, its edges and its output shape.

The result is a :class:`FlatGraph`, the importer's view of the graph: node objects by
(dotted) name, their type names (``"Passthrough"`` for the Input/Output nodes of an inlined
subgraph), predecessors and successors, and after :meth:`FlatGraph.infer_shapes` the output
shape of every node. Problems are collected as ``ConfigError``s so that one import reports
all of them (:meth:`FlatGraph.raise_errors`).
"""
from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import numpy as np

from neurocycle.hw import ConfigError, ConfigErrors

from ._linear import conv_op, int_tuple, pool_op

SPIKING = ("LIF", "CubaLIF", "IF", "Threshold")
READOUT = ("LI", "CubaLI", "I")
LINEAR = ("Affine", "Linear", "Scale", "Flatten", "Conv1d", "Conv2d", "SumPool2d", "AvgPool2d", "Delay",
          "Identity")
SUPPORTED_NODES = ("Input", "Output") + SPIKING + READOUT + LINEAR + ("NIRGraph",)


MAX_NODE_SIZE = 1 << 24     # values of one node (neurons or inputs); a population is limited the same

def shape_of(x) -> tuple[int, ...] | None:
    """A NIR type entry (e.g. ``input_type['input']``) as a shape tuple, or None if it is not one."""
    if x is None:
        return None
    a = np.asarray(x)
    if a.dtype == object:
        return None
    try:
        return tuple(int(v) for v in np.atleast_1d(a).ravel())
    except (TypeError, ValueError):
        return None


def type_name(node) -> str:
    """The NIR node type, e.g. ``"CubaLIF"``."""
    return type(node).__name__


def flatten_graph(graph, prefix: str = "") -> tuple[dict, list, list[ConfigError]]:
    """Inline nested NIRGraphs: their nodes become 'sub.name'; their Input/Output nodes pass through."""
    import nir

    nodes, edges, errors = {}, [], []
    entry, exit_ = {}, {}
    for name, node in graph.nodes.items():
        full = f"{prefix}{name}"
        if isinstance(node, nir.NIRGraph):
            sub_nodes, sub_edges, sub_err = flatten_graph(node, full + ".")
            errors += sub_err
            ins = [k for k, n in node.nodes.items() if isinstance(n, nir.Input)]
            outs = [k for k, n in node.nodes.items() if isinstance(n, nir.Output)]
            for k in ins:
                sub_nodes[f"{full}.{k}"] = ("passthrough", node.nodes[k])
            for k in outs:
                sub_nodes[f"{full}.{k}"] = ("passthrough", node.nodes[k])
            nodes.update(sub_nodes)
            edges += sub_edges
            entry[full] = [f"{full}.{k}" for k in ins]
            exit_[full] = [f"{full}.{k}" for k in outs]
        else:
            nodes[full] = ("node", node)
    for a, b in graph.edges:
        a, b = f"{prefix}{a}", f"{prefix}{b}"
        srcs = exit_.get(a, [a]) if a not in nodes else [a]
        dsts = entry.get(b, [b]) if b not in nodes else [b]
        if len(srcs) != 1 or len(dsts) != 1:
            bad = a if len(srcs) != 1 else b
            errors.append(ConfigError(f"nir.nodes.{bad}", "a nested graph used as one node must have exactly one "
                                      "Input and one Output", f"{len(srcs)} output(s), {len(dsts)} input(s)",
                                      "connect to its inner nodes by name ('sub.node') or split the subgraph"))
            continue
        edges.append((srcs[0], dsts[0]))
    return nodes, edges, errors


class NIRTypeCheckWarning(UserWarning):
    """A NIR file that fails only NIR's own shape/type inference was read without it."""


MIN_NIR = (1, 0, 7)   # nir.read(..., type_check=False) and v_reset on LIF/CubaLIF/IF (pyproject: nir>=1.0.7)


def _nir_version(nir) -> tuple[int, ...]:
    v = getattr(nir, "__version__", None) or getattr(nir, "version", "0")
    return tuple(int(x) for x in re.findall(r"\d+", str(v))[:3]) or (0,)


def load_graph(source) -> tuple:
    """``(graph, name, base_dir, notes)`` of a ``nir.NIRGraph`` or the path of a ``.nir`` file.

    A file whose nodes are readable but that fails NIR's own type inference (e.g. Sinabs LIF
    exports under nir 1.0.8, or non-square kernels) is read again without it, with a
    :class:`NIRTypeCheckWarning` and a note in the report: the importer infers shapes itself.
    """
    try:
        import nir
    except ImportError:  # pragma: no cover - nir is a declared extra
        raise ConfigError("network", "importing NIR graphs needs the 'nir' package", None,
                          "pip install 'neurocycle[nir]'") from None
    if _nir_version(nir) < MIN_NIR:
        raise ConfigError("nir", f"version {getattr(nir, '__version__', '?')} is too old: the importer needs "
                          f"nir >= {'.'.join(map(str, MIN_NIR))} (reading without type inference, v_reset)",
                          getattr(nir, "__version__", None),
                          "pip install 'nir>=1.0.7' (a framework such as sinabs may have pinned an older one: "
                          "install it with --no-deps, or in its own virtualenv)")
    if isinstance(source, nir.NIRGraph):
        return source, "nir-graph", Path("."), []
    if isinstance(source, (str, os.PathLike)):
        path = Path(os.fspath(source))
        if not path.is_file():
            raise ConfigError("network", "NIR file does not exist", str(path), "check the path to the .nir file")
        try:
            return nir.read(str(path)), path.stem, path.parent, []
        except Exception as exc:  # noqa: BLE001 - retried without the type check below
            first = f"{type(exc).__name__}: {exc}"
        try:
            g = nir.read(str(path), type_check=False)
        except Exception as exc:  # noqa: BLE001 - any unreadable file gets one clear error
            raise ConfigError("network", f"cannot be read as a NIR graph ({type(exc).__name__}: {exc})",
                              str(path), "write it with nir.write(path, graph) (NIR >= 1.0)") from None
        note = (f"read without NIR's type inference, which failed ({first.splitlines()[0][:160]}); "
                "shapes were inferred by the importer")
        warnings.warn(f"{path}: {note}", NIRTypeCheckWarning, stacklevel=3)
        return g, path.stem, path.parent, [note]
    raise ConfigError("network", "is not a NIR graph or a path to a .nir file", type(source).__name__,
                      "pass a nir.NIRGraph or the path of a file written by nir.write")


class FlatGraph:
    """A NIR graph with nested graphs inlined, as the importer sees it.

    ``nodes`` (name -> NIR node), ``kind`` (name -> type name), ``preds``/``succs`` (name ->
    names); after :meth:`infer_shapes` also ``shape`` (name -> output shape, C order) and
    ``own_in_shape`` (convolutions whose own ``input_shape`` reshapes a flat input).
    """

    def __init__(self, graph):
        self.errors: list[ConfigError] = []
        nodes, edges, errs = flatten_graph(graph)
        self.errors += errs
        self.nodes = {k: v[1] for k, v in nodes.items()}
        self.kind = {}
        for k, (tag, node) in nodes.items():
            t = "Passthrough" if tag == "passthrough" else type_name(node)
            if t not in SUPPORTED_NODES + ("Passthrough",):
                self.err(k, f"node type {t} is not supported by the importer", t,
                         f"use supported node types: {', '.join(SUPPORTED_NODES)}")
            self.kind[k] = t
        self.preds = {k: [] for k in self.nodes}
        self.succs = {k: [] for k in self.nodes}
        for a, b in edges:
            if a not in self.nodes or b not in self.nodes:
                self.errors.append(ConfigError("nir.edges", "edge refers to a node that does not exist",
                                               f"{a} -> {b}", "fix the graph's edge list"))
                continue
            self.preds[b].append(a)
            self.succs[a].append(b)
        self.shape: dict[str, tuple[int, ...]] = {}
        self.own_in_shape: dict[str, tuple[int, ...]] = {}

    def err(self, node: str, rule: str, value=None, fix: str = "") -> None:
        self.errors.append(ConfigError(f"nir.nodes.{node}", rule, value, fix))

    def raise_errors(self) -> None:
        """Raise every problem collected so far (one ``ConfigErrors``), and forget them."""
        if self.errors:
            errs = list(self.errors)
            self.errors.clear()
            raise ConfigErrors(errs)

    def infer_shapes(self) -> None:
        """Output shape of every node, from its own parameters or its inputs (C order)."""
        shape: dict[str, tuple[int, ...] | None] = {}
        own = {}
        for k, node in self.nodes.items():
            t = self.kind[k]
            s = None
            if t == "Input":
                s = shape_of(node.input_type.get("input"))
                if s is not None and int(np.prod(s)) > MAX_NODE_SIZE:
                    self.err(k, f"has {int(np.prod(s)):,} values; a layer is limited to {MAX_NODE_SIZE:,}",
                             f"shape {s}", "use a smaller input (the chip holds at most millions of neurons)")
                    s = None
            elif t in ("Affine", "Linear"):
                w = np.asarray(node.weight)
                if w.ndim != 2:
                    self.err(k, f"{t} weight must be a 2-d (out, in) matrix", f"shape {w.shape}",
                             "flatten batched weights into one matrix")
                    continue
                s = (w.shape[0],)
            elif t in ("LIF", "CubaLIF", "IF", "LI", "CubaLI", "I", "Threshold", "Scale", "Delay"):
                attr = {"LIF": "tau", "CubaLIF": "tau_mem", "IF": "r", "LI": "tau", "CubaLI": "tau_mem", "I": "r",
                        "Threshold": "threshold", "Scale": "scale", "Delay": "delay"}[t]
                a = np.asarray(getattr(node, attr))
                if a.size > 1:
                    s = tuple(a.shape)
            elif t in ("Conv1d", "Conv2d"):
                ins = getattr(node, "input_shape", None)
                if ins is not None and np.asarray(ins).size:
                    w = np.asarray(node.weight)
                    in_shape = (w.shape[1] * int(node.groups),) + int_tuple(ins, w.ndim - 2, "input_shape")
                    own[k] = in_shape
            own.setdefault(k, None)
            shape[k] = s
        # propagate: pass-through-shaped nodes take their inputs' shape
        for _ in range(len(self.nodes) + 1):
            changed = False
            for k in self.nodes:
                if shape.get(k) is not None:
                    continue
                t = self.kind[k]
                ins = [shape[p] for p in self.preds[k] if shape.get(p) is not None]
                in_shape = own.get(k) or (ins[0] if ins else None)
                if in_shape is None:
                    continue
                try:
                    s = self.out_shape(k, t, in_shape)
                except ValueError as exc:
                    self.err(k, f"cannot use this {t}: {exc}", None, "check the layer's parameters and input shape")
                    shape[k] = ()
                    changed = True
                    continue
                shape[k] = s
                changed = True
            if not changed:
                break
        self.own_in_shape = {k: v for k, v in own.items() if v is not None}
        self.shape = {}
        for k in self.nodes:
            s = shape.get(k)
            if s is None:
                if self.kind[k] != "Input" or self.succs[k]:
                    self.err(k, "cannot determine the shape of this node", None,
                             "give Input nodes a shape and connect every node to an input")
                continue
            self.shape[k] = s
        # sizes must agree along every edge
        for k in self.nodes:
            if k not in self.shape:
                continue
            need = self.in_size(k)
            for p in self.preds[k]:
                if p in self.shape and need is not None and int(np.prod(self.shape[p])) != need:
                    self.err(k, f"input size mismatch: '{p}' gives {int(np.prod(self.shape[p]))} values, this "
                                f"node takes {need}", f"{self.shape[p]} -> {self.kind[k]}",
                             "fix the layer sizes so every edge carries the same number of values")

    def out_shape(self, k: str, t: str, in_shape: tuple[int, ...]) -> tuple[int, ...]:
        node = self.nodes[k]
        if t in ("Conv1d", "Conv2d"):
            w = np.asarray(node.weight)
            if w.ndim - 2 != (1 if t == "Conv1d" else 2):
                raise ValueError(f"weight shape {w.shape} does not match {t}")
            _, out = conv_op(w, in_shape, node.stride, node.padding, node.dilation, node.groups)
            return out
        if t in ("SumPool2d", "AvgPool2d"):
            _, out = pool_op(node.kernel_size, node.stride, node.padding, in_shape, t == "AvgPool2d")
            return out
        if t == "Flatten":
            n = int(np.prod(in_shape))
            ot = shape_of((node.output_type or {}).get("output"))
            if ot is not None and int(np.prod(ot)) == n:
                return ot
            return (n,)
        return tuple(in_shape)   # neurons with scalar parameters, Scale/Delay scalars, passthrough, Output

    def in_size(self, k: str) -> int | None:
        t, node = self.kind[k], self.nodes[k]
        if t in ("Affine", "Linear"):
            return int(np.asarray(node.weight).shape[1])
        if k in self.own_in_shape:
            return int(np.prod(self.own_in_shape[k]))
        if t in ("Conv1d", "Conv2d", "SumPool2d", "AvgPool2d", "Flatten", "Passthrough", "Output"):
            return None
        if k in self.shape:
            return int(np.prod(self.shape[k])) if t != "Input" else None
        return None
