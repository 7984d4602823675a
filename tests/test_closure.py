"""Closure through gammapy: the 3D model, attached as ``bkg`` and projected on the sky by
gammapy's MapDatasetMaker, predicts the simulated counts outside the exclusion.

The simulated runs have no dead time, so gammapy's ontime-based prediction and our
livetime-based rate agree (see the README's note on livetime). gammapy reads each value as
the rate at the bin's log-centre, ours is the bin average; for the simulated E^-2 spectrum the
two coincide (README, "Energy bins").

"""
import numpy as np
import pytest
from astropy import units as u
from gammapy.irf import Background3D
from gammapy.makers import MapDatasetMaker
from gammapy.maps import WcsGeom

import simulation as sim
from baccmod import Grid3DAcceptanceMapCreator

MAX_OFFSET = 2.0 * u.deg


def predicted_and_observed(observations, model):
    """Per run: counts and predicted background maps, masked to the unexcluded field."""
    geom = WcsGeom.create(skydir=sim.SOURCE, width=5.5 * u.deg, binsz=0.05, frame="icrs",
                          axes=[sim.ENERGY_COARSE])
    outside = ~geom.to_image().region_mask([sim.EXCLUSION]).data
    results = []
    for obs in observations:
        obs.bkg = model
        counts = MapDatasetMaker.make_counts(geom, obs)
        background = MapDatasetMaker().make_background(geom, obs)
        pointing = obs.get_pointing_icrs(obs.tmid)
        near = geom.to_image().separation(pointing) < MAX_OFFSET
        mask = (outside & near)[None]
        results.append((counts.data * mask, background.data * mask))
    return results


@pytest.fixture(scope="module")
def model(simulated_observations):
    creator = Grid3DAcceptanceMapCreator(sim.ENERGY_COARSE, sim.OFFSET, oversample_map=5,
                                         exclude_regions=[sim.EXCLUSION])
    return creator.create_acceptance_map(simulated_observations)


def test_predicted_counts_per_energy_bin_within_2_percent(simulated_observations, model):
    results = predicted_and_observed(simulated_observations, model)
    counts = sum(c.sum(axis=(1, 2)) for c, _ in results)
    predicted = sum(p.sum(axis=(1, 2)) for _, p in results)
    # gammapy interpolates log(rate): from a model with N counts per bin its prediction is low
    # by ~1/(2N), so a 2 % closure needs >= 50 counts per spatial bin
    enough = counts > 50 * model.data[0].size
    assert enough.sum() >= 4
    np.testing.assert_allclose(predicted[enough], counts[enough], rtol=0.02)


def spatial_chi2(results, block=8):
    """Chi2 per degree of freedom of counts vs prediction in coarse sky blocks, per run."""
    chi2, n = 0.0, 0
    for counts, predicted in results:
        c = counts.sum(axis=0)
        p = predicted.sum(axis=0)
        ny, nx = (np.array(c.shape) // block) * block
        c = c[:ny, :nx].reshape(ny // block, block, nx // block, block).sum(axis=(1, 3))
        p = p[:ny, :nx].reshape(ny // block, block, nx // block, block).sum(axis=(1, 3))
        use = p > 50
        chi2 += np.sum((c[use] - p[use]) ** 2 / p[use])
        n += use.sum()
    return chi2 / n


def test_asymmetry_lands_on_the_right_side_of_the_sky(simulated_observations, model):
    good = spatial_chi2(predicted_and_observed(simulated_observations, model))
    flipped = Background3D(axes=model.axes, data=model.data[:, ::-1, :], unit=model.unit,
                           fov_alignment=model.fov_alignment)
    bad = spatial_chi2(predicted_and_observed(simulated_observations, flipped))
    assert good < 1.5
    assert bad > 2 * good
