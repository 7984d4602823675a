"""Run-wise normalisation of a background model against the run's own counts.

With a free norm ``a`` and Poisson statistics, the likelihood of the counts ``n_i`` given the
prediction ``a mu_i`` is maximal at ``a = sum(n) / sum(mu)`` (what gammapy's
``FoVBackgroundMaker`` fits, here in closed form), with error ``sqrt(sum(n)) / sum(mu)``.

The prediction is the one gammapy makes when the model is a run's ``bkg`` IRF: the rate
integrated over each energy bin (:func:`energy_integrated_rate`: a power law through rates
interpolated log-log between bin centres) times the run's observation time (ontime, as
gammapy's ``MapDatasetMaker``) times the unexcluded solid angle. The normalised model
therefore reproduces the run's counts inside gammapy.
"""
from dataclasses import dataclass

import numpy as np

from .model import TEV_TO_MEV


@dataclass(frozen=True)
class RunNorm:
    """Norm of one run: value, Poisson error, observed and predicted counts; ``fitted`` is
    False when the run had no counts or no prediction (the norm is then kept at 1)."""
    norm: float
    error: float
    counts: float
    predicted: float
    fitted: bool


def predicted_counts(energy_integrated_rate, observation_time, solid_angle):
    """Counts a model predicts for a run.

    Parameters
    ----------
    energy_integrated_rate : ndarray, shape (n_energy, *spatial)
        The rate integrated over each energy bin, s-1 sr-1.
    observation_time : float
        s.
    solid_angle : ndarray, shape spatial
        Unexcluded solid angle of each bin in the fitted region, sr.
    """
    return float(observation_time * np.sum(energy_integrated_rate * solid_angle))


def runwise_norm(counts, predicted):
    """The maximum-likelihood norm ``counts / predicted`` (see module docstring)."""
    if counts > 0 and predicted > 0:
        return RunNorm(counts / predicted, np.sqrt(counts) / predicted, counts, predicted, True)
    return RunNorm(1.0, 0.0, counts, predicted, False)


def energy_integrated_rate(rate, energy_edges):
    """The rate integrated over each energy bin the way gammapy integrates a background IRF.

    gammapy reads a bin's value as the rate at the bin's log-centre, interpolates log(rate)
    linearly in log(energy) to the bin edges (extrapolating from the two outermost centres at
    the ends of the axis) and integrates the power law between the edge values. Edge values
    next to a zero rate are zero, as in gammapy. One guard where gammapy's arithmetic breaks
    down: extrapolating to an outer edge from a zero and a positive centre (gammapy returns
    up to ~1e150 there) uses the outer bin's own rate.

    Parameters
    ----------
    rate : ndarray, shape (n_energy, *spatial)
        s-1 MeV-1 sr-1, bin averages.
    energy_edges : ndarray, shape (n_energy + 1,)
        TeV.

    Returns
    -------
    ndarray, shape (n_energy, *spatial)
        s-1 sr-1.
    """
    rate = np.asarray(rate, dtype=float)
    edges = np.asarray(energy_edges, dtype=float)
    shape = (-1,) + (1,) * (rate.ndim - 1)
    log_e = np.log(edges).reshape(shape)
    log_c = 0.5 * (log_e[1:] + log_e[:-1])
    if rate.shape[0] == 1:
        return rate * (np.diff(edges) * TEV_TO_MEV).reshape(shape)
    edge_values = np.empty((edges.size,) + rate.shape[1:])
    edge_values[1:-1] = _log_line(rate[:-1], rate[1:], log_c[:-1], log_c[1:], log_e[1:-1])
    for edge, inner, outer in ((0, 1, 0), (-1, -2, -1)):
        value = _log_line(rate[inner], rate[outer], log_c[inner], log_c[outer], log_e[edge])
        one_zero = (rate[inner] <= 0) & (rate[outer] > 0)
        edge_values[edge] = np.where(one_zero, rate[outer], value)
    return _power_law_integral(edge_values[:-1], edge_values[1:], edges[:-1], edges[1:],
                               shape) * TEV_TO_MEV


def _log_line(y1, y2, x1, x2, x):
    """exp of the line through (x1, log y1), (x2, log y2) at x; 0 where y1 or y2 is 0."""
    positive = (y1 > 0) & (y2 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ly1, ly2 = np.log(np.where(positive, y1, 1.0)), np.log(np.where(positive, y2, 1.0))
        value = np.exp(ly1 + (ly2 - ly1) * (x - x1) / (x2 - x1))
    return np.where(positive, value, 0.0)


def _power_law_integral(v1, v2, e1, e2, shape):
    """Integral (TeV x rate unit) of the power law through (e1, v1), (e2, v2); 0 if v1 or v2 is 0."""
    e1, e2 = e1.reshape(shape), e2.reshape(shape)
    positive = (v1 > 0) & (v2 > 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        slope = np.log(np.where(positive, v2 / np.where(positive, v1, 1.0), 1.0)) / np.log(e2 / e1)
        exponent = slope + 1.0
        flat = np.abs(exponent) < 1e-9
        general = v1 * e1 / np.where(flat, 1.0, exponent) * ((e2 / e1) ** exponent - 1.0)
        integral = np.where(flat, v1 * e1 * np.log(e2 / e1), general)
    return np.where(positive, integral, 0.0)
