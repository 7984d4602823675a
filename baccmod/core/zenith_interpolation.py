"""Background rates between zenith bins: interpolation in cos(zenith) and cleaning.

Definitions
-----------
- models are known at nodes ``cos(zenith_i)``; the rate at another ``cos(zenith)`` lies on the
  straight line through the two neighbouring nodes, or, beyond the outermost nodes, through
  the two outermost nodes (linear extrapolation);
- ``kind="linear"`` draws that line through the rates, ``kind="log"`` through
  ``log10(rate + log_offset)`` (BAccMod's convention);
- cleaning sets to zero the bins of an interpolated rate whose value is not supported by
  their neighbours in energy and in space (see :func:`clean_interpolated_rate`).
"""
import numpy as np

from ..errors import BaccmodValueError

#: Smallest positive double, added before taking log10 of rates (BAccMod's convention).
TINY = np.finfo(np.float64).tiny

#: Names accepted for the ``kind`` of interpolation.
INTERPOLATION_KINDS = ("linear", "log")

#: Largest number of cleaning passes of :func:`clean_interpolated_rate`.
MAX_CLEANING_PASSES = 50

_LARGEST = np.finfo(np.float64).max


def check_interpolation_kind(kind, name="kind"):
    """Return ``kind`` if it is one of :data:`INTERPOLATION_KINDS`, else raise."""
    if not isinstance(kind, str) or kind not in INTERPOLATION_KINDS:
        raise BaccmodValueError(f"{name} must be one of "
                                f"{', '.join(repr(k) for k in INTERPOLATION_KINDS)}, "
                                f"got {kind!r}.")
    return kind


def interpolate_cos_zenith(rates, cos_zenith_nodes, cos_zenith, kind="linear", log_offset=TINY):
    """Rate at ``cos_zenith``, linear in cos(zenith) between the models of the nodes.

    Parameters
    ----------
    rates : ndarray, shape (n_model, ...)
        Rates of the models (s-1 MeV-1 sr-1), any trailing shape.
    cos_zenith_nodes : ndarray, shape (n_model,)
        cos(zenith) of each model, distinct, in any order.
    cos_zenith : float
        cos(zenith) at which the rate is wanted.
    kind : {"linear", "log"}
        "linear": the rates are interpolated, negative results are set to 0.
        "log": ``log10(rate + log_offset)`` is interpolated and the result is ``10**x``;
        results below ``100 * log_offset`` are set to 0, so bins that are zero in both
        neighbouring models stay exactly zero. When extrapolating, bins that are zero in
        one of the two outermost models take the nearer model's value (the line through
        ``log10(log_offset)`` would give meaningless, huge rates).
    log_offset : float
        Positive offset added to the rates before taking log10 (kind "log").

    Returns
    -------
    rate : ndarray, shape ``rates.shape[1:]``
        A new array. Beyond the outermost nodes the line through the two outermost nodes is
        extrapolated. At a node, or with a single model, the rates of that model are returned
        unchanged (copied). Results never exceed the largest double, so they are finite for
        finite input.
    """
    rates = np.asarray(rates, dtype=float)
    low, high, weight = _neighbours(rates, cos_zenith_nodes, cos_zenith, kind, log_offset)
    if low == high:
        return rates[low].copy()
    if kind == "linear":
        rate = _along_line(rates[low], rates[high], weight)
        return np.clip(rate, 0.0, _LARGEST)
    log_rate = _along_line(np.log10(rates[low] + log_offset),
                           np.log10(rates[high] + log_offset), weight)
    with np.errstate(over="ignore", under="ignore"):
        rate = np.minimum(10.0 ** log_rate, _LARGEST)
    rate[rate < 100 * log_offset] = 0.0
    if not 0.0 <= weight <= 1.0:
        # beside a zero bin the log line is steep without meaning: keep the nearer node
        one_zero = _one_zero(rates[low], rates[high])
        rate[one_zero] = rates[_nearer(low, high, weight)][one_zero]
    return rate


