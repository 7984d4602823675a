"""Dynamic energy axis: merging computation energy bins until each holds enough events.

Rule
----
The statistic of an energy bin is its *mean count per spatial bin*: the events of the bin
summed over the spatial bins taken into account (all of them, or those of ``spatial_mask``)
divided by their number.

1. Leading and trailing runs of energy bins without any event are set aside. Each of their
   bins stays a bin of its own, unless ``merge_zeros_low_energy`` (leading run) or
   ``merge_zeros_high_energy`` (trailing run) is set: then the run is merged into as few bins
   as the maximum width allows (greedily from its high-energy end).
2. Between them, bins are merged from the highest energy down: each merged bin grows to lower
   energies until its mean count reaches the target, but never beyond the maximum log10
   width (a single input bin wider than the maximum stays as it is). A bin stopped by the
   width before reaching the target is reported as *width limited*.
3. The lowest merged bin (the remainder above the leading zeros) may not reach the target
   because the events run out. It joins the merged bin above it when the joint bin is not
   wider than the maximum; otherwise it stays a bin of its own and is reported as width
   limited. When the whole range holds fewer events than the target, it is one bin (if the
   width allows) and a warning says so.

The merged edges are a subset of the input edges and keep the first and the last. Counts and
exposure-like arrays (additive over energy, such as exposure in s MeV sr) go onto the merged
bins with :func:`rebin_energy`.
"""
import logging
from dataclasses import dataclass
from numbers import Real

import numpy as np

from baccmod.errors import BaccmodTypeError, BaccmodValueError

log = logging.getLogger(__name__)

#: Relative tolerance on the maximum width, for edges whose log10 differences carry
#: rounding errors (e.g. edges from ``np.geomspace``).
WIDTH_RTOL = 1e-9


@dataclass
class DynamicEnergyEdges:
    """Merged energy bins chosen by :func:`dynamic_energy_edges`.

    Attributes
    ----------
    edges : ndarray, shape (n_merged + 1,)
        Merged bin edges, TeV; a subset of the input edges with its first and last.
    edge_indices : ndarray of int, shape (n_merged + 1,)
        Position of each merged edge in the input edges.
    mean_counts : ndarray, shape (n_merged,)
        Mean count per spatial bin of each merged bin.
    width_limited : ndarray of bool, shape (n_merged,)
        True for merged bins below the target because the maximum width stopped them.
    """
    edges: np.ndarray
    edge_indices: np.ndarray
    mean_counts: np.ndarray
    width_limited: np.ndarray

    def rebin(self, values):
        """``values`` (shape (n_energy, ...) on the input bins) summed onto the merged bins."""
        return rebin_energy(values, self.edge_indices)


def dynamic_energy_edges(counts, energy_edges, target_statistics, maximum_log10_width,
                         merge_zeros_low_energy=False, merge_zeros_high_energy=False,
                         spatial_mask=None, context=""):
    """Merge adjacent energy bins until each holds the target mean count per spatial bin.

    See the module docstring for the rule.

    Parameters
    ----------
    counts : array_like, shape (n_energy, *spatial)
        Events per energy and spatial bin on the computation binning; finite, >= 0. A 1-D
        array is one spatial bin.
    energy_edges : array_like, shape (n_energy + 1,)
        Computation energy edges, TeV, positive and strictly increasing.
    target_statistics : float
        Target mean count per spatial bin of each merged bin, > 0.
    maximum_log10_width : float
        Largest log10(E_high / E_low) of a merged bin, > 0 (``np.inf``: no limit).
    merge_zeros_low_energy, merge_zeros_high_energy : bool
        Merge the leading / trailing bins without events (within the maximum width) instead
        of keeping each of them.
    spatial_mask : array_like of bool, shape spatial, optional
        Spatial bins the mean is taken over (e.g. those inside the field of view); default
        all of them.
    context : str, optional
        What the counts come from (e.g. ``"zenith bin 0.8-0.9"``), put at the start of the
        warnings.

    Returns
    -------
    DynamicEnergyEdges

    Raises
    ------
    BaccmodValueError
        Bad counts, edges, target, width or mask.
    BaccmodTypeError
        Target, width or merge flags of the wrong type.
    """
    counts, energy_edges = _checked_counts_and_edges(counts, energy_edges)
    target = _checked_positive("target_statistics", target_statistics, allow_inf=False)
    max_width = _checked_positive("maximum_log10_width", maximum_log10_width, allow_inf=True)
    _check_flag("merge_zeros_low_energy", merge_zeros_low_energy)
    _check_flag("merge_zeros_high_energy", merge_zeros_high_energy)
    totals, n_spatial = _energy_totals(counts, spatial_mask)
    prefix = f"{context}: " if context else ""
    n_energy = len(totals)
    if not np.any(totals > 0):
        log.warning("%sdynamic energy axis: no events in %s; the energy axis is kept as "
                    "given.", prefix, _energy_range(energy_edges, 0, n_energy))
        return DynamicEnergyEdges(energy_edges.copy(), np.arange(n_energy + 1),
                                  np.zeros(n_energy), np.zeros(n_energy, dtype=bool))
    log_edges = np.log10(energy_edges)
    width = max_width * (1 + WIDTH_RTOL)
    filled = np.flatnonzero(totals > 0)
    low, high = int(filled[0]), int(filled[-1]) + 1
    cumulative = np.concatenate([[0.0], np.cumsum(totals)])
    indices, limited = _merge_filled_range(cumulative, log_edges, low, high,
                                           target * n_spatial, width)
    indices = np.union1d(indices, _zero_run_edges(log_edges, 0, low, width,
                                                  merge_zeros_low_energy))
    indices = np.union1d(indices, _zero_run_edges(log_edges, high, n_energy, width,
                                                  merge_zeros_high_energy))
    mean_counts = np.diff(cumulative[indices]) / n_spatial
    width_limited = np.isin(indices[:-1], limited)
    _warn(prefix, energy_edges, indices, mean_counts, width_limited, target, max_width,
          log_edges)
    return DynamicEnergyEdges(energy_edges[indices], indices, mean_counts, width_limited)


