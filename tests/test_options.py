"""Options are checked in the constructor, before any work (issue 7, item 3.7): a wrong type or
unit gets a BaccmodTypeError, a value out of range a BaccmodValueError, each naming the option
and what it expects. Options with a unit must be Quantities: a plain number is refused."""
import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import EarthLocation
from gammapy.maps import MapAxis

from baccmod import (BaccmodTypeError, BaccmodValueError, Grid3DAcceptanceMapCreator,
                     RadialAcceptanceMapCreator)
from observations import HESS, make_observation

ENERGY = MapAxis.from_energy_bounds(0.1, 10, 5, per_decade=True, unit="TeV", name="energy")
OFFSET = MapAxis.from_bounds(0, 2, 4, unit="deg", name="offset")
CREATORS = [RadialAcceptanceMapCreator, Grid3DAcceptanceMapCreator]

TYPE, VALUE = BaccmodTypeError, BaccmodValueError
#: (option, bad value, error, words of the message after the option's name)
BAD_OPTIONS = [
    ("time_resolution", "1 s", TYPE, r"must be a time Quantity \(e.g. 0.1 \* u.s\)"),
    ("time_resolution", 0.1, TYPE, "a plain number has no unit"),
    ("time_resolution", 5 * u.deg, TYPE, r"must be a time Quantity.*unit deg"),
    ("time_resolution", -1 * u.s, VALUE, "must be one positive, finite value"),
    ("time_resolution", [0.1, 0.2] * u.s, VALUE, "must be one positive, finite value"),
    ("mini_irf_time_resolution", 5 * u.deg, TYPE, r"time Quantity \(e.g. 1 \* u.min\)"),
    ("mini_irf_time_resolution", np.nan * u.s, VALUE, "positive, finite"),
    ("max_angular_separation_wobble", 0.4, TYPE,
     r"angle Quantity \(e.g. 0.4 \* u.deg\).*plain number"),
    ("max_angular_separation_wobble", "0.4 deg", TYPE, "angle Quantity"),
    ("max_angular_separation_wobble", 1 * u.s, TYPE, "angle Quantity"),
    ("max_angular_separation_wobble", 0 * u.deg, VALUE, "positive"),
    ("location", "HESS", TYPE, r"must be an astropy EarthLocation or None.*lon=16.5002"),
    ("location", (16.5, -23.27, 1835.0), TYPE, "EarthLocation"),
    ("location", EarthLocation(lon=[16.5, 17] * u.deg, lat=[-23.3, -23] * u.deg), VALUE,
     "one site with finite coordinates"),
    ("zenith_binning_run_splitting", "yes", TYPE, "must be True or False, got 'yes'"),
    ("use_mini_irf_computation", 1, TYPE, "must be True or False"),
    ("azimuth_east_west_splitting", "no", TYPE, "must be True or False"),
    ("activate_interpolation_zenith_cleaning", None, TYPE, "must be True or False"),
    ("verbose", "true", TYPE, "must be True or False"),
    ("initial_cos_zenith_binning", "0.01", TYPE, r"a number in \(0, 1\)"),
    ("initial_cos_zenith_binning", 1.5, VALUE, r"a number in \(0, 1\), got 1.5"),
    ("initial_cos_zenith_binning", np.nan, VALUE, r"a number in \(0, 1\)"),
    ("cos_zenith_binning_parameter_value", "3600", TYPE, "must be a number"),
    ("cos_zenith_binning_parameter_value", [3600], TYPE, "must be a number"),
    ("cos_zenith_binning_parameter_value", True, TYPE, "must be a number"),
    ("cos_zenith_binning_parameter_value", np.inf, VALUE, r"a number in \(0, inf\)"),
    ("cos_zenith_binning_parameter_value", 5 * u.deg, TYPE, "time Quantity"),
    ("cos_zenith_binning_method", ["min_livetime"], TYPE, "must be a string"),
    ("min_run_per_cos_zenith_bin", 2.5, VALUE, "whole number"),
    ("interpolation_cleaning_energy_relative_threshold", "1e-4", TYPE, r"number in \(0, 1\]"),
    ("interpolation_cleaning_spatial_relative_threshold", np.nan, VALUE, r"number in \(0, 1\]"),
    ("max_fraction_pixel_rotation_fov", "0.5", TYPE, r"number in \(0, 1\]"),
    ("max_fraction_pixel_rotation_fov", 0, VALUE, r"number in \(0, 1\]"),
    ("oversample_map", "10", TYPE, r"whole number in \[1, inf\)"),
]


@pytest.mark.parametrize("option, value, error, match", BAD_OPTIONS,
                         ids=[f"{o}={v!r}" for o, v, _, _ in BAD_OPTIONS])
@pytest.mark.parametrize("creator", CREATORS)
def test_a_bad_option_is_refused_in_the_constructor_naming_it(creator, option, value, error,
                                                              match):
    name = "cos_zenith_binning_parameter_value" if option == "min_run_per_cos_zenith_bin" \
        else option
    with pytest.raises(error, match=f"{name} .*{match}"):
        creator(ENERGY, OFFSET, **{option: value})


def test_a_number_of_runs_must_be_whole_and_a_livetime_may_be_a_quantity():
    with pytest.raises(BaccmodValueError, match="whole number"):
        RadialAcceptanceMapCreator(ENERGY, OFFSET, cos_zenith_binning_method="min_n_observation",
                                   cos_zenith_binning_parameter_value=2.5)
    with pytest.raises(BaccmodTypeError, match="must be a whole number"):
        RadialAcceptanceMapCreator(ENERGY, OFFSET, cos_zenith_binning_method="min_n_observation",
                                   cos_zenith_binning_parameter_value=3 * u.s)
    creator = RadialAcceptanceMapCreator(ENERGY, OFFSET,
                                         cos_zenith_binning_parameter_value=1.5 * u.h)
    assert creator.cos_zenith_binning_parameter_value == 5400.0


def test_quantities_in_other_units_are_converted():
    creator = Grid3DAcceptanceMapCreator(ENERGY, OFFSET, time_resolution=250 * u.ms,
                                         mini_irf_time_resolution=0.5 * u.h,
                                         max_angular_separation_wobble=30 * u.arcmin,
                                         location=HESS)
    assert creator.time_resolution.unit == u.s and creator.time_resolution.value == 0.25
    assert creator.mini_irf_time_resolution.to_value(u.s) == 1800
    assert creator.max_angular_separation_wobble.to_value(u.deg) == pytest.approx(0.5)
    assert creator.location is HESS


@pytest.mark.parametrize("flag", ["zenith_binning", "zenith_interpolation",
                                  "runwise_normalisation"])
def test_per_run_flags_must_be_booleans_and_are_checked_before_reading_runs(flag):
    unreadable = [make_observation(1, location=None)]
    with pytest.raises(BaccmodTypeError, match=f"{flag} must be True or False, got 'yes'"):
        RadialAcceptanceMapCreator(ENERGY, OFFSET).create_acceptance_map_per_observation(
            unreadable, **{flag: "yes"})


def test_zenith_binning_of_create_acceptance_model_must_be_a_boolean():
    with pytest.raises(BaccmodTypeError, match="zenith_binning must be True or False"):
        RadialAcceptanceMapCreator(ENERGY, OFFSET).create_acceptance_model(
            [make_observation(1, location=None)], zenith_binning="no")
