"""Per-event histogramming of counts cubes.

Bins are half-open ``[edge_i, edge_i+1)``; events outside the edges (or NaN) are not counted.
The (energy, fov_lon, fov_lat) cube of 3D models is filled by a numba kernel; the (energy,
offset) cube of radial models by vectorised numpy, so that a radial model never pays numba's
start-up in a new process (0.2-0.5 s, more than histogramming a hundred runs).
"""
import numpy as np
from numba import njit


@njit(cache=True)
def _bin_index(value, edges):
    """Index of the bin containing value, or -1 outside (edges increasing)."""
    if not (value >= edges[0]) or value >= edges[-1]:
        return -1
    return np.searchsorted(edges, value, side="right") - 1


def _histogram_2d(x, y, x_edges, y_edges, keep):
    """The half-open 2D histogram of :func:`_bin_index`'s rule, in numpy."""
    n_x, n_y = x_edges.size - 1, y_edges.size - 1
    use = keep & (x >= x_edges[0]) & (x < x_edges[-1]) & (y >= y_edges[0]) & (y < y_edges[-1])
    ix = np.searchsorted(x_edges, x[use], side="right") - 1
    iy = np.searchsorted(y_edges, y[use], side="right") - 1
    return np.bincount(ix * n_y + iy, minlength=n_x * n_y).reshape(n_x, n_y).astype(float)


@njit(cache=True)
def _histogram_3d(x, y, z, x_edges, y_edges, z_edges, keep):
    counts = np.zeros((x_edges.size - 1, y_edges.size - 1, z_edges.size - 1))
    for i in range(x.size):
        if not keep[i]:
            continue
        ix = _bin_index(x[i], x_edges)
        iy = _bin_index(y[i], y_edges)
        iz = _bin_index(z[i], z_edges)
        if ix >= 0 and iy >= 0 and iz >= 0:
            counts[ix, iy, iz] += 1.0
    return counts


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
    energy = np.asarray(energy, dtype=float)
    return _histogram_2d(energy, np.asarray(offset, dtype=float),
                         np.asarray(energy_edges, dtype=float),
                         np.asarray(offset_edges, dtype=float), _keep_mask(keep, energy.size))


def count_energy_fov(energy, fov_lon, fov_lat, energy_edges, lon_edges, lat_edges, keep=None):
    """Counts cube of events in (energy, fov_lon, fov_lat); see :func:`count_energy_offset`.

    Returns
    -------
    counts : ndarray, shape (n_energy, n_lon, n_lat)
    """
    energy = np.asarray(energy, dtype=float)
    return _histogram_3d(energy, np.asarray(fov_lon, dtype=float),
                         np.asarray(fov_lat, dtype=float), np.asarray(energy_edges, dtype=float),
                         np.asarray(lon_edges, dtype=float), np.asarray(lat_edges, dtype=float),
                         _keep_mask(keep, energy.size))


def count_energy(energy, energy_edges, keep=None):
    """Counts of events per energy bin (half-open bins, as the cubes); shape (n_energy,)."""
    energy = np.asarray(energy, dtype=float)
    edges = np.asarray(energy_edges, dtype=float)
    use = _keep_mask(keep, energy.size) & (energy >= edges[0]) & (energy < edges[-1])
    index = np.searchsorted(edges, energy[use], side="right") - 1
    return np.bincount(index, minlength=edges.size - 1).astype(float)
