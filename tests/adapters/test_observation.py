"""Reading a run: site resolution, event columns, time nodes of the field rotation."""
import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import EarthLocation

from baccmod.adapters.observation import observation_location, run_arrays
from baccmod.core.exclusion import ExcludedArea
from baccmod.core.fov import rotation_angle
from baccmod.errors import MissingLocationError
from observations import HESS, make_observation

EVERYWHERE = ExcludedArea(lambda lon, lat: np.zeros(lon.shape, bool), 0.0, 0.0, np.pi)


def test_site_from_argument_then_observation_then_event_header():
    other = EarthLocation(lon=-17.89 * u.deg, lat=28.76 * u.deg, height=2200 * u.m)
    run = make_observation(1)
    assert observation_location(run, other) is other
    assert observation_location(run).lat.deg == pytest.approx(HESS.lat.deg)
    bare = make_observation(2, location=None)
    with pytest.raises(MissingLocationError):
        observation_location(bare)
    header = {"GEOLON": 16.5002, "GEOLAT": -23.2717, "ALTITUDE": 1835.0}
    assert observation_location(bare, event_header=header).lon.deg == pytest.approx(16.5002)


def test_event_columns_and_livetime():
    run = make_observation(1, n_events=500, duration=600.0)
    arrays = run_arrays(run)
    assert arrays.energy.size == 500 and arrays.livetime == pytest.approx(540.0)
    np.testing.assert_allclose(np.rad2deg(arrays.lon), np.asarray(run.events.table["RA"]))
    assert arrays.fov_lon is None


def test_time_nodes_follow_the_field_rotation():
    run = make_observation(1, duration=1800.0)
    limit = np.deg2rad(0.2)
    arrays = run_arrays(run, fov_edges=np.deg2rad(2.0), areas=[EVERYWHERE], rotation_limit=limit)
    angles = rotation_angle(arrays.sky_to_altaz_matrices)
    assert angles.size > 5
    assert np.all(np.abs(np.diff(angles)) <= 1.05 * limit)
    assert arrays.node_weights.sum() == pytest.approx(arrays.livetime)
    # the maps are orthogonal up to aberration's ~1e-4 change of scale
    m = arrays.sky_to_altaz_matrices
    np.testing.assert_allclose(np.einsum("nij,nkj->nik", m, m), np.eye(2)[None].repeat(len(m), 0),
                               atol=1e-3)


def test_no_time_nodes_when_no_exclusion_reaches_the_run():
    far = ExcludedArea(lambda lon, lat: np.ones(lon.shape, bool), 2.0, 0.5, 0.01)
    arrays = run_arrays(make_observation(1), fov_edges=np.deg2rad(2.0), areas=[far],
                        rotation_limit=0.01)
    assert arrays.sky_to_altaz_matrices is None and arrays.fov_lon.size == 2000


@pytest.mark.realdata
def test_reading_the_file_directly_equals_reading_through_gammapy(hess_dr1):
    """The one-open fast path gives what gammapy's own accessors give (DR1 runs)."""
    for obs_id in (23523, 33787, 47802):
        on_disk = hess_dr1.obs(obs_id, required_irf=[])
        in_memory = hess_dr1.obs(obs_id, required_irf=[])
        in_memory._events = in_memory.events  # an in-memory EventList: gammapy's path
        fast = run_arrays(on_disk, fov_edges=np.deg2rad(2.0), areas=[EVERYWHERE],
                          rotation_limit=np.deg2rad(0.5))
        slow = run_arrays(in_memory, fov_edges=np.deg2rad(2.0), areas=[EVERYWHERE],
                          rotation_limit=np.deg2rad(0.5))
        assert fast.livetime == pytest.approx(slow.livetime, rel=1e-12)
        assert fast.pointing_lon == pytest.approx(slow.pointing_lon, abs=1e-12)
        assert fast.pointing_lat == pytest.approx(slow.pointing_lat, abs=1e-12)
        np.testing.assert_allclose(fast.energy, slow.energy, rtol=1e-6)
        arcsec = np.deg2rad(1 / 3600)
        np.testing.assert_allclose(fast.fov_lon, slow.fov_lon, atol=1e-3 * arcsec)
        np.testing.assert_allclose(fast.fov_lat, slow.fov_lat, atol=1e-3 * arcsec)
        assert fast.node_weights.sum() == pytest.approx(slow.node_weights.sum())


@pytest.mark.realdata
def test_a_run_carries_its_file_and_its_nearest_event_offset(hess_dr1):
    on_disk = run_arrays(hess_dr1.obs(23523, required_irf=[]))
    assert on_disk.source.endswith("hess_dl3_dr1_obs_id_023523.fits.gz")
    assert on_disk.label == f"run 23523 (file {on_disk.source})"
    assert on_disk.nearest_event_offset == pytest.approx(np.min(on_disk.offsets()), abs=1e-12)
    in_memory = run_arrays(make_observation(1))
    assert in_memory.source == "" and in_memory.label == "run 1"


@pytest.mark.realdata
def test_a_time_filtered_run_keeps_what_gammapy_keeps(hess_dr1):
    from astropy.time import Time
    from gammapy.data import ObservationFilter
    run = hess_dr1.obs(23523, required_irf=[])
    start = run.tstart
    run.obs_filter = ObservationFilter(time_filter=Time([start + 100 * u.s, start + 700 * u.s]))
    arrays = run_arrays(run)
    assert arrays.livetime == pytest.approx(run.observation_live_time_duration.to_value(u.s))
    assert arrays.livetime == pytest.approx(600 * run.events.table.meta["DEADC"])
    np.testing.assert_allclose(arrays.energy, run.events.energy.to_value(u.TeV), rtol=1e-12)
    assert 0 < arrays.energy.size < len(hess_dr1.obs(23523, required_irf=[]).events.table)