def rebin_energy(values, edge_indices):
    """Sum an array over the energy bins merged by ``edge_indices``.

    Parameters
    ----------
    values : array_like, shape (n_energy, ...)
        Counts or another quantity additive over energy (e.g. exposure, s MeV sr) on the
        input bins.
    edge_indices : array_like of int, shape (n_merged + 1,)
        Merged edges as positions in the input edges: strictly increasing, from 0 to
        n_energy (``DynamicEnergyEdges.edge_indices``).

    Returns
    -------
    ndarray, shape (n_merged, ...)
        Sums over the input bins of each merged bin (same total as ``values``).
    """
    values = np.asarray(values)
    indices = np.asarray(edge_indices)
    if values.ndim < 1:
        raise BaccmodValueError("rebin_energy: values must have an energy axis first; got a "
                                "scalar.")
    if (indices.ndim != 1 or indices.size < 2 or not np.issubdtype(indices.dtype, np.integer)
            or indices[0] != 0 or indices[-1] != values.shape[0]
            or np.any(np.diff(indices) <= 0)):
        raise BaccmodValueError(
            f"rebin_energy: edge_indices must be strictly increasing integers from 0 to "
            f"{values.shape[0]} (the number of energy bins of values); got {indices!r}. Use "
            "the edge_indices of dynamic_energy_edges' result.")
    return np.add.reduceat(values, indices[:-1], axis=0)


def _merge_filled_range(cumulative, log_edges, low, high, target_sum, width):
    """Edges merging bins [low, high) from the top down (rule steps 2 and 3).

    ``cumulative[k]`` is the summed count below edge k; ``target_sum`` the target mean times
    the number of spatial bins. Returns the edge indices (decreasing) and the lower edges of
    the width-limited bins.
    """
    indices, limited = [high], []
    upper = high
    while upper > low:
        reach = np.searchsorted(cumulative, cumulative[upper] - target_sum, side="right") - 1
        widest = _lowest_edge_within(log_edges, upper, width)
        if reach >= low and reach >= widest:
            lower = int(reach)
        elif widest > low:
            lower = widest
            limited.append(lower)
        else:
            _close_remainder(indices, limited, log_edges, low, width)
            break
        indices.append(lower)
        upper = lower
    return np.array(indices), limited


def _close_remainder(indices, limited, log_edges, low, width):
    """Join the remainder [low, indices[-1]) to the merged bin above if the width allows."""
    if len(indices) > 1 and log_edges[indices[-2]] - log_edges[low] <= width:
        indices[-1] = low
        return
    if len(indices) > 1:
        limited.append(low)
    indices.append(low)


def _zero_run_edges(log_edges, start, stop, width, merge):
    """Edges of the empty bins [start, stop): each bin, or merged within the width."""
    if not merge:
        return np.arange(start, stop + 1)
    indices = [stop]
    while indices[-1] > start:
        indices.append(max(_lowest_edge_within(log_edges, indices[-1], width), start))
    return np.array(indices)


