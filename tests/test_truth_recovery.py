"""Truth recovery on simulated runs with a known, not radially symmetric background.

Pulls (model - truth) / sigma over bins with >= 100 expected counts must have
|mean| <= 0.1 and a standard deviation in [0.9, 1.1], with sigma the Poisson error of the
bin's expected counts. The 2D truth is the exposure-weighted mean of the injected 3D rate over
each ring's unexcluded area and the runs' time, computed here independently with gammapy's
FoVAltAzFrame.
"""
import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord, SkyOffsetFrame
from gammapy.utils.coordinates import FoVAltAzFrame

import simulation as sim
from baccmod import Grid3DAcceptanceMapCreator, RadialAcceptanceMapCreator

MIN_EXPECTED = 100


def pulls(model, truth, exposure):
    expected = truth * exposure
    use = expected >= MIN_EXPECTED
    sigma = np.sqrt(expected[use]) / exposure[use]
    return (model[use] - truth[use]) / sigma


def assert_pulls_are_standard(values):
    print(f"{values.size} pulls: mean {values.mean():+.3f}, std {values.std():.3f}")
    assert values.size >= 450  # enough bins for |mean| <= 0.1 to be a > 2 sigma criterion
    assert abs(values.mean()) <= 0.1, values.mean()
    assert 0.9 <= values.std() <= 1.1, values.std()


def test_enough_events_for_the_specification(simulated_observations):
    assert len(simulated_observations) >= 10
    assert sum(len(o.events.table) for o in simulated_observations) >= 100_000


def test_3d_model_recovers_the_injected_background(simulated_observations):
    creator = Grid3DAcceptanceMapCreator(sim.ENERGY, sim.OFFSET, oversample_map=10,
                                         exclude_regions=[sim.EXCLUSION])
    model = creator.create_acceptance_map(simulated_observations)
    truth = sim.truth_background().quantity.to_value("s-1 MeV-1 sr-1")
    assert_pulls_are_standard(pulls(model.quantity.to_value("s-1 MeV-1 sr-1"), truth,
                                    creator.exposure))


def ring_truth(observations, n_nodes=12, n_cells=240):
    """Exposure-weighted mean injected rate in each offset ring, shape (n_energy, n_offset)."""
    truth = sim.truth_background()
    data = truth.quantity.to_value("s-1 MeV-1 sr-1")
    lon_edges = truth.axes["fov_lon"].edges.to_value("deg")
    lat_edges = truth.axes["fov_lat"].edges.to_value("deg")
    offset_edges = sim.OFFSET_2D.edges.to_value("deg")
    # cells on a fine grid of the sky-aligned FoV, with their solid angle and ring
    c = (np.arange(n_cells) + 0.5) / n_cells * 2 * offset_edges[-1] - offset_edges[-1]
    gx, gy = np.meshgrid(c, c, indexing="ij")
    offset = np.rad2deg(np.arccos(np.cos(np.deg2rad(gx)) * np.cos(np.deg2rad(gy))))
    ring = np.digitize(offset, offset_edges) - 1
    inside = (ring >= 0) & (ring < len(offset_edges) - 1)
    gx, gy, ring = gx[inside], gy[inside], ring[inside]
    d_omega = np.cos(np.deg2rad(gy))  # lon/lat cells of equal size: weight cos(lat)
    numerator = np.zeros((data.shape[0], len(offset_edges) - 1))
    denominator = np.zeros(len(offset_edges) - 1)
    for obs in observations:
        pointing = obs.get_pointing_icrs(obs.tmid)
        sky = SkyCoord(-gx * u.deg, gy * u.deg,
                       frame=SkyOffsetFrame(origin=pointing)).icrs
        keep = sky.separation(sim.SOURCE) > sim.EXCLUSION.radius
        livetime = obs.observation_live_time_duration.to_value("s")
        times = obs.tstart + (np.arange(n_nodes) + 0.5) / n_nodes * (obs.tstop - obs.tstart)
        for time in times:
            frame = FoVAltAzFrame(origin=obs.get_pointing_altaz(time),
                                  location=obs.observatory_earth_location, obstime=time)
            fov = sky[keep].transform_to(frame)
            ix = np.digitize(fov.fov_lon.wrap_at(180 * u.deg).deg, lon_edges) - 1
            iy = np.digitize(fov.fov_lat.deg, lat_edges) - 1
            w = d_omega[keep] * livetime / n_nodes
            for k in range(len(offset_edges) - 1):
                sel = ring[keep] == k
                numerator[:, k] += (data[:, ix[sel], iy[sel]] * w[sel]).sum(axis=1)
                denominator[k] += w[sel].sum()
    return numerator / denominator


def test_2d_model_recovers_the_exposure_weighted_ring_average(simulated_observations):
    creator = RadialAcceptanceMapCreator(sim.ENERGY_FINE, sim.OFFSET_2D, oversample_map=10,
                                         exclude_regions=[sim.EXCLUSION])
    model = creator.create_acceptance_map(simulated_observations)
    per_truth_bin = sim.ENERGY_FINE.nbin // sim.ENERGY.nbin
    truth = np.repeat(ring_truth(simulated_observations), per_truth_bin, axis=0)
    assert_pulls_are_standard(pulls(model.quantity.to_value("s-1 MeV-1 sr-1"), truth,
                                    creator.exposure))


def test_the_3d_model_shows_the_injected_gradient_on_the_right_side(simulated_observations):
    creator = Grid3DAcceptanceMapCreator(sim.ENERGY, sim.OFFSET, oversample_map=5,
                                         exclude_regions=[sim.EXCLUSION])
    model = creator.create_acceptance_map(simulated_observations).data
    half = model.shape[1] // 2
    east, west = model[:5, :half, :].sum(), model[:5, half:, :].sum()  # fov_lon < 0 vs > 0
    truth = sim.truth_background().data
    expected_ratio = truth[:5, half:, :].sum() / truth[:5, :half, :].sum()
    assert expected_ratio > 1.3
    assert west / east == pytest.approx(expected_ratio, rel=0.05)
