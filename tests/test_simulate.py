"""The simulator writes DL3 runs gammapy reads, drawn from the given background."""
import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from gammapy.data import DataStore
from gammapy.irf import Background2D, Background3D, FoVAlignment
from gammapy.maps import MapAxis
from gammapy.utils.coordinates import FoVAltAzFrame

import simulation as sim
from baccmod import BaccmodValueError
from baccmod.simulate import simulate_runs

ENERGY = MapAxis.from_energy_bounds(0.5, 5, 2, unit="TeV", name="energy")


def east_only_background():
    """Nonzero only for fov_lon > 0 (one side of the AltAz FoV)."""
    edges = np.linspace(-2, 2, 9) * u.deg
    lon, lat = MapAxis.from_edges(edges, name="fov_lon"), MapAxis.from_edges(edges, name="fov_lat")
    data = np.zeros((ENERGY.nbin, 8, 8))
    data[:, 4:, :] = 1e-7
    return Background3D(axes=[ENERGY, lon, lat], data=data, unit="s-1 MeV-1 sr-1",
                        fov_alignment=FoVAlignment.ALTAZ)


def expected_events(background, livetime):
    rate = background.quantity.to_value("s-1 MeV-1 sr-1")
    de = background.axes["energy"].bin_width.to_value("MeV")[:, None, None]
    lon = np.deg2rad(background.axes["fov_lon"].edges.value)
    lat = np.deg2rad(background.axes["fov_lat"].edges.value)
    return np.sum(rate * de * np.outer(np.diff(lon), np.diff(np.sin(lat))) * livetime)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sim")
    pointings, starts = sim.pointings_and_starts()
    ids = simulate_runs(folder, east_only_background(), pointings[:2], starts[:2], 20 * u.min,
                        sim.SITE, seed=7, obs_id_start=100, deadtime_fraction=0.1,
                        source={"position": sim.SOURCE, "rate": 0.5 / u.s})
    return folder, ids


def test_runs_load_in_gammapy_with_their_headers(written):
    folder, ids = written
    assert ids == [100, 101]
    observations = DataStore.from_dir(folder).get_observations(required_irf=[])
    for obs in observations:
        assert obs.observation_time_duration.to_value("s") == pytest.approx(1200)
        assert obs.observation_live_time_duration.to_value("s") == pytest.approx(1080)
        assert obs.observatory_earth_location.lat.deg == pytest.approx(sim.SITE.lat.deg)
        times = obs.events.time
        assert times.min() >= obs.tstart and times.max() <= obs.tstop


def test_background_events_follow_the_fov_frame_and_the_count(written):
    folder, _ = written
    background = east_only_background()
    obs = DataStore.from_dir(folder).obs(100, required_irf=[])
    events = obs.events.radec
    far = events.separation(sim.SOURCE) > 0.6 * u.deg  # away from the source
    frame = FoVAltAzFrame(origin=obs.get_pointing_altaz(obs.events.time),
                          location=obs.observatory_earth_location, obstime=obs.events.time)
    fov = events.transform_to(frame)
    lon = fov.fov_lon.wrap_at(180 * u.deg).deg
    assert np.all(lon[far] > -1 / 3600)
    n_background = len(events) - 0.5 * 1080  # minus the expected source events
    expected = expected_events(background, 1080)
    assert abs(n_background - expected) < 5 * np.sqrt(expected + 540)


def test_source_events_concentrate_at_the_source(written):
    folder, _ = written
    events = DataStore.from_dir(folder).obs(101, required_irf=[]).events.radec
    near = (events.separation(sim.SOURCE) < 0.3 * u.deg).sum()
    assert near == pytest.approx(540, abs=5 * np.sqrt(540) + 30)


def test_radial_background_and_reproducibility(tmp_path):
    offset = MapAxis.from_bounds(0, 2, 4, unit="deg", name="offset")
    background = Background2D(axes=[ENERGY, offset], data=np.full((2, 4), 1e-4),
                              unit="s-1 MeV-1 sr-1")
    pointings, starts = sim.pointings_and_starts()
    for name in ("a", "b"):
        simulate_runs(tmp_path / name, background, pointings[:1], starts[:1], 600 * u.s,
                      sim.SITE, seed=3)
    a = DataStore.from_dir(tmp_path / "a").obs(1, required_irf=[]).events.table
    b = DataStore.from_dir(tmp_path / "b").obs(1, required_irf=[]).events.table
    assert len(a) > 100 and np.array_equal(np.asarray(a["RA"]), np.asarray(b["RA"]))
    offsets = SkyCoord(a["RA"], a["DEC"]).separation(pointings[0]).deg
    assert offsets.max() <= 2.0


def test_refuses_to_overwrite(written):
    folder, _ = written
    pointings, starts = sim.pointings_and_starts()
    before = sorted(p.name for p in folder.iterdir())
    with pytest.raises(BaccmodValueError, match="overwrite=True"):
        simulate_runs(folder, east_only_background(), pointings[:1], starts[:1], 60 * u.s,
                      sim.SITE, obs_id_start=100)
    assert sorted(p.name for p in folder.iterdir()) == before