def _lowest_edge_within(log_edges, upper, width):
    """Lowest edge index whose bin up to edge ``upper`` is not wider than ``width``; at most
    ``upper - 1`` (a single bin is always allowed)."""
    lowest = int(np.searchsorted(log_edges, log_edges[upper] - width, side="left"))
    return min(lowest, upper - 1)


def _warn(prefix, energy_edges, indices, mean_counts, width_limited, target, max_width,
          log_edges):
    """Log the merged bins left below the target."""
    if width_limited.any():
        ranges = ", ".join(
            f"{_energy_range(energy_edges, indices[k], indices[k + 1])} (mean "
            f"{mean_counts[k]:.4g})" for k in np.flatnonzero(width_limited))
        narrowest_pair = np.min(log_edges[2:] - log_edges[:-2]) if len(log_edges) > 2 \
            else np.inf
        reason = (" (narrower than any two adjacent input bins: nothing can be merged)"
                  if narrowest_pair > max_width * (1 + WIDTH_RTOL) else "")
        log.warning("%sdynamic energy axis: the maximum log10 bin width %g%s stops %d bin(s) "
                    "below the target of %g counts per spatial bin: %s. Raise the maximum "
                    "width or lower the target statistics.", prefix, max_width, reason,
                    int(width_limited.sum()), target, ranges)
    filled = mean_counts > 0
    if np.count_nonzero(filled) == 1 and mean_counts[filled][0] < target:
        k = int(np.flatnonzero(filled)[0])
        log.warning("%sdynamic energy axis: all events, %s, hold a mean of %.4g counts per "
                    "spatial bin, below the target of %g; they form one bin. Lower the target "
                    "statistics or add runs.", prefix,
                    _energy_range(energy_edges, indices[k], indices[k + 1]), mean_counts[k],
                    target)


def _energy_range(energy_edges, lower, upper):
    """'a-b TeV' for the bins between edge indices ``lower`` and ``upper``."""
    return f"{energy_edges[lower]:.4g}-{energy_edges[upper]:.4g} TeV"


def _energy_totals(counts, spatial_mask):
    """Counts per energy bin summed over the selected spatial bins, and their number."""
    flat = counts.reshape(counts.shape[0], -1)
    if spatial_mask is None:
        return flat.sum(axis=1), flat.shape[1]
    mask = np.asarray(spatial_mask)
    if mask.dtype != bool or mask.shape != counts.shape[1:] or not mask.any():
        raise BaccmodValueError(
            f"spatial_mask must be a boolean array of the spatial shape of counts "
            f"{counts.shape[1:]} with at least one True bin; got dtype {mask.dtype}, shape "
            f"{mask.shape}, {int(np.count_nonzero(mask))} True. Pass None to average over all "
            "spatial bins.")
    return flat[:, mask.ravel()].sum(axis=1), int(np.count_nonzero(mask))


def _checked_counts_and_edges(counts, energy_edges):
    """``counts`` and ``energy_edges`` as float arrays, or BaccmodValueError."""
    edges = np.asarray(energy_edges, dtype=float)
    if (edges.ndim != 1 or edges.size < 2 or not np.all(np.isfinite(edges))
            or edges[0] <= 0 or np.any(np.diff(edges) <= 0)):
        raise BaccmodValueError(
            f"energy_edges must be at least two positive, finite, strictly increasing "
            f"energies (TeV); got {edges!r}. Give the edges of the computation energy axis.")
    counts = np.asarray(counts, dtype=float)
    if counts.ndim < 1 or counts.shape[0] != edges.size - 1:
        raise BaccmodValueError(
            f"counts must have shape (n_energy, *spatial) with n_energy = {edges.size - 1} "
            f"(one less than the energy edges); got shape {counts.shape}. Put the energy "
            "axis first.")
    if not np.all(np.isfinite(counts)) or np.any(counts < 0):
        raise BaccmodValueError("counts must be finite and non-negative; got "
                                f"{np.count_nonzero(~np.isfinite(counts) | (counts < 0))} bad "
                                "values. Check how the counts were filled.")
    return counts, edges


def _checked_positive(name, value, allow_inf):
    """``value`` as a float > 0 (finite unless ``allow_inf``), or a Baccmod error."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
        raise BaccmodTypeError(f"{name} must be a number; got {value!r}.")
    value = float(value)
    if not value > 0 or (np.isinf(value) and not allow_inf):
        limit = "positive" if allow_inf else "positive and finite"
        raise BaccmodValueError(f"{name} must be {limit}; got {value}. Give a value > 0.")
    return value


def _check_flag(name, flag):
    """BaccmodTypeError unless ``flag`` is a bool."""
    if not isinstance(flag, (bool, np.bool_)):
        raise BaccmodTypeError(f"{name} must be True or False, not {flag!r}.")
