"""Run-wise normalisation of a background model against the run's own counts.

With a free norm ``a`` and Poisson statistics, the likelihood of the counts ``n_i`` given the
prediction ``a mu_i`` is maximal at ``a = sum(n) / sum(mu)`` (what gammapy's
``FoVBackgroundMaker`` fits, here in closed form), with error ``sqrt(sum(n)) / sum(mu)``.
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


def predicted_counts(rate, energy_edges, spatial_exposure):
    """Counts a model predicts.

    Parameters
    ----------
    rate : ndarray, shape (n_energy, *spatial)
        s-1 MeV-1 sr-1.
    energy_edges : ndarray, shape (n_energy + 1,)
        TeV.
    spatial_exposure : ndarray, shape spatial
        s sr.
    """
    de_mev = np.diff(energy_edges) * TEV_TO_MEV
    spatial_exposure = np.asarray(spatial_exposure)
    return float(np.sum(rate * de_mev.reshape((-1,) + (1,) * spatial_exposure.ndim)
                        * spatial_exposure))


def runwise_norm(counts, predicted):
    """The maximum-likelihood norm ``counts / predicted`` (see module docstring)."""
    if counts > 0 and predicted > 0:
        return RunNorm(counts / predicted, np.sqrt(counts) / predicted, counts, predicted, True)
    return RunNorm(1.0, 0.0, counts, predicted, False)
