"""Public creators of stacked background models (BAccMod-compatible names).

``RadialAcceptanceMapCreator`` builds a ``Background2D`` (energy x offset);
``Grid3DAcceptanceMapCreator`` a ``Background3D`` (energy x fov_lon x fov_lat, AltAz-aligned).
Both read each run once into arrays (``baccmod.adapters``), accumulate counts and exposure in
``baccmod.core`` and wrap the rate into a gammapy IRF. See ``baccmod.core.rate`` for the
definitions.
"""
import logging
import numbers

import numpy as np
from astropy import units as u

from .adapters.exclusion import excluded_areas
from .adapters.irf import background_2d, background_3d, fov_axes
from .adapters.observation import run_arrays
from .core.model import TEV_TO_MEV, GridAccumulator, RadialAccumulator, model_rate
from .errors import BaccmodTypeError, BaccmodValueError
from .progress import progress

log = logging.getLogger(__name__)

#: Options of BAccMod that belong to features not built yet, with their neutral values.
_NOT_YET_IMPLEMENTED = {
    "dynamic_energy_axis": False,
    "dynamic_energy_axis_target_statistics": 500,
    "dynamic_energy_axis_maximum_wideness_bin": 0.5,
    "dynamic_energy_axis_merge_zeros_low_energy": False,
    "dynamic_energy_axis_merge_zeros_high_energy": False,
    "cos_zenith_binning_method": "min_livetime",
    "cos_zenith_binning_parameter_value": 3600,
    "initial_cos_zenith_binning": 0.01,
    "max_angular_separation_wobble": 0.4 * u.deg,
    "zenith_binning_run_splitting": False,
    "use_mini_irf_computation": False,
    "mini_irf_time_resolution": 1.0 * u.min,
    "azimuth_east_west_splitting": False,
    "interpolation_zenith_type": "linear",
    "interpolation_type": "linear",
    "activate_interpolation_zenith_cleaning": False,
    "activate_interpolation_cleaning": False,
    "interpolation_cleaning_energy_relative_threshold": 1e-4,
    "interpolation_cleaning_spatial_relative_threshold": 1e-2,
    "min_run_per_cos_zenith_bin": None,
    "verbose": False,
    "method": "stack",
    "fit_fnc": "gaussian2d",
    "fit_seeds": None,
    "fit_bounds": None,
}


def _same(value, default):
    try:
        return bool(np.all(value == default))
    except Exception:
        return False


class _AcceptanceMapCreator:
    """Shared validation and orchestration of the creators."""

    def __init__(self, energy_axis, offset_axis, oversample_map=10, energy_axis_computation=None,
                 exclude_regions=None, location=None, max_fraction_pixel_rotation_fov=0.5,
                 time_resolution=0.1 * u.s, **options):
        for name, value in options.items():
            if name not in _NOT_YET_IMPLEMENTED:
                raise BaccmodTypeError(f"unknown option {name!r} for {type(self).__name__}.")
            if not _same(value, _NOT_YET_IMPLEMENTED[name]):
                raise NotImplementedError(
                    f"option {name}={value!r} is not implemented yet in baccmod; leave it at "
                    f"its default ({_NOT_YET_IMPLEMENTED[name]!r}).")
        self.energy_axis = _check_energy_axis(energy_axis, "energy_axis")
        self.energy_axis_computation = (
            self.energy_axis if energy_axis_computation is None
            else _check_energy_axis(energy_axis_computation, "energy_axis_computation"))
        _check_covers(self.energy_axis_computation, self.energy_axis)
        self.offset_axis = self._check_offset_axis(offset_axis)
        if isinstance(oversample_map, bool) or not isinstance(oversample_map, numbers.Integral) \
                or oversample_map < 1:
            raise BaccmodValueError(f"oversample_map must be an integer >= 1, got "
                                    f"{oversample_map!r}.")
        self.oversample_map = int(oversample_map)
        self.exclude_regions = exclude_regions
        self._areas = excluded_areas(exclude_regions)
        self.location = location
        if not 0 < float(max_fraction_pixel_rotation_fov) <= 1:
            raise BaccmodValueError("max_fraction_pixel_rotation_fov must be in (0, 1].")
        self.max_fraction_pixel_rotation_fov = float(max_fraction_pixel_rotation_fov)
        self.time_resolution = u.Quantity(time_resolution, u.s)
        self.counts = None
        self.exposure = None
        self.livetime = None

    @staticmethod
    def _check_offset_axis(axis):
        _check_axis_type(axis, "offset_axis")
        if not axis.unit.is_equivalent(u.deg):
            raise BaccmodValueError(f"offset_axis must have angular units, not {axis.unit}.")
        if not np.isclose(axis.edges[0].to_value(u.deg), 0.0, atol=1e-9):
            raise BaccmodValueError(f"offset_axis must start at 0, it starts at "
                                    f"{axis.edges[0]}.")
        return axis

    def create_acceptance_map(self, observations):
        """Build the model from the runs (a gammapy ``Observations`` or iterable of them)."""
        observations = list(observations) if observations is not None else []
        if not observations:
            raise BaccmodValueError("no observations given: pass at least one run.")
        accumulator = self._accumulator()
        for obs in progress(observations, desc="runs"):
            accumulator.add(self._read(obs), self._areas)
        cube = accumulator.result()
        rate = model_rate(cube, self.energy_axis.edges.to_value(u.TeV))
        de_mev = np.diff(self.energy_axis.edges.to_value(u.TeV)) * TEV_TO_MEV
        self.counts = cube.counts
        self.livetime = cube.livetime * u.s
        self.exposure = de_mev.reshape((-1,) + (1,) * accumulator.spatial_exposure.ndim) \
            * accumulator.spatial_exposure
        return self._wrap(rate)

    def create_model(self, observations):
        """BAccMod 0.4 name of :meth:`create_acceptance_map`."""
        return self.create_acceptance_map(observations)

    def _energy_edges(self):
        return self.energy_axis_computation.edges.to_value(u.TeV)

    def _offset_edges(self):
        return self.offset_axis.edges.to_value(u.rad)


