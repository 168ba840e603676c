"""The chip program: flat integer tables per core — the bits a host would load into SRAM.

Tables of all cores are concatenated in core order (k = y*W + x) with ``core_*_offset``
arrays of length n_cores+1. Per-neuron tables are indexed by *placed row*: the neurons of
core k are rows ``core_neuron_offset[k] .. core_neuron_offset[k+1]-1`` in NU order.
Every array is a contiguous, read-only numpy array of the dtype given below, as narrow as the
chip's widths allow (issue #18: the synapse memory is one packed 4-byte (target, weight) record
per slot; the valid bits follow from the axon table).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from neurocycle.hw import ChipConfig, layout

if TYPE_CHECKING:
    from neurocycle.hw import SystemConfig

SYNAPSE_SLOT = layout.SYNAPSE_SLOT.dtype     # (target u2, weight i2), packed: 4 bytes
SYNAPSE_SLOT_DL = layout.SYNAPSE_SLOT_DL.dtype   # + meta u1 (delay | plastic << 6): chips with delays or learning


def synapse_dtype(chip: ChipConfig) -> np.dtype:
    """The synapse slot of ``chip``'s program (neurocycle.hw.layout.synapse_slot)."""
    return layout.synapse_slot(chip.core.delay_slots, chip.core.learning).dtype


