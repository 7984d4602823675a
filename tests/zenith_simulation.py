"""Simulated runs whose background rate follows the zenith angle in a known way.

16 runs of 20 min on 4 wobble positions around PKS 2155-304's position, one after the other
from zenith angle ~50 deg through culmination (~7 deg) at the H.E.S.S. site. The rate at time t is
``BASE`` x cos(zenith of the pointing at t): linear in cos(zenith), so linear interpolation
in cos(zenith) between bins is exact for the truth.
"""
import numpy as np
from astropy import units as u
from astropy.coordinates import AltAz, SkyCoord
from astropy.time import Time
from gammapy.irf import Background2D
from gammapy.maps import MapAxis

from simulation import SITE, SOURCE

ENERGY = MapAxis.from_energy_bounds(0.1, 10, 4, unit="TeV", name="energy")
OFFSET = MapAxis.from_bounds(0, 2, 4, unit="deg", name="offset")
N_RUNS = 16
DURATION = 20 * u.min
START = Time("2023-07-01T22:30:00", scale="utc")
EVENTS_PER_RUN = 15_000


def zenith_dependence(cos_zenith):
    return cos_zenith


def base_background(events_per_run=EVENTS_PER_RUN):
    """Background2D at zenith 0: power law x Gaussian in offset."""
    e = ENERGY.center.to_value("TeV")[:, None]
    r = OFFSET.center.to_value("deg")[None, :]
    shape = e ** -2.0 * np.exp(-r ** 2 / (2 * 2.0 ** 2))
    r_edges = OFFSET.edges.to_value("rad")
    solid_angle = 2 * np.pi * -np.diff(np.cos(r_edges))
    de = ENERGY.bin_width.to_value("MeV")[:, None]
    norm = events_per_run / np.sum(shape * solid_angle * de * DURATION.to_value("s"))
    return Background2D(axes=[ENERGY, OFFSET], data=norm * shape, unit="s-1 MeV-1 sr-1")


def pointings_and_starts(n_runs=N_RUNS, start=START):
    angles = np.tile([0.0, 90.0, 180.0, 270.0], n_runs // 4 + 1)[:n_runs]
    pointings = SkyCoord([SOURCE.directional_offset_by(a * u.deg, 0.5 * u.deg) for a in angles])
    starts = start + np.arange(n_runs) * DURATION
    return pointings, starts


def mean_cos_zenith(pointing, start, duration=DURATION):
    """Time average of cos(zenith) of a pointing over a run."""
    times = start + np.linspace(0, duration.to_value("s"), 61) * u.s
    return float(np.mean(np.sin(pointing.transform_to(
        AltAz(obstime=times, location=SITE)).alt.rad)))


def simulate(folder, seed=7, n_runs=N_RUNS, obs_id_start=1, scale=1.0, start=START):
    """Write the runs (background scaled by ``scale``); returns the gammapy observations."""
    from gammapy.data import DataStore

    from baccmod.simulate import simulate_runs
    pointings, starts = pointings_and_starts(n_runs, start)
    background = base_background()
    background = Background2D(axes=background.axes, data=background.data * scale,
                              unit=background.unit)
    simulate_runs(folder, background, pointings, starts, DURATION, SITE, seed=seed,
                  obs_id_start=obs_id_start, zenith_dependence=zenith_dependence)
    return DataStore.from_dir(folder).get_observations(required_irf=[])
