"""neurocycle.core — Cython hot kernels over flat numpy arrays. Private: use the documented
Python functions in neurocycle.sim, which validate everything before calling in here."""
