"""numba kernels; each module has a validating public wrapper around its @njit functions."""
