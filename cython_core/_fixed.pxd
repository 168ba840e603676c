# The fixed-point arithmetic of docs/microarchitecture.md §7, written once for every kernel
# (the numpy specification is neurocycle.hw._fixed; tests check the kernels against it).
from libc.stdint cimport int64_t


cdef inline int64_t _decay(int64_t x, int64_t d) noexcept nogil:
    """trunc(x * (4096 - d) / 4096): rounding toward zero."""
    cdef int64_t prod = x * (4096 - d)
    if prod < 0:
        return -((-prod) >> 12)
    return prod >> 12


cdef inline int64_t _sat(int64_t x, int64_t lo, int64_t hi) noexcept nogil:
    return lo if x < lo else (hi if x > hi else x)
