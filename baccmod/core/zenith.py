"""Zenith binning of runs: wobble groups, cos(zenith) bin edges, bin centres, run splitting.

Definitions
-----------
- fine bins: bins of equal width <= ``initial_cos_zenith_binning`` in cos(zenith) from 0 to 1;
  the final zenith bins are unions of consecutive fine bins (see :func:`cos_zenith_bin_edges`);
- an entry (run or run piece) belongs to the bin ``[e_i, e_i+1)`` holding its cos(zenith); a
  value exactly on an edge goes to the bin above it, cos(zenith) = 1 to the last bin
  (:func:`cos_zenith_bin_index`);
- a wobble group is a set of runs with nearby pointings (:func:`wobble_groups`);
- the centre of a zenith bin is the livetime-weighted mean cos(zenith) of its entries.

All angles are in rad unless the name says otherwise.
"""
import numpy as np

from ..errors import BaccmodValueError

#: Relative tolerance on the threshold: a bin closes when weight >= threshold * (1 - TOLERANCE).
TOLERANCE = 1e-9


def unit_vectors(ra, dec):
    """Cartesian unit vectors of sky directions (rad). Shape ``ra.shape + (3,)``."""
    cos_dec = np.cos(dec)
    return np.stack([cos_dec * np.cos(ra), cos_dec * np.sin(ra), np.sin(dec)], axis=-1)


def wobble_groups(ra, dec, max_separation):
    """Label runs by wobble position.

    The runs are walked in the given order; a run joins the first existing group whose mean
    direction is within ``max_separation`` of its pointing, else it starts a new group. The
    mean direction of a group is the normalised sum of its members' unit vectors, so grouping
    works across RA 0/2 pi and near the poles.

    Parameters
    ----------
    ra, dec : ndarray, shape (n,)
        Pointing positions of the runs (rad).
    max_separation : float
        Largest angle (rad) between a run and the mean direction of the group it joins.

    Returns
    -------
    labels : ndarray of int, shape (n,)
        Group of each run, 0..k-1 in order of first appearance (empty for no runs).
    """
    ra, dec = _same_shape_1d(("ra", np.asarray(ra, dtype=float)),
                             ("dec", np.asarray(dec, dtype=float)))
    if not max_separation >= 0:
        raise BaccmodValueError(f"max_separation must be an angle >= 0 (rad), got "
                                f"{max_separation}: give the largest distance between the "
                                f"pointings of one wobble position.")
    labels = np.empty(ra.size, dtype=int)
    group_sums = []
    for i, vector in enumerate(unit_vectors(ra, dec)):
        near = _groups_within(group_sums, vector, max_separation)
        if near.size:
            labels[i] = near[0]
            group_sums[near[0]] = group_sums[near[0]] + vector
        else:
            labels[i] = len(group_sums)
            group_sums.append(vector)
    return labels


def _groups_within(group_sums, vector, max_separation):
    """Indices of the groups (sums of unit vectors) within ``max_separation`` of ``vector``."""
    if not group_sums:
        return np.empty(0, dtype=int)
    sums = np.array(group_sums)
    separation = np.arctan2(np.linalg.norm(np.cross(sums, vector), axis=1), sums @ vector)
    return np.flatnonzero(separation <= max_separation)


def fine_cos_zenith_edges(width):
    """Edges of the fine cos(zenith) bins: equal bins of width <= ``width`` from 0 to 1.

    Returns ndarray, shape (n + 1,) with n = ceil(1 / width): edge k is ``k / n`` rounded
    once, so with width 0.1 the edge 0.6 equals the float 0.6.
    """
    if not 0 < width < 1:
        raise BaccmodValueError(f"initial_cos_zenith_binning must be in (0, 1) (exclusive), got "
                                f"{width}: give the width of the fine cos(zenith) bins, e.g. "
                                f"0.01.")
    n_fine = int(np.ceil(1 / width - TOLERANCE))
    return np.arange(n_fine + 1) / n_fine


def cos_zenith_bin_index(cos_zenith, edges):
    """Index of the bin ``[edges[i], edges[i+1])`` of each cos(zenith), as an int array.

    A value on an edge goes to the bin above it; values at or beyond the last edge go to the
    last bin, values below the first edge to the first bin.
    """
    index = np.searchsorted(edges, cos_zenith, side="right") - 1
    return np.clip(index, 0, len(edges) - 2)


