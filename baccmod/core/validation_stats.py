"""Numbers of a validation report, on plain arrays: ring sums, residuals, Gaussian fit.

Counts and predicted counts are summed in (energy, offset ring) bins; their agreement is
measured by the Poisson deviance (Baker & Cousins 1984),
``2 sum(mu - n + n ln(n / mu))``, which follows a chi2 law of as many degrees of freedom as
bins when the prediction is the truth (and, unlike Pearson's chi2, stays right for bins with
few counts).
"""
from dataclasses import dataclass

import numpy as np


def ring_sums(counts, predicted, keep, pixel_offset, offset_edges):
    """Counts and predicted counts summed per energy bin and offset ring.

    Parameters
    ----------
    counts, predicted : ndarray, shape (n_energy, ny, nx)
        Counts and predicted background counts per pixel.
    keep : ndarray of bool, shape (n_energy, ny, nx)
        Pixels to use (safe and outside the exclusions).
    pixel_offset : ndarray, shape (ny, nx)
        Distance of each pixel centre from the run's pointing, deg.
    offset_edges : ndarray, shape (n_ring + 1,)
        Ring edges, deg, increasing; a ring holds offsets in [low, high).

    Returns
    -------
    counts, predicted : ndarray, shape (n_energy, n_ring)
    """
    ring = np.digitize(pixel_offset, offset_edges) - 1
    n_ring = len(offset_edges) - 1
    inside = (ring >= 0) & (ring < n_ring)
    n_energy = counts.shape[0]
    index = (np.arange(n_energy)[:, None, None] * n_ring + ring[None]).astype(np.int64)
    use = keep & inside[None]
    size = n_energy * n_ring
    summed = [np.bincount(index[use], weights=values[use], minlength=size)
              for values in (counts, predicted)]
    return summed[0].reshape(n_energy, n_ring), summed[1].reshape(n_energy, n_ring)


@dataclass(frozen=True)
class Residuals:
    """Counts against predicted counts in a set of bins.

    Attributes
    ----------
    counts, predicted : ndarray, shape (n,)
    ratio, ratio_error : ndarray, shape (n,)
        counts / predicted and its Poisson error sqrt(predicted) / predicted (the error
        expected when the prediction is right); NaN-free: 0 where nothing is predicted.
    used : ndarray of bool, shape (n,)
        Bins with a positive prediction (the others are not in the deviance).
    deviance : float
        Poisson deviance summed over the used bins.
    dof : int
        Number of used bins.
    """
    counts: np.ndarray
    predicted: np.ndarray
    ratio: np.ndarray
    ratio_error: np.ndarray
    used: np.ndarray
    deviance: float
    dof: int

    @property
    def reduced(self):
        """Deviance per degree of freedom (0 when no bin is used)."""
        return self.deviance / self.dof if self.dof else 0.0


def residuals(counts, predicted):
    """Ratio, its error and the Poisson deviance of counts against predictions.

    Parameters
    ----------
    counts, predicted : array-like, shape (n,)

    Returns
    -------
    Residuals
    """
    counts = np.asarray(counts, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    used = predicted > 0
    safe = np.where(used, predicted, 1.0)
    ratio = np.where(used, counts / safe, 0.0)
    ratio_error = np.where(used, 1.0 / np.sqrt(safe), 0.0)
    return Residuals(counts, predicted, ratio, ratio_error, used,
                     poisson_deviance(counts[used], predicted[used]), int(used.sum()))


def poisson_deviance(counts, predicted):
    """2 sum(mu - n + n ln(n / mu)) over bins with mu > 0 (n ln n = 0 for n = 0)."""
    counts = np.asarray(counts, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    log_term = np.zeros_like(counts)
    positive = counts > 0
    log_term[positive] = counts[positive] * np.log(counts[positive] / predicted[positive])
    return float(2.0 * np.sum(predicted - counts + log_term))


def gaussian_fit(values):
    """Mean and width of the normal law that fits ``values`` best (maximum likelihood).

    Parameters
    ----------
    values : ndarray, shape (n,), n >= 2, finite

    Returns
    -------
    mean, width : float
    """
    values = np.asarray(values, dtype=float)
    return float(np.mean(values)), float(np.std(values))
