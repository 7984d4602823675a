"""Bad input gets a clear baccmod error (a ValueError/TypeError subclass)."""
import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from gammapy.maps import MapAxis
from regions import CircleSkyRegion

from baccmod import (BaccmodError, BaccmodTypeError, BaccmodValueError,
                     Grid3DAcceptanceMapCreator, MissingLocationError, NoEventsError,
                     RadialAcceptanceMapCreator)
from observations import make_observation

ENERGY = MapAxis.from_energy_bounds(0.1, 10, 5, per_decade=True, unit="TeV", name="energy")
OFFSET = MapAxis.from_bounds(0, 2, 4, unit="deg", name="offset")
CREATORS = [RadialAcceptanceMapCreator, Grid3DAcceptanceMapCreator]


@pytest.mark.parametrize("creator", CREATORS)
def test_empty_observations(creator):
    with pytest.raises(BaccmodValueError, match="no observations"):
        creator(ENERGY, OFFSET).create_acceptance_map([])


@pytest.mark.parametrize("creator", CREATORS)
def test_no_events_in_range(creator):
    runs = [make_observation(1, energy_range=(50, 80)), make_observation(2, n_events=0)]
    with pytest.raises(NoEventsError, match="no events in the energy/offset range"):
        creator(ENERGY, OFFSET).create_acceptance_map(runs)


@pytest.mark.parametrize("creator", CREATORS)
def test_a_run_without_events_adds_livetime(creator):
    one = creator(ENERGY, OFFSET)
    one.create_acceptance_map([make_observation(1)])
    two = creator(ENERGY, OFFSET)
    model = two.create_acceptance_map([make_observation(1), make_observation(2, n_events=0)])
    assert two.livetime == 2 * one.livetime
    assert np.isclose(model.data.sum(), 0.5 * one.create_acceptance_map(
        [make_observation(1)]).data.sum())


def test_missing_location():
    run = make_observation(1, location=None)
    with pytest.raises(MissingLocationError, match="location="):
        Grid3DAcceptanceMapCreator(ENERGY, OFFSET).create_acceptance_map([run])
    from observations import HESS
    model = Grid3DAcceptanceMapCreator(ENERGY, OFFSET, location=HESS).create_acceptance_map([run])
    assert np.all(np.isfinite(model.data))


@pytest.mark.parametrize("kwargs, match", [
    (dict(energy_axis=MapAxis.from_bounds(0.1, 10, 3, unit="TeV", name="enrgy")), "named"),
    (dict(energy_axis=MapAxis.from_bounds(0.1, 10, 3, unit="deg", name="energy")), "energy u"),
    (dict(offset_axis=MapAxis.from_bounds(0.5, 2, 3, unit="deg", name="offset")), "start at 0"),
    (dict(oversample_map=0), "oversample_map"),
    (dict(oversample_map=2.5), "oversample_map"),
])
@pytest.mark.parametrize("creator", CREATORS)
def test_bad_axes_and_oversampling(creator, kwargs, match):
    args = dict(energy_axis=ENERGY, offset_axis=OFFSET) | kwargs
    with pytest.raises(BaccmodValueError, match=match):
        creator(**args)


def test_irregular_offset_axis_refused_for_3d_only():
    irregular = MapAxis.from_edges([0, 0.5, 2.0], unit="deg", name="offset")
    RadialAcceptanceMapCreator(ENERGY, irregular)
    with pytest.raises(BaccmodValueError, match="regular"):
        Grid3DAcceptanceMapCreator(ENERGY, irregular)


@pytest.mark.parametrize("creator", CREATORS)
def test_exclusion_of_wrong_type(creator):
    with pytest.raises(BaccmodTypeError, match="SkyRegion"):
        creator(ENERGY, OFFSET, exclude_regions=["a string"])


@pytest.mark.parametrize("creator", CREATORS)
def test_exclusion_covering_every_field(creator):
    huge = CircleSkyRegion(SkyCoord(329.7, -30.2, unit="deg"), 10 * u.deg)
    with pytest.raises(BaccmodValueError, match="whole field of view"):
        creator(ENERGY, OFFSET, exclude_regions=huge).create_acceptance_map(
            [make_observation(1)])


@pytest.mark.parametrize("creator", CREATORS)
def test_zero_livetime_and_gti_outside_events(creator):
    with pytest.raises(BaccmodValueError, match="run 4: livetime is 0.0 s"):
        creator(ENERGY, OFFSET).create_acceptance_map(
            [make_observation(3), make_observation(4, deadtime_fraction=1.0)])
    with pytest.raises(BaccmodValueError, match="run 6: a GTI has zero or negative length"):
        creator(ENERGY, OFFSET).create_acceptance_map([make_observation(6, gti=(10.0, 10.0))])
    with pytest.raises(BaccmodValueError, match="run 5: its GTIs lie outside"):
        creator(ENERGY, OFFSET).create_acceptance_map(
            [make_observation(5, event_offset_s=5000.0)])


@pytest.mark.parametrize("options, error, message", [
    ({"method": "fitted"}, BaccmodValueError, "method must be one of"),
    ({"method": "fit", "fit_fnc": "gaussian"}, BaccmodValueError, "fit_fnc 'gaussian'"),
    ({"method": "fit", "fit_fnc": 3}, BaccmodTypeError, "fit_fnc must be"),
    ({"method": "fit", "fit_seeds": {"x_centre": 0.0}}, BaccmodValueError,
     r"fit_seeds/fit_bounds name unknown parameters \['x_centre'\]"),
    ({"method": "fit", "fit_bounds": {"width": (2, 3)}}, BaccmodValueError,
     "'width'.*outside its bounds")])
def test_bad_fit_options_are_refused_by_the_constructor(options, error, message):
    with pytest.raises(error, match=message):
        Grid3DAcceptanceMapCreator(ENERGY, OFFSET, **options)


def test_errors_are_value_or_type_errors():
    assert issubclass(BaccmodValueError, ValueError) and issubclass(BaccmodTypeError, TypeError)
    assert issubclass(NoEventsError, BaccmodError)