class RadialAcceptanceMapCreator(_AcceptanceMapCreator):
    """Radial (energy x offset) background model from runs, as a gammapy ``Background2D``.

    Parameters
    ----------
    energy_axis : gammapy.maps.MapAxis
        Energy axis of the model (named ``energy``).
    offset_axis : gammapy.maps.MapAxis
        Offset axis, starting at 0.
    oversample_map : int
        Sub-bins per bin side used to integrate the unexcluded fraction.
    energy_axis_computation : gammapy.maps.MapAxis, optional
        Compute on this (possibly irregular) energy axis, then interpolate the rate in log
        energy / log rate onto ``energy_axis``.
    exclude_regions : SkyRegion, WcsNDMap or list of them, optional
        Sky areas (e.g. gamma-ray sources) to exclude.
    location : astropy.coordinates.EarthLocation, optional
        Observatory site; by default read from each run.
    """

    def _accumulator(self):
        return RadialAccumulator(self._energy_edges(), self._offset_edges(), self.oversample_map)

    def _read(self, obs):
        return run_arrays(obs, self.location)

    def _wrap(self, rate):
        return background_2d(rate, self.energy_axis, self.offset_axis)


class Grid3DAcceptanceMapCreator(_AcceptanceMapCreator):
    """3D background model (energy x fov_lon x fov_lat, AltAz-aligned) as a ``Background3D``.

    The spatial axes mirror the offset axis: edges from -max to +max offset with the offset
    bin width. Parameters as :class:`RadialAcceptanceMapCreator`, plus
    ``max_fraction_pixel_rotation_fov``: the largest rotation of the field between time nodes
    of the exclusion integration, as a fraction of a sub-pixel at the corner of the grid.
    """

    @staticmethod
    def _check_offset_axis(axis):
        axis = _AcceptanceMapCreator._check_offset_axis(axis)
        widths = axis.edges[1:] - axis.edges[:-1]
        if not np.allclose(widths.to_value(u.deg), widths[0].to_value(u.deg), rtol=1e-6):
            raise BaccmodValueError("offset_axis must be regular for a 3D model: its bins "
                                    "define the fov_lon/fov_lat grid.")
        return axis

    def _accumulator(self):
        lon_axis, lat_axis = fov_axes(self.offset_axis)
        return GridAccumulator(self._energy_edges(), lon_axis.edges.to_value(u.rad),
                               lat_axis.edges.to_value(u.rad), self.oversample_map)

    def _read(self, obs):
        edges = self._offset_edges()
        sub_pixel = (edges[1] - edges[0]) / self.oversample_map
        corner = np.sqrt(2) * edges[-1]
        return run_arrays(obs, self.location, fov_edges=edges[-1], areas=self._areas,
                          rotation_limit=self.max_fraction_pixel_rotation_fov * sub_pixel / corner,
                          min_node_duration=self.time_resolution.to_value(u.s))

    def _wrap(self, rate):
        return background_3d(rate, self.energy_axis, *fov_axes(self.offset_axis))


def _check_axis_type(axis, name):
    if not (hasattr(axis, "edges") and hasattr(axis, "name")):
        raise BaccmodTypeError(f"{name} must be a gammapy MapAxis, not {type(axis).__name__}.")


def _check_energy_axis(axis, name):
    _check_axis_type(axis, name)
    if axis.name != "energy":
        raise BaccmodValueError(f"{name} must be named 'energy', not {axis.name!r} "
                                "(MapAxis.from_energy_bounds(..., name='energy')).")
    if not axis.unit.is_equivalent(u.TeV):
        raise BaccmodValueError(f"{name} must have energy units, not {axis.unit!r}.")
    if not np.all(axis.edges.value > 0):
        raise BaccmodValueError(f"{name} edges must be positive energies.")
    return axis


def _check_covers(computation, target):
    lo, hi = computation.edges[[0, -1]].to_value(u.TeV)
    t_lo, t_hi = target.edges[[0, -1]].to_value(u.TeV)
    if t_lo < lo * (1 - 1e-9) or t_hi > hi * (1 + 1e-9):
        raise BaccmodValueError("energy_axis_computation must cover energy_axis: "
                                f"[{lo}, {hi}] TeV does not contain [{t_lo}, {t_hi}] TeV.")
