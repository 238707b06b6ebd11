"""The only place pyeda is imported: the espresso minimizer."""
import numpy as np

# pyeda.boolalg.minimization's settings, so covers equal those of its espresso_tts.
_CONFIG = dict(single_expand=False, remove_essential=True, force_irredundant=True, unwrap_onset=True,
               recompute_onset=False, use_super_gasp=False)


def espresso_cover(table, n_inputs):
    """A minimized sum of products of a single-output truth table (sequence of 0/1, input 0 least
    significant): a sorted list of cubes, each a sorted tuple of (input index, polarity)."""
    from pyeda.boolalg.espresso import DTYPE, FTYPE, RTYPE, espresso, set_config

    values = np.asarray(table, dtype=np.int64).reshape(-1)
    if n_inputs == 0:
        return [()] if values[0] else []
    points = np.arange(1 << n_inputs, dtype=np.int64)
    # espresso's input encoding: 1 = the input is 0, 2 = the input is 1 (the point's bit j is input j).
    rows = ((points[:, None] >> np.arange(n_inputs)) & 1) + 1
    cover = set(zip(map(tuple, rows.tolist()), ((int(v),) for v in values)))
    set_config(**_CONFIG)
    cubes = []
    for inputs, _ in espresso(n_inputs, 1, cover, intype=FTYPE | DTYPE | RTYPE):
        cubes.append(tuple((j, v == 2) for j, v in enumerate(inputs) if v in (1, 2)))
    return sorted(cubes)
