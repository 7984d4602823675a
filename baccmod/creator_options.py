"""The creators' options: checked before any work, then turned into a
:class:`~baccmod.build.ModelSpec`.

Every check names the option, what it got and what it expects (see :mod:`baccmod.options`).
"""
import numpy as np
from astropy import units as u

from .adapters.exclusion import excluded_areas
from .build import ModelSpec, RunwiseNormalisation, ZenithBinning
from .collection import BackgroundCollectionZenith
from .core.binned import BINNING_METHODS, check_binning_method
from .core.fov import EARTH_ROTATION_RATE
from .core.model import RATE_PER
from .core.normalisation import METHODS as NORM_METHODS
from .core.zenith_interpolation import check_interpolation_kind
from .errors import BaccmodTypeError, BaccmodValueError
from .estimate import DynamicEnergyAxis
from .limits import MAX_PIECES_PER_RUN, check_fine_bin_width, check_pieces_per_hour
from .options import check_flag, check_location, check_number, check_quantity

#: Seed names of options -> their BAccMod 0.4 names.
ALIASES = {"interpolation_type": "interpolation_zenith_type",
           "activate_interpolation_cleaning": "activate_interpolation_zenith_cleaning"}

_FLAGS = ("zenith_binning_run_splitting", "use_mini_irf_computation",
          "azimuth_east_west_splitting", "activate_interpolation_zenith_cleaning", "verbose",
          "dynamic_energy_axis", "dynamic_energy_axis_merge_zeros_low_energy",
          "dynamic_energy_axis_merge_zeros_high_energy", "add_intermediary_output")


def checked_options(options, regular_offset_axis):
    """The creator's options (a dict of its arguments) checked and normalised; raises a
    BaccmodTypeError or BaccmodValueError naming the first bad one."""
    o = dict(options)
    for alias, name in ALIASES.items():
        if alias in o:
            o[name] = o.pop(alias)
    o["energy_axis"] = check_energy_axis(o["energy_axis"], "energy_axis")
    computation = o["energy_axis_computation"]
    o["energy_axis_computation"] = o["energy_axis"] if computation is None \
        else check_energy_axis(computation, "energy_axis_computation")
    _check_covers(o["energy_axis_computation"], o["energy_axis"])
    o["offset_axis"] = check_offset_axis(o["offset_axis"], regular_offset_axis)
    o["oversample_map"] = check_number(o["oversample_map"], "oversample_map", low=1,
                                       low_open=False, integer=True)
    if o["exclude_regions"] is None:
        o["exclude_regions"] = []
    o["location"] = check_location(o["location"])
    o["max_fraction_pixel_rotation_fov"] = check_number(
        o["max_fraction_pixel_rotation_fov"], "max_fraction_pixel_rotation_fov", low=0.0,
        high=1.0, high_open=False)
    o["time_resolution"] = check_quantity(o["time_resolution"], "time_resolution", u.s,
                                          "0.1 * u.s")
    if o.get("min_run_per_cos_zenith_bin") is not None:
        o["cos_zenith_binning_method"] = "min_n_observation"
        o["cos_zenith_binning_parameter_value"] = o["min_run_per_cos_zenith_bin"]
    o["cos_zenith_binning_method"] = _check_method(o["cos_zenith_binning_method"])
    o["cos_zenith_binning_parameter_value"] = _check_threshold(
        o["cos_zenith_binning_parameter_value"], o["cos_zenith_binning_method"])
    o["initial_cos_zenith_binning"] = check_fine_bin_width(check_number(
        o["initial_cos_zenith_binning"], "initial_cos_zenith_binning", low=0.0, high=1.0))
    o["max_angular_separation_wobble"] = check_quantity(
        o["max_angular_separation_wobble"], "max_angular_separation_wobble", u.deg,
        "0.4 * u.deg")
    o["mini_irf_time_resolution"] = check_quantity(
        o["mini_irf_time_resolution"], "mini_irf_time_resolution", u.s, "1 * u.min")
    o["interpolation_zenith_type"] = check_interpolation_kind(o["interpolation_zenith_type"],
                                                              "interpolation_zenith_type")
    for name in _FLAGS:
        if name in o:
            o[name] = check_flag(o[name], name)
    o["dynamic_energy_axis_target_statistics"] = check_number(
        o["dynamic_energy_axis_target_statistics"], "dynamic_energy_axis_target_statistics",
        low=0.0)
    o["dynamic_energy_axis_maximum_wideness_bin"] = check_number(
        o["dynamic_energy_axis_maximum_wideness_bin"],
        "dynamic_energy_axis_maximum_wideness_bin", low=0.0)
    o["runwise_normalisation_method"] = _check_norm_method(o["runwise_normalisation_method"])
    o["runwise_normalisation_energy_range"] = _check_norm_range(
        o["runwise_normalisation_energy_range"], o["energy_axis"])
    o["rate_per"] = _check_choice(o["rate_per"], "rate_per", RATE_PER)
    BackgroundCollectionZenith(**collection_settings(o))  # the collections check their own
    _check_work_limits(o)
    return o