def cos_zenith_bin_edges(cos_zenith, weight, wobble, fine_edges, threshold):
    """Edges of zenith bins holding at least ``threshold`` of weight per wobble group.

    The fine bins are walked from the largest zenith angle (smallest cos zenith, fine bin 0)
    towards the zenith. Each fine bin's weight is added, per wobble label, to the open bin.
    The open bin is closed at the upper edge of the current fine bin as soon as, for every
    wobble label present in ``wobble``, its weight in the open bin is
    >= ``threshold * (1 - TOLERANCE)``. What remains open after the last fine bin (it never
    reached the threshold, and may be empty) joins the last closed bin, whose upper edge
    becomes ``fine_edges[-1]``; if no bin was ever closed there is a single bin (so
    ``threshold=inf`` gives one bin for all).

    Parameters
    ----------
    cos_zenith : ndarray, shape (n,)
        cos(zenith) of each run or run piece, in [0, 1].
    weight : ndarray, shape (n,)
        Livetime (s) of each entry for the ``min_livetime`` methods, 1 per run for the
        ``min_n_observation`` methods; >= 0.
    wobble : ndarray of int, shape (n,)
        Wobble label of each entry (all equal for the methods without ``_per_wobble``).
    fine_edges : ndarray, shape (n_fine + 1,)
        Increasing fine bin edges, e.g. from :func:`fine_cos_zenith_edges`.
    threshold : float
        Least weight per wobble label in a closed bin (s or number of runs), > 0.

    Returns
    -------
    edges : ndarray
        Increasing subset of ``fine_edges`` starting at ``fine_edges[0]`` and ending at
        ``fine_edges[-1]``.
    """
    cos_zenith, weight, wobble = _same_shape_1d(
        ("cos_zenith", np.asarray(cos_zenith, dtype=float)),
        ("weight", np.asarray(weight, dtype=float)), ("wobble", wobble))
    fine_edges = _check_edges(fine_edges)
    if cos_zenith.size == 0:
        raise BaccmodValueError("no run to bin in zenith: give at least one run.")
    _check_cos_zenith(cos_zenith, 0.0, 1.0)
    if not np.all(weight >= 0) or not np.all(np.isfinite(weight)):
        raise BaccmodValueError("weights (livetime or number of runs) must be finite and >= 0; "
                                "check the livetime of the runs.")
    if not threshold > 0:  # NaN fails too; +inf gives a single bin
        raise BaccmodValueError(f"the zenith binning threshold must be > 0, got {threshold}: set "
                                f"cos_zenith_binning_parameter_value to the least livetime (s) "
                                f"or number of runs per zenith bin.")
    closed = [0]
    open_weight = 0.0
    for i, fine_weight in enumerate(fine_bin_weights(cos_zenith, weight, wobble, fine_edges)):
        open_weight = open_weight + fine_weight
        if np.all(open_weight >= threshold * (1 - TOLERANCE)):
            closed.append(i + 1)
            open_weight = 0.0
    last = len(fine_edges) - 1
    if closed[-1] != last:
        closed = closed[:-1] + [last] if len(closed) > 1 else [0, last]
    return fine_edges[closed]


def fine_bin_weights(cos_zenith, weight, wobble, fine_edges):
    """Summed weight per fine bin and wobble label, shape (n_fine, n_labels).

    Columns follow the sorted distinct labels of ``wobble``.
    """
    _, label_index = np.unique(wobble, return_inverse=True)
    sums = np.zeros((len(fine_edges) - 1, label_index.max() + 1))
    np.add.at(sums, (cos_zenith_bin_index(cos_zenith, fine_edges), label_index.ravel()), weight)
    return sums


def bin_cos_zenith_centres(cos_zenith, livetime, edges):
    """Livetime-weighted mean cos(zenith) of the entries of each bin.

    Parameters
    ----------
    cos_zenith : ndarray, shape (n,)
        cos(zenith) of each run or run piece, inside [edges[0], edges[-1]].
    livetime : ndarray, shape (n,)
        Livetime of each entry (s). With no entry at all every bin gets its mid point.
    edges : ndarray, shape (n_bins + 1,)
        Increasing cos(zenith) bin edges.

    Returns
    -------
    centres : ndarray, shape (n_bins,)
        A bin without entries (or with zero livetime) gets the mid point of its edges, so no
        centre is NaN.
    """
    cos_zenith, livetime = _same_shape_1d(("cos_zenith", np.asarray(cos_zenith, dtype=float)),
                                          ("livetime", np.asarray(livetime, dtype=float)))
    edges = _check_edges(edges)
    _check_cos_zenith(cos_zenith, edges[0], edges[-1])
    index = cos_zenith_bin_index(cos_zenith, edges)
    n_bins = len(edges) - 1
    total = np.bincount(index, weights=livetime, minlength=n_bins)
    weighted = np.bincount(index, weights=livetime * cos_zenith, minlength=n_bins)
    centres = 0.5 * (edges[:-1] + edges[1:])
    return np.divide(weighted, total, out=centres, where=total > 0)


