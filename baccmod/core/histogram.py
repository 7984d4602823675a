"""Per-event histogramming of counts cubes.

Bins are half-open ``[edge_i, edge_i+1)``; events outside the edges (or NaN) are not counted.
The cubes are filled by vectorised numpy (:func:`bin_index`, then ``np.bincount``).
"""
import functools

import numpy as np

#: Relative spread of the bin widths (linear, or of log(edges)) below which the bin of a
#: value is found by arithmetic rather than by binary search.
_REGULAR = 1e-6


def bin_index(values, edges):
    """Index of the half-open bin ``[edges[i], edges[i+1])`` holding each value.

    Equal to ``np.searchsorted(edges, values, side="right") - 1`` inside the edges; for
    regular edges (linear or logarithmic) the bin is computed, then checked against the edges
    (a value found one bin off moves to its bin; any other mismatch falls back to the binary
    search).

    Parameters
    ----------
    values : ndarray, shape (n,)
    edges : ndarray, shape (m + 1,)
        Increasing.

    Returns
    -------
    index : ndarray of intp, shape (n,)
        In [0, m); -1 for values outside the edges or NaN.
    """
    values = np.asarray(values, dtype=float)
    edges = np.asarray(edges, dtype=float)
    n_bins = edges.size - 1
    index = _regular_index(values, edges)
    if index is None:
        index = np.searchsorted(edges, values, side="right") - 1
    index[index >= n_bins] = -1
    return index


def _regular_index(values, edges):
    """The bin of each value (-1 below, m above the edges or NaN: -1) by arithmetic, for
    regular edges; None otherwise or where arithmetic and edges disagree by over a bin."""
    transform = _regular_transform(edges)
    if transform is None:
        return None
    n_bins = edges.size - 1
    scaled = transform(edges)
    with np.errstate(divide="ignore", invalid="ignore"):
        position = (transform(values) - scaled[0]) * (n_bins / (scaled[-1] - scaled[0]))
    index = np.fmin(np.fmax(position, -1.0), n_bins).astype(np.intp)  # NaN: -1
    # bounds of the bins -1 .. m (NaN above: no value is moved past bin m)
    bounds = np.concatenate([[-np.inf], edges, [np.nan]])
    index -= values < bounds[index + 1]
    index += values >= bounds[index + 2]
    if np.any(values < bounds[index + 1]) or np.any(values >= bounds[index + 2]):
        return None
    return index


def _regular_transform(edges):
    """The transform (identity or log) in which the edges are evenly spaced, or None."""
    return _regular_transform_of(edges.tobytes())


@functools.lru_cache(maxsize=64)
def _regular_transform_of(edges_bytes):
    edges = np.frombuffer(edges_bytes, dtype=float)
    for transform in (_identity, np.log):
        if transform is np.log and edges[0] <= 0:
            break
        widths = np.diff(transform(edges))
        if np.all(np.abs(widths - widths.mean()) <= _REGULAR * widths.mean()):
            return transform
    return None


def _identity(values):
    return values


def _histogram(indices, sizes, keep):
    """Counts of events per cell of a cube: ``indices`` per axis (-1 outside), ``sizes`` the
    number of bins per axis; only events where ``keep``."""
    cells = int(np.prod(sizes))
    use = keep.copy()
    flat = np.zeros(use.size, dtype=np.intp)
    for index, size in zip(indices, sizes):
        use &= index >= 0
        flat *= size
        flat += index
    flat[~use] = cells  # one bin past the cube for the events left out
    return np.bincount(flat, minlength=cells + 1)[:cells].reshape(sizes).astype(float)


def _keep_mask(keep, n):
    return np.ones(n, dtype=np.bool_) if keep is None else np.asarray(keep, dtype=np.bool_)


def count_energy_offset(energy, offset, energy_edges, offset_edges, keep=None):
    """Counts cube of events in (energy, offset).

    Parameters
    ----------
    energy : ndarray, shape (n,)
        Event energies (same unit as ``energy_edges``).
    offset : ndarray, shape (n,)
        Angular distance from the pointing (same unit as ``offset_edges``).
    energy_edges, offset_edges : ndarray
        Increasing bin edges.
    keep : ndarray of bool, shape (n,), optional
        Events to count (e.g. those outside exclusion regions); default all.

    Returns
    -------
    counts : ndarray, shape (n_energy, n_offset)
    """
    return _count([energy, offset], [energy_edges, offset_edges], keep)


def count_energy_fov(energy, fov_lon, fov_lat, energy_edges, lon_edges, lat_edges, keep=None):
    """Counts cube of events in (energy, fov_lon, fov_lat); see :func:`count_energy_offset`.

    Returns
    -------
    counts : ndarray, shape (n_energy, n_lon, n_lat)
    """
    return _count([energy, fov_lon, fov_lat], [energy_edges, lon_edges, lat_edges], keep)


def count_energy(energy, energy_edges, keep=None):
    """Counts of events per energy bin (half-open bins, as the cubes); shape (n_energy,)."""
    return _count([energy], [energy_edges], keep)


def _count(values, edges, keep):
    """Counts cube of events: ``values`` and increasing ``edges`` per axis."""
    values = [np.asarray(axis_values, dtype=float) for axis_values in values]
    edges = [np.asarray(axis_edges, dtype=float) for axis_edges in edges]
    return _histogram([bin_index(v, e) for v, e in zip(values, edges)],
                      tuple(e.size - 1 for e in edges), _keep_mask(keep, values[0].size))