@dataclass(frozen=True)
class ChipProgram:
    chip: ChipConfig
    n_neurons: int
    n_inputs: int
    # placement (rows are in core-major NU order)
    row_gid: np.ndarray              # int32[n_rows]   network neuron id of each placed row
    gid_row: np.ndarray              # int32[n_neurons] placed row of each neuron
    core_neuron_offset: np.ndarray   # int32[n_cores+1]
    # neuron profiles
    core_profile_offset: np.ndarray  # int32[n_cores+1]
    profile_table: np.ndarray        # int64[n_profiles, len(PROFILE_FIELDS)] columns PROFILE_FIELDS
    row_profile: np.ndarray          # int32[n_rows]   profile index local to the row's core
    # axon table
    core_axon_offset: np.ndarray     # int32[n_cores+1]
    axon_base: np.ndarray            # int32[n_axons]  first synapse word, local to the core
    axon_len: np.ndarray             # int32[n_axons]  number of synapses
    # synapse SRAM: words x lanes slots
    core_word_offset: np.ndarray     # int64[n_cores+1]
    synapses: np.ndarray             # SYNAPSE_SLOT[n_words, lanes]: target (local, 0 if invalid), weight (0 if invalid);
                                     # SYNAPSE_SLOT_DL (+ meta: delay | plastic << 6) on a chip with delays or learning
    # fan-out table
    core_fanout_offset: np.ndarray   # int64[n_cores+1]
    row_fanout_base: np.ndarray      # int32[n_rows]  first entry, local to the core
    row_fanout_len: np.ndarray       # int32[n_rows]
    fanout_dst_x: np.ndarray         # int32[n_fanout] core column x*C + j (multicast: of the source)
    fanout_dst_y: np.ndarray         # int32[n_fanout]
    fanout_axon: np.ndarray          # int32[n_fanout]
    fanout_mc: np.ndarray            # uint8[n_fanout] 1: a multicast flit (key = the other fields)
    # host fan-out (external input channels)
    input_fanout_offset: np.ndarray  # int64[n_inputs+1]
    input_dst_x: np.ndarray          # int32[n_host_flits]
    input_dst_y: np.ndarray
    input_axon: np.ndarray
    input_mc: np.ndarray             # uint8[n_host_flits]
    # multicast routing tables (empty on a unicast chip), per router sorted by key
    router_table_offset: np.ndarray  # int32[n_routers+1]
    table_key: np.ndarray            # int64[n_entries] the key: a flit without its mc bit
    table_outputs: np.ndarray        # int32[n_entries] output ports (bit p = port p)
    # STDP (docs/microarchitecture.md §11; the delay and plastic bits are in ``synapses``' meta byte)
    core_stdp: np.ndarray            # int64[n_cores, len(STDP_FIELDS)]  each core's rule registers (enable 0: none)
    core_rev_offset: np.ndarray      # int32[n_cores+1]  reverse table (incoming plastic synapses per neuron)
    row_rev_base: np.ndarray         # int32[n_rows]  first reverse entry, local to the core
    row_rev_len: np.ndarray          # int32[n_rows]
    rev_axon: np.ndarray             # int32[n_rev]  axon of the synapse, local to the core
    rev_word: np.ndarray             # int32[n_rev]  synapse word, local to the core
    rev_lane: np.ndarray             # int32[n_rev]
    # int32/int64[n_synapses]: global slot (word * lanes + lane) of every network synapse, kept only
    # when the program learns (Run.weights reads the learned weights there); None otherwise
    syn_slot: np.ndarray | None = None
    # a system of chips (docs/microarchitecture.md §12): ``chip`` is then its system mesh
    # (SystemConfig.mesh_chip) and every table is over the system mesh; None on a single chip
    system: "SystemConfig | None" = None

    @property
    def learning(self) -> bool:
        """True when some core learns (holds a plastic synapse)."""
        return bool(self.core_stdp[:, 0].any()) if self.core_stdp.size else False

    @cached_property
    def syn_valid(self) -> np.ndarray:
        """uint8[n_words, lanes]: the valid bit of every slot -- 1 exactly on the slots of the axons
        (``axon_len`` slots from each axon's first word). Derived from the axon table when first
        asked for (the hardware stores it; the models never need it)."""
        from ._csr import ranges

        lanes = self.chip.core.synapse_lanes
        valid = np.zeros(self.synapses.size, np.uint8)
        ax_core = np.repeat(np.arange(self.n_cores), np.diff(self.core_axon_offset))
        start = (self.core_word_offset[ax_core] + self.axon_base) * lanes
        n = self.axon_len.astype(np.int64)
        cum = np.concatenate([[0], np.cumsum(n)])
        a = 0
        while a < n.size:          # axon chunks of about 4 M slots
            b = max(a + 1, int(np.searchsorted(cum, cum[a] + (1 << 22), side="right")) - 1)
            valid[ranges(start[a:b], n[a:b])] = 1
            a = b
        valid = valid.reshape(self.synapses.shape)
        valid.setflags(write=False)
        return valid

    @property
    def syn_target(self) -> np.ndarray:
        """uint16[n_words, lanes] (a view of ``synapses``): target neuron local to the core (0 if invalid)."""
        return self.synapses["target"]

    @property
    def syn_weight(self) -> np.ndarray:
        """int16[n_words, lanes] (a view of ``synapses``): signed weight (0 if invalid)."""
        return self.synapses["weight"]

    @cached_property
    def syn_delay(self) -> np.ndarray:
        """uint8[n_words, lanes]: extra delay d = total delay - 1 of every slot (0 if invalid; all 0
        on a chip without delays or learning, whose slots have no meta byte)."""
        return self._meta_field("delay")

    @cached_property
    def syn_plastic(self) -> np.ndarray:
        """uint8[n_words, lanes]: 1 where the slot learns (STDP)."""
        return self._meta_field("plastic")

    def _meta_field(self, name: str) -> np.ndarray:
        if "meta" not in self.synapses.dtype.names:
            out = np.zeros(self.synapses.shape, np.uint8)
        else:
            out = layout.SYNAPSE_META.unpack(self.synapses["meta"], name).astype(np.uint8)
        out.setflags(write=False)
        return out

    @property
    def n_cores(self) -> int:
        return self.chip.derived.n_cores

    @property
    def n_routers(self) -> int:
        return self.chip.derived.n_routers

    @property
    def n_rows(self) -> int:
        return int(self.row_gid.size)

    @cached_property
    def core_of_row(self) -> np.ndarray:
        """int64[n_rows]: the core of every placed row (rows are core-major)."""
        return np.repeat(np.arange(self.n_cores), np.diff(self.core_neuron_offset))

    def core_usage(self) -> dict[str, np.ndarray]:
        """Per-core use of every capacity (for summaries and plots)."""
        d = np.diff
        return {"neurons": d(self.core_neuron_offset), "axons": d(self.core_axon_offset),
                "synapse_words": d(self.core_word_offset), "fanout_entries": d(self.core_fanout_offset),
                "profiles": d(self.core_profile_offset)}

    def chip_usage(self) -> dict[str, np.ndarray]:
        """Per-chip use of every capacity of a system (sums over each chip's cores); one row
        for a single chip."""
        use = self.core_usage()
        if self.system is None:
            return {k: np.asarray([v.sum()]) for k, v in use.items()}
        q = self.system.chip_of_core(np.arange(self.n_cores))
        n = self.system.derived.n_chips
        return {k: np.bincount(q, weights=v, minlength=n).astype(np.int64) for k, v in use.items()}

    def router_usage(self) -> dict[str, np.ndarray]:
        """Per-router use of the multicast routing table (all zero on a unicast chip)."""
        return {"table_entries": np.diff(self.router_table_offset)}

    def table_sram_bits(self) -> dict[str, int]:
        """Multicast table SRAM: bits configured per router and on the chip, and bits the program
        uses (entries x entry bits) on the chip and in its fullest router."""
        d = self.chip.derived
        used = np.diff(self.router_table_offset).astype(np.int64) * d.table_entry_bits
        return {"per_router": d.table_bits, "chip": d.table_bits * d.n_routers, "used_chip": int(used.sum()),
                "used_max_router": int(used.max(initial=0)), "entry_bits": d.table_entry_bits}

    def noc_traffic(self) -> dict:
        """Hop-weighted traffic of this placement if every neuron and input channel fires once:
        flits injected, link traversals (flit-hops), router grants, ejections (docs/experiments.md)."""
        from ._routes import noc_traffic
        return noc_traffic(self)

    def arrays(self) -> dict[str, np.ndarray]:
        return {f.name: getattr(self, f.name) for f in fields(self) if isinstance(getattr(self, f.name), np.ndarray)}

    def flit(self, dst_x, dst_y, axon, mc=0, payload=0):
        """Pack flits per docs/microarchitecture.md §2 (vectorised; layout in neurocycle.hw.layout).
        ``mc`` marks a multicast flit (multicast chips only); ``payload`` is 0 for a fan-out table
        entry (a route: the NU adds the spike's payload) and on a binary chip. A field the chip does
        not have (0 bits) is left out, so its value cannot spill into the next field."""
        d = vars(self.chip.derived)
        fields = {"axon": axon, "dst_y": dst_y, "dst_x": dst_x}
        if d["mc_bits"]:
            fields["mc"] = mc
        if d["payload_bits"]:
            fields["payload"] = payload
        return layout.CHIP_FLIT.pack(d, **fields)


def stimulus_payloads(program: ChipProgram, stim) -> np.ndarray:
    """int64 payload of every input spike of ``stim`` (1 for binary channels), checked against
    the chip's payload width: a value above ``2^bits.payload - 1`` is a ConfigError."""
    from neurocycle.hw import ConfigError

    q = stim.payload_of_spikes()
    P = program.chip.bits.payload
    if q.size and int(q.max()) > max(1, (1 << P) - 1):      # binary spikes are payload 1
        bad = int(q.max())
        t = int(np.searchsorted(stim.offsets, int(np.argmax(q)), side="right") - 1)
        raise ConfigError("inputs.payloads", f"an input spike of timestep {t} has payload {bad}, above the chip's "
                          f"largest payload 2^bits.payload - 1 = {(1 << P) - 1}", bad,
                          f"raise bits.payload to {bad.bit_length()} or scale the input values down")
    return q
