"""Simulated runs with a sparse background whose truth has the form of a fitted model.

The rate is ``PowerLawEnergyxGaussian2DSpatial`` (power law in energy x rotated 2D Gaussian in
the AltAz FoV) evaluated at the bin centres of the model's binning, constant over each bin, so
the expected counts of a bin are exactly what the fit predicts (model at the bin centre x
exposure). 4 wobble runs of 10 min around a 0.3 deg exclusion, about 3,000 events in all:
0 to a few tens of counts per bin (most bins hold fewer than 10).
"""
import numpy as np
from astropy import units as u
from astropy.coordinates import AltAz, SkyCoord
from astropy.time import Time
from gammapy.irf import Background3D, FoVAlignment
from gammapy.maps import MapAxis
from regions import CircleSkyRegion

from baccmod.model import PowerLawEnergyxGaussian2DSpatial
from simulation import SITE, SOURCE

ENERGY = MapAxis.from_energy_bounds(0.5, 16, 5, unit="TeV", name="energy")
OFFSET = MapAxis.from_bounds(0, 2, 4, unit="deg", name="offset")
EXCLUSION = CircleSkyRegion(SOURCE, 0.3 * u.deg)
N_RUNS = 4
DURATION = 10 * u.min
START = Time("2023-07-01T23:00:00", scale="utc")
TOTAL_EVENTS = 3000
OVERSAMPLE = 4

#: The truth's parameters (amplitude set by TOTAL_EVENTS in :func:`truth_model`).
TRUTH = dict(alpha=2.5, x_0=1.0, x_mean=0.25, y_mean=-0.15, x_stddev=1.3, y_stddev=0.9,
             theta=0.4)


def fov_axes():
    edges = np.concatenate([-OFFSET.edges[::-1], OFFSET.edges[1:]])
    return MapAxis.from_edges(edges, name="fov_lon"), MapAxis.from_edges(edges, name="fov_lat")


def bin_centres(energy_axis=ENERGY):
    """(energy TeV, fov_lon deg, fov_lat deg) of the bin centres, each (n_e, n_lon, n_lat)."""
    lon, lat = fov_axes()
    return np.meshgrid(energy_axis.center.to_value("TeV"), lon.center.to_value("deg"),
                       lat.center.to_value("deg"), indexing="ij")


def bin_exposure_per_run():
    """livetime x dE x dOmega of each bin for one run without exclusion, s TeV sr."""
    lon, lat = fov_axes()
    solid_angle = np.outer(np.diff(lon.edges.to_value("rad")),
                           np.diff(np.sin(lat.edges.to_value("rad"))))
    de = ENERGY.bin_width.to_value("TeV")[:, None, None]
    return DURATION.to_value("s") * de * solid_angle


def truth_model():
    """The truth as the ready astropy model (a rate in s-1 TeV-1 sr-1, the fit's scale)."""
    shape = PowerLawEnergyxGaussian2DSpatial(amplitude=1.0, **TRUTH)
    expected_per_run = np.sum(shape(*bin_centres()) * bin_exposure_per_run())
    return PowerLawEnergyxGaussian2DSpatial(
        amplitude=TOTAL_EVENTS / N_RUNS / expected_per_run, **TRUTH)


def truth_rate(energy_axis=ENERGY):
    """The truth at the bin centres of ``energy_axis`` x the FoV grid, s-1 MeV-1 sr-1."""
    return truth_model()(*bin_centres(energy_axis)) * u.Unit("s-1 TeV-1 sr-1").to(
        "s-1 MeV-1 sr-1")


def truth_background():
    lon, lat = fov_axes()
    return Background3D(axes=[ENERGY, lon, lat], data=truth_rate(), unit="s-1 MeV-1 sr-1",
                        fov_alignment=FoVAlignment.ALTAZ)


def pointings_and_starts():
    angles = [0.0, 90.0, 180.0, 270.0][:N_RUNS]
    pointings = SkyCoord([SOURCE.directional_offset_by(a * u.deg, 0.5 * u.deg)
                          for a in angles])
    starts = START + np.arange(N_RUNS) * 15 * u.min
    altitude = SOURCE.transform_to(AltAz(obstime=starts, location=SITE)).alt
    assert altitude.min() > 45 * u.deg, "simulated runs must be well above the horizon"
    return pointings, starts


def simulate(folder, seed=3):
    """Write the runs to folder; returns the gammapy observations."""
    from gammapy.data import DataStore

    from baccmod.simulate import simulate_runs
    pointings, starts = pointings_and_starts()
    simulate_runs(folder, truth_background(), pointings, starts, DURATION, SITE, seed=seed)
    return DataStore.from_dir(folder).get_observations(required_irf=[])
