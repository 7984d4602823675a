"""baccmod.toolbox: BAccMod's helpers, computed with baccmod's rules."""
import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import AltAz, SkyCoord
from astropy.time import Time

from baccmod.errors import BaccmodValueError
from baccmod.toolbox import (compute_neighbour_condition_validation, compute_rotation_speed_fov,
                             generate_irf_from_mini_irf, get_time_mini_irf,
                             get_unique_wobble_pointings)
from observations import HESS, START, make_observation

PKS2155 = SkyCoord(329.71694, -30.2255, unit="deg")


def parallactic_angle(source, times):
    """Position angle (rad, east of north) of the zenith seen from the source."""
    zenith = SkyCoord(alt=90 * u.deg, az=0 * u.deg,
                      frame=AltAz(obstime=times, location=HESS)).transform_to("icrs")
    return np.unwrap(source.position_angle(zenith).rad)


def test_rotation_speed_is_minus_the_rate_of_the_parallactic_angle():
    times = START + np.linspace(0, 4, 9) * u.h
    step = 1 * u.s
    rate = (parallactic_angle(PKS2155, times + step)
            - parallactic_angle(PKS2155, times - step)) / (2 * step.to_value(u.s))
    speed = compute_rotation_speed_fov(times, PKS2155, HESS)
    assert speed.unit == u.rad / u.s
    np.testing.assert_allclose(speed.value, -rate, rtol=1e-3)


def test_wobble_positions_are_named_in_order_of_appearance():
    offsets = [(329.2, -30.2), (330.2, -30.2), (329.25, -30.25), (330.2, -30.15)]
    runs = [make_observation(obs_id=i, n_events=10, pointing=p) for i, p in enumerate(offsets)]
    wobbles = get_unique_wobble_pointings(runs)
    assert list(wobbles) == ["W1", "W2", "W1", "W2"]
    assert list(get_unique_wobble_pointings(runs, 2 * u.deg)) == ["W1"] * 4


def test_mini_irf_pieces_are_equal_and_weigh_their_good_time():
    run = make_observation(n_events=10, duration=600.0)
    times, durations = get_time_mini_irf(run, 1 * u.min)
    assert isinstance(times, Time) and durations.unit == u.min
    np.testing.assert_allclose((times - run.gti.time_start[0]).to_value(u.s),
                               np.arange(30, 600, 60), atol=1e-6)
    np.testing.assert_allclose(durations.to_value(u.s), 60, rtol=1e-9)
    times, durations = get_time_mini_irf(run, 7 * u.min)
    np.testing.assert_allclose(durations.to_value(u.s), [300, 300], rtol=1e-9)


def test_mini_irf_pieces_without_good_time_are_left_out():
    from gammapy.data import GTI
    run = make_observation(n_events=10, duration=600.0)
    ref = run.gti.time_ref
    run._gti = GTI.create([0, 400] * u.s, [200, 600] * u.s, reference_time=ref)
    times, durations = get_time_mini_irf(run, 100 * u.s)
    np.testing.assert_allclose((times - ref).to_value(u.s), [50, 150, 450, 550], atol=1e-6)
    np.testing.assert_allclose(durations.to_value(u.s), 100, rtol=1e-9)


def test_mini_irfs_are_averaged_with_their_observation_times():
    cube = np.array([[1.0, 2.0], [3.0, 6.0]]) * u.Unit("s-1 MeV-1 sr-1")
    mean = generate_irf_from_mini_irf(cube, [1, 3] * u.min)
    assert mean.unit == cube.unit
    np.testing.assert_allclose(mean.value, [2.5, 5.0])
    with pytest.raises(BaccmodValueError):
        generate_irf_from_mini_irf(cube, [0, 0] * u.min)


def test_neighbours_within_the_relative_threshold_are_counted():
    rates = np.array([[1.0, 50.0, 0.0, 2.0],
                      [1.0, 1.0, 1.0, 1.0]])
    along_offset = compute_neighbour_condition_validation(rates, 1, 0.1)
    assert along_offset.dtype == np.uint8
    np.testing.assert_array_equal(along_offset, [[0, 0, 0, 0], [1, 2, 2, 1]])
    along_energy = compute_neighbour_condition_validation(rates, 0, 0.1)
    np.testing.assert_array_equal(along_energy, [[1, 0, 0, 1], [1, 0, 0, 1]])
    looser = compute_neighbour_condition_validation(rates, 0, 0.01)
    np.testing.assert_array_equal(looser, [[1, 1, 0, 1], [1, 1, 0, 1]])
