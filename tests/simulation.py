"""A shared simulated data set with a known, not radially symmetric background.

12 wobble runs (0.5 deg around a bright point source, excluded by a 0.4 deg circle) through a
night at the H.E.S.S. site, ~40,000 background events each. The truth is a ``Background3D`` in
the AltAz FoV frame on the model's own binning, with a gradient along fov_lon.
"""
import numpy as np
from astropy import units as u
from astropy.coordinates import AltAz, EarthLocation, SkyCoord
from astropy.time import Time
from gammapy.irf import Background3D, FoVAlignment
from gammapy.maps import MapAxis
from regions import CircleSkyRegion

SITE = EarthLocation(lon=16.5002 * u.deg, lat=-23.2717 * u.deg, height=1835 * u.m)
SOURCE = SkyCoord(329.71694, -30.2255, unit="deg")
EXCLUSION = CircleSkyRegion(SOURCE, 0.4 * u.deg)
ENERGY = MapAxis.from_energy_bounds(0.1, 10, 10, unit="TeV", name="energy")
OFFSET = MapAxis.from_bounds(0, 2, 6, unit="deg", name="offset")
# other model binnings nested in the truth's energy bins: a finer one for the 2D truth test
# (the truth is constant inside its bins) and a coarser one for the closure test
ENERGY_FINE = MapAxis.from_energy_bounds(0.1, 10, 20, unit="TeV", name="energy")
OFFSET_2D = MapAxis.from_bounds(0, 2, 40, unit="deg", name="offset")
ENERGY_COARSE = MapAxis.from_energy_bounds(0.1, 10, 5, unit="TeV", name="energy")
N_RUNS = 12
DURATION = 28 * u.min
EVENTS_PER_RUN = 40_000
GRADIENT = 0.25  # relative rate change per degree of fov_lon


def truth_background():
    """Background3D: power law in energy x Gaussian in offset x (1 + GRADIENT * fov_lon).

    Wide, so that many bins hold >= 100 expected counts; index 2, for which the bin-average
    rate equals the rate at the bin's log-centre (gammapy's reading of a model).
    """
    edges = np.concatenate([-OFFSET.edges[::-1], OFFSET.edges[1:]])
    lon = MapAxis.from_edges(edges, name="fov_lon")
    lat = MapAxis.from_edges(edges, name="fov_lat")
    e, x, y = np.meshgrid(ENERGY.center.to_value("TeV"), lon.center.to_value("deg"),
                          lat.center.to_value("deg"), indexing="ij")
    shape = e ** -2.0 * np.exp(-(x ** 2 + y ** 2) / (2 * 3.0 ** 2)) * (1 + GRADIENT * x)
    solid_angle = (np.diff(np.deg2rad(lon.edges.value))[:, None]
                   * np.diff(np.sin(np.deg2rad(lat.edges.value)))[None, :])
    de = ENERGY.bin_width.to_value("MeV")[:, None, None]
    livetime = DURATION.to_value("s")
    norm = EVENTS_PER_RUN / np.sum(shape * solid_angle * de * livetime)
    return Background3D(axes=[ENERGY, lon, lat], data=norm * shape, unit="s-1 MeV-1 sr-1",
                        fov_alignment=FoVAlignment.ALTAZ)


def pointings_and_starts():
    angles = np.tile([0.0, 90.0, 180.0, 270.0], N_RUNS // 4)
    pointings = SkyCoord([SOURCE.directional_offset_by(a * u.deg, 0.5 * u.deg)
                          for a in angles])
    starts = Time("2023-07-01T22:30:00", scale="utc") + np.arange(N_RUNS) * 30 * u.min
    altitude = SOURCE.transform_to(AltAz(obstime=starts + DURATION / 2, location=SITE)).alt
    assert altitude.min() > 35 * u.deg, "simulated runs must be well above the horizon"
    return pointings, starts


def simulate(folder, seed=42):
    """Write the runs to folder; returns the gammapy observations."""
    from gammapy.data import DataStore

    from baccmod.simulate import simulate_runs
    pointings, starts = pointings_and_starts()
    simulate_runs(folder, truth_background(), pointings, starts, DURATION, SITE, seed=seed,
                  source={"position": SOURCE, "rate": 0.2 / u.s, "sigma": 0.08 * u.deg})
    store = DataStore.from_dir(folder)
    return store.get_observations(required_irf=[])