def interpolate_cos_zenith_error(rates, errors, cos_zenith_nodes, cos_zenith, kind="linear",
                                 log_offset=TINY):
    """Statistical error of :func:`interpolate_cos_zenith` from the errors of the models.

    The models are taken as independent (they are built from different events). With the
    weight w of the upper neighbouring node (outside [0, 1] when extrapolating):

    - ``kind="linear"``: ``sqrt(((1 - w) e_low)**2 + (w e_high)**2)``;
    - ``kind="log"``: the interpolated rate times
      ``sqrt(((1 - w) e_low / (r_low + log_offset))**2 + (w e_high / (r_high + log_offset))**2)``
      where both neighbouring rates and the result are positive; elsewhere the linear
      formula, except where an extrapolation keeps the nearer node's rate (one neighbour is
      zero): there the nearer node's error.

    At a node, or with a single model, that model's errors (copied). Cleaning (see
    :func:`clean_interpolated_rate`) leaves the errors as they are.

    Parameters
    ----------
    rates, errors : ndarray, shape (n_model, ...)
        Rates of the models and their errors (same unit, errors >= 0).
    cos_zenith_nodes, cos_zenith, kind, log_offset
        As for :func:`interpolate_cos_zenith`.

    Returns
    -------
    error : ndarray, shape ``rates.shape[1:]``
    """
    rates = np.asarray(rates, dtype=float)
    errors = np.asarray(errors, dtype=float)
    low, high, weight = _neighbours(rates, cos_zenith_nodes, cos_zenith, kind, log_offset)
    if low == high:
        return errors[low].copy()
    error = np.hypot((1 - weight) * errors[low], weight * errors[high])
    if kind == "linear":
        return error
    rate = interpolate_cos_zenith(rates, cos_zenith_nodes, cos_zenith, kind, log_offset)
    positive = (rates[low] > 0) & (rates[high] > 0) & (rate > 0)
    relative = np.hypot((1 - weight) * errors[low][positive] / (rates[low][positive] + log_offset),
                        weight * errors[high][positive] / (rates[high][positive] + log_offset))
    error[positive] = np.minimum(rate[positive] * relative, _LARGEST)
    if not 0.0 <= weight <= 1.0:
        one_zero = _one_zero(rates[low], rates[high])
        error[one_zero] = errors[_nearer(low, high, weight)][one_zero]
    return error


def _neighbours(rates, cos_zenith_nodes, cos_zenith, kind, log_offset):
    """Indices (into ``rates``) of the lower and upper nodes around ``cos_zenith`` and the
    weight of the upper one; the same index twice (weight 0) at a node or with one model."""
    check_interpolation_kind(kind)
    nodes = _check_nodes(cos_zenith_nodes, rates.shape[0])
    cos_zenith = float(cos_zenith)
    if not np.isfinite(cos_zenith):
        raise BaccmodValueError(f"cos_zenith must be finite, got {cos_zenith}.")
    if not (np.isfinite(log_offset) and log_offset > 0):
        raise BaccmodValueError(f"log_offset must be a positive number, got {log_offset}.")
    at_node = np.flatnonzero(nodes == cos_zenith)
    if nodes.size == 1 or at_node.size:
        index = int(at_node[0]) if at_node.size else 0
        return index, index, 0.0
    order = np.argsort(nodes)
    lower = int(np.clip(np.searchsorted(nodes[order], cos_zenith) - 1, 0, nodes.size - 2))
    low, high = int(order[lower]), int(order[lower + 1])
    return low, high, (cos_zenith - nodes[low]) / (nodes[high] - nodes[low])


def _nearer(low, high, weight):
    """The node an extrapolation beyond it (weight < 0 or > 1) is nearer to."""
    return low if weight < 0 else high


def _one_zero(rate_low, rate_high):
    return (rate_low <= 0) | (rate_high <= 0)


