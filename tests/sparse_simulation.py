"""Simulated runs whose background is sparse at high energy, with a known truth.

The truth is an AltAz-aligned ``Background3D`` on 0.25 deg FoV bins and 0.1-100 TeV at 5 bins
per decade: N x E^-2 x (1 + GRADIENT x fov_lon), constant inside each bin. Two groups of two
28 min wobble runs around PKS 2155-304 at the H.E.S.S. site: "low" near culmination (zenith
~8 deg) and "high" three hours earlier (zenith ~50 deg) with ``HIGH_ZENITH_SCALE`` times the
rate. Over the four runs, a 0.25 deg bin holds ~90 events per energy bin at 0.1 TeV, ~10 at
1 TeV and fewer than one above 10 TeV.

Why the truth can be compared exactly:

- with index 2 and the rate of a bin taken at the bin's log-centre, the mean rate over any
  union of adjacent bins, [E1, E2], equals N / (E1 E2) x spatial factor: the power law at the
  log-centre of the union. Merged bins therefore estimate the same power law, and log-log
  interpolation between their centres is exact for it;
- the spatial factor is odd in fov_lon around 1 on a grid symmetric in fov_lon, so its mean
  over any offset ring is 1: a radial model's truth is N x E^-2.
"""
import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.time import Time
from gammapy.irf import Background3D, FoVAlignment
from gammapy.maps import MapAxis

from simulation import SITE, SOURCE

ENERGY = MapAxis.from_energy_bounds(0.1, 100, 5, per_decade=True, unit="TeV", name="energy")
OFFSET = MapAxis.from_bounds(0, 2, 8, unit="deg", name="offset")
DURATION = 28 * u.min
EVENTS_PER_RUN = 25_000  # of a run of the "low" group
HIGH_ZENITH_SCALE = 0.3
GRADIENT = 0.2  # relative rate change per degree of fov_lon
GROUP_STARTS = {"high": ("2023-07-01T22:00:00", "2023-07-01T22:30:00"),
                "low": ("2023-07-02T01:45:00", "2023-07-02T02:15:00")}
GROUP_SCALES = {"high": HIGH_ZENITH_SCALE, "low": 1.0}


def fov_axes():
    edges = np.concatenate([-OFFSET.edges[::-1], OFFSET.edges[1:]])
    return MapAxis.from_edges(edges, name="fov_lon"), MapAxis.from_edges(edges, name="fov_lat")


def power_law(energy_tev):
    """The truth's energy dependence (unnormalised): E^-2, E in TeV."""
    return np.asarray(energy_tev) ** -2.0


def spatial_factor():
    """The truth's FoV dependence on the grid, shape (n_lon, n_lat)."""
    lon, lat = fov_axes()
    x = lon.center.to_value("deg")[:, None]
    return np.broadcast_to(1 + GRADIENT * x, (lon.nbin, lat.nbin))


def normalisation():
    """N (s-1 MeV-1 sr-1 at 1 TeV) giving EVENTS_PER_RUN events to a run at scale 1."""
    lon, lat = fov_axes()
    solid_angle = (np.diff(lon.edges.to_value("rad"))[:, None]
                   * np.diff(np.sin(lat.edges.to_value("rad")))[None, :])
    per_energy = power_law(ENERGY.center.to_value("TeV")) * ENERGY.bin_width.to_value("MeV")
    per_run = per_energy.sum() * np.sum(spatial_factor() * solid_angle) * DURATION.to_value("s")
    return EVENTS_PER_RUN / per_run


def energy_truth(energy_edges_tev, scale=1.0):
    """Truth rate (s-1 MeV-1 sr-1) at spatial factor 1, averaged over each of the bins
    ``energy_edges_tev`` (unions of ENERGY's bins, or bins inside ENERGY's range for the power
    law read at their log-centre): shape (n_energy,)."""
    edges = np.asarray(energy_edges_tev, dtype=float)
    return scale * normalisation() * power_law(np.sqrt(edges[1:] * edges[:-1]))


def truth_rate(energy_edges_tev, scale=1.0):
    """The 3D truth on those bins: shape (n_energy, n_lon, n_lat)."""
    return energy_truth(energy_edges_tev, scale)[:, None, None] * spatial_factor()


def radial_truth_rate(energy_edges_tev, n_offset, scale=1.0):
    """The truth of a radial model on those bins and ``n_offset`` rings: shape
    (n_energy, n_offset) (the spatial factor averages to 1 over any ring)."""
    return np.repeat(energy_truth(energy_edges_tev, scale)[:, None], n_offset, axis=1)


def truth_background(scale=1.0):
    """The truth as the Background3D the runs are drawn from."""
    lon, lat = fov_axes()
    return Background3D(axes=[ENERGY, lon, lat], unit="s-1 MeV-1 sr-1",
                        data=truth_rate(ENERGY.edges.to_value("TeV"), scale),
                        fov_alignment=FoVAlignment.ALTAZ)


def simulate(folder, group, obs_id_start, seed):
    """Write the two runs of ``group`` ("high" or "low") to folder; returns the gammapy
    observations."""
    from gammapy.data import DataStore

    from baccmod.simulate import simulate_runs
    starts = Time(list(GROUP_STARTS[group]), scale="utc")
    pointings = SkyCoord([SOURCE.directional_offset_by(angle * u.deg, 0.5 * u.deg)
                          for angle in (0.0, 180.0)])
    simulate_runs(folder, truth_background(GROUP_SCALES[group]), pointings, starts, DURATION,
                  SITE, seed=seed, obs_id_start=obs_id_start)
    return DataStore.from_dir(folder).get_observations(required_irf=[])
