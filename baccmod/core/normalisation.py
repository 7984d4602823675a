"""Run-wise normalisation of a background model against the run's own counts.

The prediction ``B_i`` in each energy bin ``i`` of the normalisation range is the one gammapy
makes when the model is a run's ``bkg`` IRF: the rate integrated over the bin
(:func:`energy_integrated_rate`: a power law through rates interpolated log-log between the
model's bin centres) times the run's observation time (ontime, as gammapy's
``MapDatasetMaker``) times the unexcluded solid angle. Two ways to match it to the counts
``n_i`` (Poisson likelihood, as gammapy's ``FoVBackgroundMaker``):

- ``"scale"`` (:func:`scale_norm`): ``mu_i = a B_i``; the maximum is ``a = sum(n) / sum(B)``,
  error ``sqrt(sum(n)) / sum(B)`` (gammapy's ``method="scale"``, here in closed form);
- ``"fit"`` (:func:`fit_norm_tilt`): ``mu_i = a B_i (E_i / E_ref)^-t`` with ``E_i`` the bin's
  log-centre and ``E_ref`` = :data:`REFERENCE_ENERGY_TEV` (gammapy's ``method="fit"`` with a
  ``PowerLawNormSpectralModel``, which it evaluates at the bin centres); errors from the
  inverse Hessian at the maximum.

The normalised model therefore reproduces the run's counts inside gammapy.
"""
from dataclasses import dataclass

import numpy as np

from .model import TEV_TO_MEV

#: Reference energy (TeV) of the tilt, gammapy's ``PowerLawNormSpectralModel`` default.
REFERENCE_ENERGY_TEV = 1.0
#: Normalisation methods.
METHODS = ("scale", "fit")
#: A fitted |tilt| above this means the likelihood has no maximum (e.g. all counts in one bin).
MAX_TILT = 10.0
_MAX_ITERATIONS = 100


@dataclass(frozen=True)
class RunNorm:
    """Norm (and tilt) of one run with their errors, the observed and predicted counts in
    the normalisation range (``predicted`` before normalisation); ``fitted`` is False when
    the run had no counts or no prediction (the norm is then kept at 1, the tilt at 0);
    ``method``: the method that gave the values."""
    norm: float
    error: float
    counts: float
    predicted: float
    fitted: bool
    tilt: float = 0.0
    tilt_error: float = 0.0
    method: str = "scale"


def predicted_counts(energy_integrated_rate, observation_time, solid_angle):
    """Counts a model predicts for a run in each energy bin.

    Parameters
    ----------
    energy_integrated_rate : ndarray, shape (n_energy, *spatial)
        The rate integrated over each energy bin, s-1 sr-1.
    observation_time : float
        s.
    solid_angle : ndarray, shape spatial
        Unexcluded solid angle of each bin in the fitted region, sr.

    Returns
    -------
    ndarray, shape (n_energy,)
    """
    product = energy_integrated_rate * solid_angle
    return observation_time * product.reshape(product.shape[0], -1).sum(axis=1)


def scale_norm(counts, predicted):
    """The maximum-likelihood norm ``sum(counts) / sum(predicted)`` (see module docstring).

    ``counts``, ``predicted``: per energy bin of the range (arrays of one shape) or totals.
    """
    n, mu = float(np.sum(counts)), float(np.sum(predicted))
    if n > 0 and mu > 0:
        return RunNorm(n / mu, np.sqrt(n) / mu, n, mu, True)
    return RunNorm(1.0, 0.0, n, mu, False)


def fit_norm_tilt(counts, predicted, energy_centres):
    """Norm and tilt maximising the Poisson likelihood of ``mu_i = a B_i (E_i/E_ref)^-t``.

    Newton steps in (log a, t), where the negative log-likelihood is convex, from the
    closed-form norm at t = 0. Returns None when the likelihood has no finite maximum (fewer
    than two energy bins with a prediction, no counts, or a tilt beyond :data:`MAX_TILT`,
    e.g. all counts in one bin): the caller falls back to :func:`scale_norm`.

    Parameters
    ----------
    counts, predicted : ndarray, shape (n_energy,)
        Observed counts and prediction ``B_i`` per energy bin.
    energy_centres : ndarray, shape (n_energy,)
        Log-centres of the bins, TeV.
    """
    n = np.asarray(counts, dtype=float)
    b = np.asarray(predicted, dtype=float)
    used = b > 0
    if np.count_nonzero(used) < 2 or n[used].sum() <= 0 or n[~used].sum() > 0:
        return None
    n, b = n[used], b[used]
    x = -np.log(np.asarray(energy_centres, dtype=float)[used] / REFERENCE_ENERGY_TEV)
    design = np.stack([np.ones_like(x), x], axis=1)  # d log(mu) / d (log a, t)
    theta = np.array([np.log(n.sum() / b.sum()), 0.0])
    for _ in range(_MAX_ITERATIONS):
        mu = b * np.exp(design @ theta)
        hessian = design.T @ (mu[:, None] * design)
        step = np.linalg.solve(hessian, design.T @ (n - mu))
        theta = _damped(theta, step, n, b, design)
        if np.max(np.abs(step)) < 1e-10 or abs(theta[1]) > MAX_TILT:
            break
    else:
        return None
    if abs(theta[1]) > MAX_TILT:
        return None
    mu = b * np.exp(design @ theta)
    covariance = np.linalg.inv(design.T @ (mu[:, None] * design))
    norm = float(np.exp(theta[0]))
    return RunNorm(norm, norm * float(np.sqrt(covariance[0, 0])), float(n.sum()),
                   float(b.sum()), True, float(theta[1]), float(np.sqrt(covariance[1, 1])),
                   "fit")