def clean_interpolated_rate(rate, energy_threshold=1e-4, spatial_threshold=1e-2):
    """Set to zero the bins of an interpolated rate that their neighbours do not support.

    A bin with value v > 0 is *supported in energy* if at least one of its energy neighbours
    (index -1 or +1 on axis 0) has a value w with
    ``energy_threshold * v <= w <= v / energy_threshold``. It is *supported in space* if at
    least ``needed`` of its spatial neighbours have a value w with
    ``spatial_threshold * v <= w <= v / spatial_threshold``: for a radial rate the offset
    neighbours (index -1 and +1), ``needed = 1``; for a 3D rate the 4 edge-sharing neighbours
    in (lon, lat), ``needed = 2``. Bins not supported in energy or not supported in space are
    set to 0. As a zeroed bin supports nothing, passes are repeated until no bin changes, at
    most :data:`MAX_CLEANING_PASSES` (50) times. With a single energy bin the energy condition
    is skipped; with a single spatial bin the spatial condition is skipped. Bins <= 0 are left
    as they are.

    Parameters
    ----------
    rate : ndarray, shape (n_energy, n_offset) or (n_energy, n_lon, n_lat)
        Rate (s-1 MeV-1 sr-1).
    energy_threshold, spatial_threshold : float
        Relative thresholds, in (0, 1].

    Returns
    -------
    rate : ndarray
        The cleaned copy, same shape.
    """
    rate = np.array(rate, dtype=float, copy=True)
    if rate.ndim not in (2, 3):
        raise BaccmodValueError(f"rate must have 2 (energy, offset) or 3 (energy, lon, lat) "
                                f"dimensions, got shape {rate.shape}.")
    for name, threshold in (("energy_threshold", energy_threshold),
                            ("spatial_threshold", spatial_threshold)):
        if not 0 < threshold <= 1:
            raise BaccmodValueError(f"{name} must be in (0, 1], got {threshold}.")
    for _ in range(MAX_CLEANING_PASSES):
        unsupported = _unsupported_bins(rate, energy_threshold, spatial_threshold)
        if not unsupported.any():
            break
        rate[unsupported] = 0.0
    return rate


def _check_nodes(cos_zenith_nodes, n_model):
    """The nodes as a float array, checked against the number of models."""
    nodes = np.asarray(cos_zenith_nodes, dtype=float).ravel()
    if nodes.size != n_model or n_model == 0:
        raise BaccmodValueError(f"need one cos(zenith) node per model and at least one model, "
                                f"got {nodes.size} nodes for {n_model} models.")
    if not np.all(np.isfinite(nodes)):
        raise BaccmodValueError(f"cos(zenith) nodes must be finite, got {nodes}.")
    if np.unique(nodes).size != nodes.size:
        raise BaccmodValueError(f"cos(zenith) nodes must be distinct, got {nodes}.")
    return nodes


def _along_line(lower, upper, weight):
    """``lower + weight * (upper - lower)``, equal to ``lower`` where both ends are equal."""
    with np.errstate(over="ignore", invalid="ignore"):
        values = lower + weight * (upper - lower)
    return np.where(upper == lower, lower, values)


def _unsupported_bins(rate, energy_threshold, spatial_threshold):
    """Boolean mask of the positive bins failing one pass of the cleaning criteria."""
    spatial_axes = tuple(range(1, rate.ndim))
    needed = 1 if rate.ndim == 2 else 2
    supported = rate > 0
    if rate.shape[0] > 1:
        supported &= _supporting_neighbours(rate, (0,), energy_threshold) >= 1
    if np.prod(rate.shape[1:]) > 1:
        supported &= _supporting_neighbours(rate, spatial_axes, spatial_threshold) >= needed
    return (rate > 0) & ~supported


def _supporting_neighbours(rate, axes, threshold):
    """Per bin, the number of neighbours along ``axes`` (index -1 and +1) within a factor.

    A neighbour of value w supports a bin of value v if w > 0 and
    ``threshold * v <= w <= v / threshold``; neighbours outside the grid do not exist.
    """
    count = np.zeros(rate.shape, dtype=int)
    for axis in axes:
        for step in (-1, 1):
            neighbour = _shifted(rate, axis, step)
            count += (neighbour > 0) & (neighbour >= threshold * rate) \
                & (neighbour * threshold <= rate)
    return count


def _shifted(values, axis, step):
    """``out[i] = values[i + step]`` along ``axis``, 0 where ``i + step`` is outside."""
    out = np.zeros_like(values)
    n = values.shape[axis]
    source = [slice(None)] * values.ndim
    target = [slice(None)] * values.ndim
    source[axis] = slice(max(step, 0), n + min(step, 0))
    target[axis] = slice(max(-step, 0), n + min(-step, 0))
    out[tuple(target)] = values[tuple(source)]
    return out
