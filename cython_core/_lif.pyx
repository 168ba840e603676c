# cython: language_level=3
"""Fixed-point CUBA LIF update (docs/microarchitecture.md §7), in place, over many neurons.

Checked against neurocycle.hw.lif_step (the numpy specification) in the tests.
"""
import numpy as np
cimport numpy as cnp
from libc.stdint cimport int64_t, int32_t, uint8_t

cnp.import_array()


from _fixed cimport _decay, _sat  # cython_core/_fixed.pxd


def lif_update(int64_t[::1] u, int64_t[::1] v, int64_t[::1] ref, int64_t[::1] acc,
               const int32_t[::1] profile_index, const int64_t[:, ::1] profiles, int state_bits,
               uint8_t[::1] spiked):
    """Update every neuron once; clears ``acc``; sets ``spiked[i]``; returns the spike count.

    ``profiles`` columns: du, dv, bias, vth, v_reset, refractory, w_exp.
    """
    cdef Py_ssize_t i, n = u.shape[0]
    cdef int64_t lo = -(1 << (state_bits - 1)), hi = (1 << (state_bits - 1)) - 1
    cdef int64_t un, vn, count = 0
    cdef const int64_t[:] p
    with nogil:
        for i in range(n):
            p = profiles[profile_index[i]]
            un = _sat(_decay(u[i], p[0]) + (acc[i] << p[6]), lo, hi)
            acc[i] = 0
            u[i] = un
            spiked[i] = 0
            if ref[i] > 0:
                ref[i] -= 1
                continue
            vn = _sat(_decay(v[i], p[1]) + un + p[2], lo, hi)
            if vn >= p[3]:
                spiked[i] = 1
                v[i] = p[4]
                ref[i] = p[5]
                count += 1
            else:
                v[i] = vn
                ref[i] = 0
    return count