def _damped(theta, step, n, b, design):
    """theta + step, halved until the negative log-likelihood does not rise."""
    def nll(t):
        log_mu = np.log(b) + design @ t
        return float(np.sum(np.exp(log_mu) - n * log_mu))
    start = nll(theta)
    for _ in range(50):
        if nll(theta + step) <= start + 1e-12 * abs(start):
            break
        step = step / 2
    return theta + step


def tilt_factor(energies, tilt):
    """``(E / E_ref)^-tilt`` at ``energies`` (TeV)."""
    return (np.asarray(energies, dtype=float) / REFERENCE_ENERGY_TEV) ** -tilt


def norm_energy_edges(model_edges, low, high):
    """Edges (TeV) of the normalisation bins: the model's edges inside [low, high] with low
    and high themselves (edges within 1e-6 relative of them are taken as them); None when
    the range does not overlap the model's."""
    edges = np.asarray(model_edges, dtype=float)
    low, high = max(low, edges[0]), min(high, edges[-1])
    if not high > low * (1 + 1e-6):
        return None
    inner = edges[(edges > low * (1 + 1e-6)) & (edges < high * (1 - 1e-6))]
    return np.concatenate([[low], inner, [high]])


def bin_mean_integral(rate, model_edges, edges):
    """The rate's own bin averages integrated over ``edges`` (TeV), each of which lies in
    one model bin (see :func:`norm_energy_edges`); shape (len(edges) - 1, *spatial),
    s-1 sr-1."""
    centres = np.sqrt(edges[1:] * edges[:-1])
    index = np.clip(np.searchsorted(model_edges, centres) - 1, 0, len(model_edges) - 2)
    widths = (np.diff(edges) * TEV_TO_MEV).reshape((-1,) + (1,) * (np.ndim(rate) - 1))
    return np.asarray(rate)[index] * widths


def energy_integrated_rate(rate, energy_edges, integration_edges=None):
    """The rate integrated over energy bins the way gammapy integrates a background IRF.

    gammapy reads a model bin's value as the rate at the bin's log-centre, interpolates
    log(rate) linearly in log(energy) to the integration edges (extrapolating from the two
    outermost centres beyond them) and integrates the power law between the edge values.
    Edge values next to a zero rate are zero, as in gammapy. One guard where gammapy's
    arithmetic breaks down: extrapolating beyond the outermost centre from a zero and a
    positive centre (gammapy returns up to ~1e150 there) uses the outer bin's own rate.

    Parameters
    ----------
    rate : ndarray, shape (n_energy, *spatial)
        s-1 MeV-1 sr-1, bin averages.
    energy_edges : ndarray, shape (n_energy + 1,)
        The model's energy edges, TeV.
    integration_edges : ndarray, shape (n_bins + 1,), optional
        Edges (TeV, increasing) of the bins to integrate over (a dataset's energy axis);
        by default the model's.

    Returns
    -------
    ndarray, shape (n_bins, *spatial)
        s-1 sr-1.
    """
    rate = np.asarray(rate, dtype=float)
    edges = np.asarray(energy_edges, dtype=float)
    targets = edges if integration_edges is None else np.asarray(integration_edges, float)
    shape = (-1,) + (1,) * (rate.ndim - 1)
    if rate.shape[0] == 1:
        return rate * (np.diff(targets) * TEV_TO_MEV).reshape(shape)
    values = rate_at_energies(rate, edges, targets)
    return _power_law_integral(values[:-1], values[1:], targets[:-1], targets[1:],
                               shape) * TEV_TO_MEV


def rate_at_energies(rate, energy_edges, energies):
    """gammapy's reading of a rate (shape (n_energy >= 2, *spatial)) at ``energies`` (TeV):
    log-log between the model's bin centres, with the guard of
    :func:`energy_integrated_rate` beyond the outermost centres; shape
    (len(energies), *spatial)."""
    shape = (-1,) + (1,) * (rate.ndim - 1)
    log_edges = np.log(energy_edges)
    log_c = 0.5 * (log_edges[1:] + log_edges[:-1])
    log_e = np.log(np.asarray(energies, dtype=float))
    lower = np.clip(np.searchsorted(log_c, log_e, side="right") - 1, 0, log_c.size - 2)
    values = _log_line(rate[lower], rate[lower + 1], log_c[lower].reshape(shape),
                       log_c[lower + 1].reshape(shape), log_e.reshape(shape))
    for beyond, inner, outer in ((log_e < log_c[0], 1, 0), (log_e > log_c[-1], -2, -1)):
        one_zero = (rate[inner] <= 0) & (rate[outer] > 0)
        guarded = beyond.reshape(shape) & one_zero
        values = np.where(guarded, rate[outer], values)
    return values


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