def model_spec(options, geometry, fit=None):
    """The :class:`~baccmod.build.ModelSpec` of checked options."""
    dynamic = None
    if options["dynamic_energy_axis"]:
        dynamic = DynamicEnergyAxis(
            options["dynamic_energy_axis_target_statistics"],
            options["dynamic_energy_axis_maximum_wideness_bin"],
            options["dynamic_energy_axis_merge_zeros_low_energy"],
            options["dynamic_energy_axis_merge_zeros_high_energy"])
    zenith = ZenithBinning(
        options["cos_zenith_binning_method"], options["cos_zenith_binning_parameter_value"],
        options["initial_cos_zenith_binning"],
        options["max_angular_separation_wobble"].to_value(u.rad),
        options["zenith_binning_run_splitting"], options["azimuth_east_west_splitting"])
    mini_irf = options["mini_irf_time_resolution"].to_value(u.s) \
        if options["use_mini_irf_computation"] else None
    spec = ModelSpec(geometry, options["energy_axis"], options["energy_axis_computation"],
                     tuple(excluded_areas(options["exclude_regions"])), options["location"],
                     zenith, collection_settings(options), mini_irf, dynamic, fit,
                     intermediary_output=options.get("add_intermediary_output", False),
                     norm=RunwiseNormalisation(_range_tev(options),
                                               options["runwise_normalisation_method"]),
                     rate_per=options["rate_per"])
    geometry.check_sub_pixels(spec.areas)
    return spec


def collection_settings(options):
    """Interpolation settings of the zenith collections a creator builds."""
    return dict(
        interpolation_type=options["interpolation_zenith_type"],
        activate_interpolation_cleaning=options["activate_interpolation_zenith_cleaning"],
        interpolation_cleaning_energy_relative_threshold=(
            options["interpolation_cleaning_energy_relative_threshold"]),
        interpolation_cleaning_spatial_relative_threshold=(
            options["interpolation_cleaning_spatial_relative_threshold"]))


def _check_work_limits(o):
    """Refuse options whose work exceeds :mod:`baccmod.limits` whatever the runs."""
    if o["use_mini_irf_computation"]:
        resolution = o["mini_irf_time_resolution"]
        check_pieces_per_hour(
            3600.0 / resolution.to_value(u.s),
            f"use_mini_irf_computation with mini_irf_time_resolution={resolution:g}",
            f"raise mini_irf_time_resolution to at least {3600.0 / MAX_PIECES_PER_RUN:g} s")
    if o["zenith_binning_run_splitting"]:
        width = o["initial_cos_zenith_binning"]
        # cos(zenith) of a tracked pointing changes by at most the Earth rotation rate
        check_pieces_per_hour(
            EARTH_ROTATION_RATE * 3600.0 / width + 1,
            f"zenith_binning_run_splitting with initial_cos_zenith_binning={width}",
            "raise initial_cos_zenith_binning to at least "
            f"{EARTH_ROTATION_RATE * 3600.0 / (MAX_PIECES_PER_RUN - 1):.2g}")


def check_energy_axis(axis, name):
    _check_axis_type(axis, name)
    if axis.name != "energy":
        raise BaccmodValueError(f"{name} must be named 'energy', not {axis.name!r} "
                                "(MapAxis.from_energy_bounds(..., name='energy')).")
    if not axis.unit.is_equivalent(u.TeV):
        raise BaccmodValueError(f"{name} must have energy units, not {axis.unit!r}.")
    if not np.all(axis.edges.value > 0):
        raise BaccmodValueError(f"{name} edges must be positive energies.")
    return axis


