"""From a stacked cube of counts and exposure to the model's rate and its statistical error on
the model's energy axis.

The cube is summed on the computation energy axis. Its rate is estimated as it is (rate =
counts / exposure), on a dynamic energy axis (bins merged until they hold enough counts, see
:mod:`baccmod.core.energy_axis`), or by a fit (see :mod:`baccmod.fitting`); then the rate is
interpolated in log energy and log rate onto the model's energy axis
(:func:`baccmod.core.rate.interpolate_energy`) and its error follows the relative error of the
computation bin each model bin's centre falls in.
"""
from dataclasses import dataclass
from typing import Optional

import numpy as np
from astropy import units as u

from .core.energy_axis import dynamic_energy_edges
from .core.model import BackgroundCube
from .core.rate import interpolate_energy, interpolate_energy_error


@dataclass(frozen=True)
class DynamicEnergyAxis:
    """Options of the dynamic energy axis (BAccMod's ``dynamic_energy_axis_*``): merge
    computation bins from the highest energy down until each holds ``target_statistics``
    counts per spatial bin on average, no wider than ``maximum_wideness_bin`` in log10(E)."""
    target_statistics: float = 500
    maximum_wideness_bin: float = 0.5
    merge_zeros_low_energy: bool = False
    merge_zeros_high_energy: bool = False


@dataclass
class RateEstimate:
    """A model's rate before wrapping, with what it was computed from.

    Attributes
    ----------
    cube : BackgroundCube
        Counts, exposure (s MeV sr) and the counted rate on the computation energy axis
        actually used (the dynamic one when it applies).
    rate_computation, error_computation : ndarray, shape (n_computation, *spatial)
        The estimated rate and its statistical error on that axis, s-1 MeV-1 sr-1.
    rate, rate_error : ndarray, shape (n_energy, *spatial)
        The same on the model's energy axis.
    fit : object, optional
        The fit behind a fitted rate (see :mod:`baccmod.fitting`).
    """
    cube: BackgroundCube
    rate_computation: np.ndarray
    error_computation: np.ndarray
    rate: np.ndarray
    rate_error: np.ndarray
    fit: Optional[object] = None

    @property
    def energy_edges_computation(self):
        """Edges (TeV) of the computation energy axis actually used."""
        return self.cube.energy_edges


def estimate_rate(cube, energy_edges, geometry, dynamic=None, fit=None, context="model"):
    """The rate of a stacked cube on the model's energy binning.

    Parameters
    ----------
    cube : BackgroundCube
        On the computation energy axis.
    energy_edges : ndarray
        The model's energy edges, TeV.
    geometry : RadialGeometry or GridGeometry
        The spatial binning (bin centres for fits).
    dynamic : DynamicEnergyAxis, optional
        Merge computation bins first.
    fit : callable, optional
        ``fit(cube, geometry, context) -> (rate, rate_error, fit_result)`` on the cube's
        energy axis; the counted rate when None.
    context : str
        Names the model in warnings (e.g. "zenith bin 2").

    Returns
    -------
    RateEstimate
    """
    if dynamic is not None:
        merged = dynamic_energy_edges(
            cube.counts, cube.energy_edges, dynamic.target_statistics,
            dynamic.maximum_wideness_bin, dynamic.merge_zeros_low_energy,
            dynamic.merge_zeros_high_energy, spatial_mask=cube.exposed, context=context)
        cube = cube.rebinned(merged.edge_indices)
    result = None
    if fit is None:
        rate, error = cube.rate, cube.rate_error
    else:
        rate, error, result = fit(cube, geometry, context)
    target = interpolate_energy(rate, cube.energy_edges, energy_edges)
    target_error = interpolate_energy_error(error, rate, cube.energy_edges, energy_edges, target)
    return RateEstimate(cube, rate, error, target, target_error, result)


def energy_axis_of(edges_tev, like):
    """A gammapy energy MapAxis with ``edges_tev`` (TeV) in the unit of the axis ``like``."""
    from gammapy.maps import MapAxis
    return MapAxis.from_edges((np.asarray(edges_tev) * u.TeV).to(like.unit), name="energy",
                              interp=like.interp)