def bin_zenith_deg(cos_zenith, livetime, edges):
    """Zenith angle (deg) of each bin's centre (:func:`bin_cos_zenith_centres`), (n_bins,)."""
    centres = bin_cos_zenith_centres(cos_zenith, livetime, edges)
    return np.degrees(np.arccos(np.clip(centres, -1.0, 1.0)))


def edge_crossing_times(times, cos_zenith, edges):
    """Times at which a pointing's cos(zenith) track crosses an interior bin edge.

    Parameters
    ----------
    times : ndarray, shape (m,)
        Strictly increasing times of the track nodes (s).
    cos_zenith : ndarray, shape (m,)
        cos(zenith) of the pointing at ``times``; linear between nodes.
    edges : ndarray
        Bin edges; the first and last are not considered.

    Returns
    -------
    times : ndarray
        Sorted distinct crossing times (s). The track crosses level L between two nodes where
        one is < L and the other >= L; a track that touches L from above is ignored.
    """
    edges = np.asarray(edges, dtype=float)
    return level_crossing_times(times, cos_zenith, edges[1:-1])


def angle_crossing_times(times, azimuth, boundaries):
    """Times at which an azimuth track crosses any boundary, modulo 2 pi.

    Parameters
    ----------
    times : ndarray, shape (m,)
        Strictly increasing times of the track nodes (s).
    azimuth : ndarray, shape (m,)
        Azimuth at ``times`` (rad), possibly wrapping at 2 pi; it is unwrapped
        (``np.unwrap``), so consecutive nodes must be less than pi apart.
    boundaries : ndarray
        Boundary azimuths (rad), e.g. ``[0, pi]``; crossings of ``boundary + 2 pi k`` by the
        unwrapped track are reported for every integer k.

    Returns
    -------
    times : ndarray
        Sorted distinct crossing times (s), as in :func:`edge_crossing_times`.
    """
    unwrapped = np.unwrap(np.asarray(azimuth, dtype=float))
    boundaries = np.unique(np.mod(np.asarray(boundaries, dtype=float).ravel(), 2 * np.pi))
    if unwrapped.size == 0 or boundaries.size == 0:
        return level_crossing_times(times, unwrapped, np.empty(0))
    turns = np.arange(np.floor((unwrapped.min() - boundaries.max()) / (2 * np.pi)),
                      np.ceil((unwrapped.max() - boundaries.min()) / (2 * np.pi)) + 1)
    levels = (boundaries[None, :] + 2 * np.pi * turns[:, None]).ravel()
    return level_crossing_times(times, unwrapped, levels)


def level_crossing_times(times, values, levels):
    """Sorted distinct times at which the piecewise-linear track ``values(times)`` crosses a level.

    A segment crosses level L when exactly one of its ends is < L; the crossing time is
    interpolated linearly.
    """
    times, values = _same_shape_1d(("times", np.asarray(times, dtype=float)),
                                   ("track values", np.asarray(values, dtype=float)))
    if not np.all(np.diff(times) > 0):
        raise BaccmodValueError("track times must be strictly increasing; sort the track and "
                                "drop repeated times.")
    levels = np.asarray(levels, dtype=float).ravel()
    start, stop = values[:-1, None], values[1:, None]
    segment, level = np.nonzero((start < levels) != (stop < levels))
    fraction = (levels[level] - values[segment]) / (values[segment + 1] - values[segment])
    crossing = times[segment] + fraction * (times[segment + 1] - times[segment])
    return np.unique(crossing)


def _same_shape_1d(*named_arrays):
    """The (name, array) pairs' arrays, 1-D and of one length, or raise naming them."""
    arrays = [np.asarray(array) for _, array in named_arrays]
    names = ", ".join(name for name, _ in named_arrays)
    if any(array.ndim != 1 for array in arrays) or len({a.size for a in arrays}) > 1:
        shapes = ", ".join(str(array.shape) for array in arrays)
        raise BaccmodValueError(f"{names} must be 1-D arrays of one length, got shapes "
                                f"{shapes}: give one value per entry.")
    return arrays


def _check_edges(edges):
    """The edges as a float array: 1-D, at least two, strictly increasing; else raise."""
    edges = np.asarray(edges, dtype=float)
    if edges.ndim != 1 or edges.size < 2 or not np.all(np.diff(edges) > 0):
        raise BaccmodValueError(f"cos(zenith) bin edges must be at least two strictly increasing "
                                f"values, got {edges}.")
    return edges


def _check_cos_zenith(cos_zenith, low, high):
    """Raise if a cos(zenith) lies outside [low, high]."""
    outside = ~((cos_zenith >= low) & (cos_zenith <= high))
    if outside.any():
        raise BaccmodValueError(f"cos(zenith) must lie in [{low}, {high}] (runs above the "
                                f"horizon), got {cos_zenith[outside]}: remove those runs or check "
                                f"their pointing.")
