"""The cycle kernel's packed words hold the largest chip the schema allows and the largest system
of chips SystemConfig allows (docs/engine.md "Hard limits"): a chip or system that validates
cannot overflow a kernel field, so the engine has no size limit of its own beyond those ranges."""
import annotated_types
import numpy as np

from neurocycle.hw import BitsConfig, CoreConfig, MeshConfig, RouterConfig, layout, load_chip
from neurocycle.hw._config import MAX_CORES
from neurocycle.hw._system import MAX_SYSTEM_CORES


def schema_max(model, field: str) -> int:
    for m in model.model_fields[field].metadata:
        if isinstance(m, annotated_types.Le):
            return int(m.le)
        if isinstance(m, annotated_types.Lt):
            return int(m.lt) - 1
    raise AssertionError(f"{model.__name__}.{field} has no upper bound")


W, H = schema_max(MeshConfig, "width"), schema_max(MeshConfig, "height")
CORES = MAX_CORES              # routers x cores per router, bounded by the schema's cross-check
NEURONS, AXONS = schema_max(CoreConfig, "neurons"), schema_max(CoreConfig, "axons")
WORDS, LANES = schema_max(CoreConfig, "synapse_words"), schema_max(CoreConfig, "synapse_lanes")


def test_the_largest_chip_validates():
    chip = load_chip("default-4x4").with_overrides({
        "mesh.width": W, "mesh.height": H, "core.neurons": NEURONS, "core.axons": AXONS,
        "core.synapse_words": WORDS, "core.synapse_lanes": LANES,
        "core.fanout_entries": schema_max(CoreConfig, "fanout_entries"),
        "bits.weight": schema_max(BitsConfig, "weight"), "bits.accumulator": schema_max(BitsConfig, "accumulator"),
        "router.fifo_depth": schema_max(RouterConfig, "fifo_depth"), "core.fifo_depth": schema_max(CoreConfig, "fifo_depth"),
    })
    assert chip.derived.n_cores == CORES == W * H == 4096
    assert W * H * schema_max(MeshConfig, "cores_per_router") > MAX_CORES    # the cross-check is what binds


def test_kernel_flit_holds_every_core_and_axon_of_the_largest_system():
    kf = layout.KERNEL_FLIT
    assert kf.total_bits() == 64
    assert kf.shifts()["unused"] == 63 and kf.max("unused") == 1      # a kflit is >= 0, a kmcflit < 0
    assert kf.max("dst") >= MAX_SYSTEM_CORES - 1 >= CORES - 1
    assert kf.max("record") >= MAX_SYSTEM_CORES * AXONS - 1         # the global axon index
    assert kf.max("port") >= layout.MAX_PORTS - 1
    assert kf.max("words") >= 1                                     # saturates: the record holds the rest


def test_kernel_axon_record_holds_the_largest_axon_and_row():
    ka = layout.KERNEL_AXON
    assert ka.total_bits() <= 64
    assert ka.max("n_syn") >= WORDS * LANES
    assert ka.max("row_base") >= MAX_SYSTEM_CORES * NEURONS


def test_synapse_slot_holds_a_local_target_and_the_widest_weight():
    dt = layout.SYNAPSE_SLOT.dtype
    assert dt.itemsize == 4
    assert np.iinfo(dt["target"]).max >= NEURONS - 1
    w = schema_max(BitsConfig, "weight")
    assert np.iinfo(dt["weight"]).min <= -(1 << (w - 1)) and np.iinfo(dt["weight"]).max >= (1 << (w - 1)) - 1


def test_kernel_fifo_timer_and_downstream_words_hold_the_largest_mesh():
    depth = max(schema_max(RouterConfig, "fifo_depth"), schema_max(CoreConfig, "fifo_depth"))
    assert layout.KERNEL_FIFO_STATE.max("occ") >= depth and layout.KERNEL_FIFO_STATE.max("max_occ") >= depth
    assert layout.KERNEL_TIMER.max("core") >= MAX_SYSTEM_CORES - 1
    kd = layout.KERNEL_DOWNSTREAM
    lnc = (CORES - 1).bit_length()
    assert kd.max("req_base") >= ((4 * 6) << 6) + H - 1 and kd.max("x") >= W - 1
    assert kd.max("fifo") >= (MAX_SYSTEM_CORES - 1) * 8 + 7      # a system's routers (<= its cores)
    assert kd.max("fifo") >= (CORES - 1) * 8 + 4 and kd.max("route_row") >= (CORES - 1) << lnc


def test_more_neurons_than_the_program_s_int32_rows_are_refused_before_sampling():
    """Only a system's mesh could place 2^31 neurons: refused from the spec, nothing sampled."""
    import pytest

    from neurocycle.hw import CapacityError
    from neurocycle.sim import NetworkBuilder
    from neurocycle.sim._netsize import check_before_sampling

    b = NetworkBuilder("huge")
    for i in range(129):                                   # 129 x 2^24 > 2^31 - 1
        b.population(f"p{i}", 1 << 24, {"vth": 1})
    with pytest.raises(CapacityError) as e:
        check_before_sampling(b.build(), None, load_chip("tiny-2x2"), 1)
    assert e.value.field == "network" and "int32" in str(e.value)
