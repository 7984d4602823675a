"""rate_per: models per livetime (default) or per observation time, checked through gammapy.

Simulated runs with a known radial background and 20 % dead time (livetime = 0.8 x ontime):
the background events are drawn at the true rate per livetime, and gammapy's
``MapDatasetMaker`` multiplies a bkg IRF by the run's observation time (its GTI sum). So the
per-observation-time model predicts the simulated counts, the per-livetime one predicts
ontime / livetime = 1.25 times as many, and run-wise normalised models are the same either way.
"""
import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.time import Time
from gammapy.data import DataStore
from gammapy.irf import Background2D
from gammapy.makers import MapDatasetMaker
from gammapy.maps import MapAxis, WcsGeom

from baccmod import RadialAcceptanceMapCreator
from baccmod.simulate import simulate_runs
from simulation import SITE

ENERGY = MapAxis.from_energy_bounds(0.3, 10, 3, unit="TeV", name="energy")
OFFSET = MapAxis.from_bounds(0, 2, 4, unit="deg", name="offset")
DEAD_TIME = 0.2
DURATION = 20 * u.min
MAX_OFFSET = 1.9 * u.deg


def truth():
    """Background2D, E^-2 (gammapy's log-centre reading equals the bin mean), falling with
    offset; ~10^4-10^5 events per energy bin and run."""
    energy = ENERGY.center.to_value("TeV")[:, None]
    offset = OFFSET.center.to_value("deg")[None, :]
    rate = 1e-2 * energy ** -2.0 * np.exp(-offset ** 2 / 2)
    return Background2D(axes=[ENERGY, OFFSET], data=rate, unit="s-1 MeV-1 sr-1")


@pytest.fixture(scope="module")
def dead_time_runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dead_time_runs")
    pointings = SkyCoord([329.2, 330.2, 329.7, 329.7], [-30.2, -30.2, -29.7, -30.7],
                         unit="deg")
    starts = Time("2023-07-01T22:30:00", scale="utc") + np.arange(4) * 25 * u.min
    simulate_runs(folder, truth(), pointings, starts, DURATION, SITE, seed=7,
                  deadtime_fraction=DEAD_TIME)
    return DataStore.from_dir(folder).get_observations(required_irf=[])


def gammapy_counts_and_prediction(observation, model):
    """Counts and MapDatasetMaker's predicted background within MAX_OFFSET of the pointing,
    per energy bin."""
    pointing = observation.get_pointing_icrs(observation.tmid)
    geom = WcsGeom.create(skydir=pointing, width=4.2 * u.deg, binsz=0.05, frame="icrs",
                          axes=[ENERGY])
    observation.bkg = model
    inside = (geom.to_image().separation(pointing) < MAX_OFFSET)[None]
    counts = MapDatasetMaker.make_counts(geom, observation).data * inside
    predicted = MapDatasetMaker().make_background(geom, observation).data * inside
    return counts.sum(axis=(1, 2)), predicted.sum(axis=(1, 2))


def creator(rate_per):
    return RadialAcceptanceMapCreator(ENERGY, OFFSET, oversample_map=2, rate_per=rate_per)


@pytest.fixture(scope="module")
def stacked(dead_time_runs):
    return {rate_per: creator(rate_per).create_acceptance_map(dead_time_runs)
            for rate_per in ("livetime", "observation_time")}


def test_gammapy_predicts_the_simulated_counts_from_the_per_observation_time_model(
        dead_time_runs, stacked):
    totals = np.sum([gammapy_counts_and_prediction(obs, stacked["observation_time"])
                     for obs in dead_time_runs], axis=0)
    counts, predicted = totals
    # ~10^4-10^5 counts per bin: Poisson 1 %; gammapy's log-log reading adds ~1/(2N)
    np.testing.assert_allclose(predicted, counts, rtol=0.03)


def test_the_per_livetime_model_predicts_ontime_over_livetime_times_as_much(
        dead_time_runs, stacked):
    expected_factor = 1 / (1 - DEAD_TIME)
    for obs in dead_time_runs:
        live_fraction = (obs.observation_live_time_duration / obs.observation_time_duration)
        assert live_fraction.to_value("") == pytest.approx(1 - DEAD_TIME)
        _, per_livetime = gammapy_counts_and_prediction(obs, stacked["livetime"])
        _, per_observation_time = gammapy_counts_and_prediction(obs, stacked["observation_time"])
        np.testing.assert_allclose(per_livetime / per_observation_time, expected_factor,
                                   rtol=1e-9)


def test_the_models_record_what_their_rates_are_per(stacked, tmp_path):
    for rate_per, model in stacked.items():
        assert model.meta["RATE_PER"] == rate_per
        model.write(tmp_path / f"{rate_per}.fits")
        assert Background2D.read(tmp_path / f"{rate_per}.fits").meta["RATE_PER"] == rate_per


def test_runwise_normalised_models_are_the_same_either_way(dead_time_runs):
    models = {rate_per: creator(rate_per).create_acceptance_map_per_observation(dead_time_runs)
              for rate_per in ("livetime", "observation_time")}
    for obs in dead_time_runs:
        np.testing.assert_allclose(models["livetime"][obs.obs_id].data,
                                   models["observation_time"][obs.obs_id].data, rtol=1e-9)


def test_a_base_model_of_the_other_convention_is_refused(dead_time_runs, stacked):
    with pytest.raises(ValueError, match="RATE_PER.*rate_per='livetime'"):
        creator("observation_time").create_acceptance_map_per_observation(
            dead_time_runs, base_model=stacked["livetime"])


@pytest.mark.parametrize("value", ["ontime", None, 1])
def test_rate_per_is_checked_in_the_constructor(value):
    with pytest.raises(ValueError, match="rate_per must be one of 'livetime', "
                                         "'observation_time'"):
        creator(value)
