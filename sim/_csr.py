"""Gathers over compressed rows (CSR): the one vectorised "concatenate these index ranges"."""
from __future__ import annotations

import numpy as np

__all__ = ["ranges"]


def ranges(starts, lens) -> np.ndarray:
    """Indices ``starts[0] .. starts[0]+lens[0]-1, starts[1] .. `` concatenated (int64).

    ``ranges(offsets[rows], offsets[rows + 1] - offsets[rows])`` gathers the entries of ``rows``
    of a CSR table; no Python loop, O(total length)."""
    starts = np.asarray(starts, np.int64)
    lens = np.asarray(lens, np.int64)
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    ends = np.cumsum(lens)
    return np.repeat(starts - (ends - lens), lens) + np.arange(total, dtype=np.int64)