def check_offset_axis(axis, regular):
    """An offset axis in angle units starting at 0 (``regular``: equal bins, for 3D grids)."""
    _check_axis_type(axis, "offset_axis")
    if not axis.unit.is_equivalent(u.deg):
        raise BaccmodValueError(f"offset_axis must have angular units, not {axis.unit}.")
    if not np.isclose(axis.edges[0].to_value(u.deg), 0.0, atol=1e-9):
        raise BaccmodValueError(f"offset_axis must start at 0, it starts at "
                                f"{axis.edges[0]}.")
    widths = (axis.edges[1:] - axis.edges[:-1]).to_value(u.deg)
    if regular and not np.allclose(widths, widths[0], rtol=1e-6):
        raise BaccmodValueError("offset_axis must be regular for a 3D model: its bins "
                                "define the fov_lon/fov_lat grid.")
    return axis


def _check_axis_type(axis, name):
    if not (hasattr(axis, "edges") and hasattr(axis, "name")):
        raise BaccmodTypeError(f"{name} must be a gammapy MapAxis, not {type(axis).__name__}.")


def _check_covers(computation, target):
    lo, hi = computation.edges[[0, -1]].to_value(u.TeV)
    t_lo, t_hi = target.edges[[0, -1]].to_value(u.TeV)
    if t_lo < lo * (1 - 1e-9) or t_hi > hi * (1 + 1e-9):
        raise BaccmodValueError("energy_axis_computation must cover energy_axis: "
                                f"[{lo}, {hi}] TeV does not contain [{t_lo}, {t_hi}] TeV.")


def _check_method(method):
    if not isinstance(method, str):
        raise BaccmodTypeError("cos_zenith_binning_method must be a string (one of "
                               f"{', '.join(BINNING_METHODS)}), got {method!r}.")
    return check_binning_method(method)


def _check_threshold(value, method):
    """cos_zenith_binning_parameter_value: a livetime (s, or a time Quantity) or a number of
    runs (a whole number), > 0."""
    name = "cos_zenith_binning_parameter_value"
    livetime = BINNING_METHODS[method][0] == "livetime"
    if livetime and isinstance(value, u.Quantity):
        value = check_quantity(value, name, u.s, "3600 * u.s").value
    return check_number(value, name, low=0.0, integer=not livetime)


def _range_tev(options):
    energy_range = options["runwise_normalisation_energy_range"]
    return None if energy_range is None else tuple(float(e.to_value(u.TeV))
                                                   for e in energy_range)


def _check_norm_method(method):
    return _check_choice(method, "runwise_normalisation_method", NORM_METHODS)


def _check_choice(value, name, choices):
    if not isinstance(value, str) or value not in choices:
        raise BaccmodValueError(f"{name} must be one of {', '.join(map(repr, choices))}, "
                                f"got {value!r}.")
    return value


def _check_norm_range(energy_range, energy_axis):
    """None, or two increasing energy Quantities overlapping ``energy_axis``."""
    name = "runwise_normalisation_energy_range"
    if energy_range is None:
        return None
    if isinstance(energy_range, u.Quantity) and not energy_range.isscalar:
        energy_range = list(energy_range)
    if not isinstance(energy_range, (tuple, list)) or len(energy_range) != 2:
        raise BaccmodTypeError(f"{name} must be a pair (low, high) of energies, e.g. "
                               f"(1 * u.TeV, 10 * u.TeV), got {energy_range!r}.")
    low, high = (check_quantity(e, name, u.TeV, "(1 * u.TeV, 10 * u.TeV)")
                 for e in energy_range)
    if not low < high:
        raise BaccmodValueError(f"{name} must be increasing (low < high), got "
                                f"({low}, {high}).")
    axis_low, axis_high = energy_axis.edges[[0, -1]].to(u.TeV)
    if low >= axis_high * (1 - 1e-6) or high <= axis_low * (1 + 1e-6):
        raise BaccmodValueError(f"{name} ({low}, {high}) does not overlap energy_axis "
                                f"[{axis_low}, {axis_high}]: give a range inside it.")
    return low, high
