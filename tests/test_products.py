"""Statistical errors and intermediate products of the models (baccmod.products).

Every model comes with its per-bin statistical error and what it was computed from (counts,
exposures with and without exclusions, the computation axis, the rate before energy
interpolation, a run table), from the creator and, with add_intermediary_output=True, in the
model's meta["baccmod"].
"""
import warnings

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.time import Time
from gammapy.maps import MapAxis

import simulation as sim
from baccmod import Grid3DAcceptanceMapCreator, RadialAcceptanceMapCreator
from baccmod.products import RUN_COLUMNS, ModelProducts
from observations import make_observation

RATE = u.Unit("s-1 MeV-1 sr-1")
ENERGY = MapAxis.from_energy_bounds(0.2, 5, 4, unit="TeV", name="energy")
ENERGY_FINE = MapAxis.from_energy_bounds(0.2, 5, 12, unit="TeV", name="energy")
OFFSET = MapAxis.from_bounds(0, 2, 4, unit="deg", name="offset")
POINTINGS = [(329.7, -30.2), (330.3, -30.5), (329.2, -29.8)]
MIN_EXPECTED = 100  # counts per bin for Gaussian pulls


@pytest.fixture(scope="module")
def small_runs():
    """Three in-memory runs with few events per bin."""
    return [make_observation(obs_id=10 + k, n_events=1500, duration=900.0, pointing=p, seed=k)
            for k, p in enumerate(POINTINGS)]


def radial(**options):
    options.setdefault("oversample_map", 2)
    return RadialAcceptanceMapCreator(ENERGY, OFFSET, **options)


def counted_by_hand(observations):
    """Counts per (energy, offset) bin and exposure (livetime x dE x ring solid angle, s MeV
    sr) of runs without exclusion, with astropy and numpy only."""
    counts, exposure = 0.0, 0.0
    energy_edges = ENERGY.edges.to_value("TeV")
    offset_edges = OFFSET.edges.to_value("deg")
    solid_angle = 2 * np.pi * -np.diff(np.cos(np.deg2rad(offset_edges)))
    de = ENERGY.bin_width.to_value("MeV")
    for obs in observations:
        events = obs.events.table
        offset = SkyCoord(events["RA"], events["DEC"]).separation(
            obs.get_pointing_icrs(obs.tmid)).deg
        counts = counts + np.histogram2d(events["ENERGY"].quantity.to_value("TeV"), offset,
                                         bins=[energy_edges, offset_edges])[0]
        livetime = obs.observation_live_time_duration.to_value("s")
        exposure = exposure + livetime * de[:, None] * solid_angle[None, :]
    return counts, exposure


# --- the error of a counted rate ------------------------------------------------------------

def test_the_error_is_sqrt_counts_over_exposure(small_runs):
    creator = radial()
    creator.create_acceptance_map(small_runs)
    counts, exposure = counted_by_hand(small_runs)
    assert counts.min() < 100  # few counts: the error matters
    expected = np.sqrt(counts) / exposure
    np.testing.assert_allclose(creator.rate_error.to_value(RATE), expected, rtol=1e-9)
    np.testing.assert_allclose(creator.products.rate_error.to_value(RATE), expected, rtol=1e-9)
    np.testing.assert_allclose(creator.products.rate_computation.to_value(RATE),
                               counts / exposure, rtol=1e-9)
    np.testing.assert_array_equal(creator.products.counts, counts)


@pytest.fixture(scope="module")
def simulated_3d(simulated_observations):
    """The 3D model of the shared simulated runs (known truth) with its creator."""
    creator = Grid3DAcceptanceMapCreator(sim.ENERGY, sim.OFFSET, oversample_map=10,
                                         exclude_regions=[sim.EXCLUSION])
    return creator, creator.create_acceptance_map(simulated_observations)


def test_pulls_against_the_truth_with_the_models_error_are_standard(simulated_3d):
    creator, model = simulated_3d
    truth = sim.truth_background().quantity.to_value(RATE)
    exposure = creator.products.exposure.to_value("s MeV sr")
    use = truth * exposure >= MIN_EXPECTED
    pulls = (model.quantity.to_value(RATE) - truth)[use] / creator.rate_error.to_value(RATE)[use]
    print(f"{pulls.size} pulls: mean {pulls.mean():+.3f}, std {pulls.std():.3f}")
    assert pulls.size >= 450
    assert abs(pulls.mean()) <= 0.1
    assert 0.9 <= pulls.std() <= 1.1


# --- the products -----------------------------------------------------------------------------

def test_products_are_consistent(simulated_3d):
    creator, model = simulated_3d
    products = creator.products
    assert isinstance(products, ModelProducts)
    exposed = products.exposure.value > 0
    np.testing.assert_allclose(products.rate_computation.value[exposed],
                               (products.counts / products.exposure.value)[exposed], rtol=1e-12)
    assert np.all(products.exposure_without_exclusions >= products.exposure * (1 - 1e-12))
    assert np.any(products.exposure_without_exclusions > 1.01 * products.exposure)  # excluded
    assert products.livetime == creator.livetime
    np.testing.assert_array_equal(products.counts, creator.counts)
    # the rate before energy interpolation is the model's here (same axes)
    np.testing.assert_array_equal(products.rate_computation.to_value(RATE),
                                  model.quantity.to_value(RATE))


def test_exposure_without_exclusions_is_livetime_times_bin_sizes(simulated_3d,
                                                                  simulated_observations):
    creator, _ = simulated_3d
    livetime = sum(o.observation_live_time_duration.to_value("s")
                   for o in simulated_observations)
    truth = sim.truth_background()
    lon, lat = (np.deg2rad(truth.axes[name].edges.to_value("deg"))
                for name in ("fov_lon", "fov_lat"))
    solid_angle = np.outer(np.diff(lon), np.diff(np.sin(lat)))
    expected = livetime * sim.ENERGY.bin_width.to_value("MeV")[:, None, None] * solid_angle
    np.testing.assert_allclose(
        creator.products.exposure_without_exclusions.to_value("s MeV sr"), expected, rtol=1e-9)


def test_the_run_table_describes_each_run(simulated_3d, simulated_observations):
    creator, _ = simulated_3d
    runs = creator.products.runs
    assert runs.colnames == list(RUN_COLUMNS)
    assert list(runs["OBS_ID"]) == [o.obs_id for o in simulated_observations]
    assert runs["LIVETIME"].sum() == pytest.approx(creator.livetime.to_value("s"), rel=1e-12)
    assert runs["COUNTS"].sum() == creator.products.counts.sum()
    for row, obs in zip(runs, simulated_observations):
        assert isinstance(row["TSTART"], Time)
        assert abs((row["TSTART"] - obs.tstart).to_value("s")) < 1e-3
        assert abs((row["TSTOP"] - obs.tstop).to_value("s")) < 1e-3
        pointing = obs.get_pointing_icrs(obs.tmid)
        assert row["RA_PNT"] == pytest.approx(pointing.ra.deg, abs=1e-9)
        assert row["DEC_PNT"] == pytest.approx(pointing.dec.deg, abs=1e-9)
        assert row["LIVETIME"] == pytest.approx(
            obs.observation_live_time_duration.to_value("s"), rel=1e-9)
        # every event of the run lies in the model's field except near the excluded source
        assert 0.9 * len(obs.events.table) < row["COUNTS"] <= len(obs.events.table)


def test_products_are_on_the_computation_axis_actually_used(small_runs):
    creator = radial(energy_axis_computation=ENERGY_FINE, dynamic_energy_axis=True,
                     dynamic_energy_axis_target_statistics=300)
    model = creator.create_acceptance_map(small_runs)
    products = creator.products
    used = products.energy_axis_computation
    assert used.nbin < ENERGY_FINE.nbin  # bins were merged
    assert used.is_allclose(creator.energy_axis_computation)
    assert products.counts.shape == products.exposure.shape == (used.nbin, OFFSET.nbin)
    assert products.rate_computation.shape == products.rate_computation_error.shape
    assert products.rate_error.shape == model.data.shape
    fixed = radial(energy_axis_computation=ENERGY_FINE)
    fixed.create_acceptance_map(small_runs)
    assert products.counts.sum() == fixed.products.counts.sum()
    assert fixed.products.energy_axis_computation.is_allclose(ENERGY_FINE)


# --- meta["baccmod"] --------------------------------------------------------------------------

def test_without_intermediary_output_meta_holds_no_products(small_runs):
    creator = radial(min_run_per_cos_zenith_bin=1)
    assert "baccmod" not in creator.create_acceptance_map(small_runs).meta
    collection = creator.create_model_cos_zenith_binned(small_runs)
    assert all("baccmod" not in model.meta for model in collection.values())
    models = creator.create_acceptance_map_per_observation(small_runs)
    assert all("baccmod" not in model.meta for model in models.values())


def test_with_intermediary_output_the_model_carries_its_products(small_runs, tmp_path):
    creator = radial(add_intermediary_output=True)
    model = creator.create_acceptance_map(small_runs)
    meta = model.meta["baccmod"]
    assert set(meta) == set(ModelProducts.__dataclass_fields__)
    np.testing.assert_array_equal(meta["counts"], creator.products.counts)
    np.testing.assert_array_equal(meta["rate_error"], creator.rate_error)
    assert list(meta["runs"]["OBS_ID"]) == [10, 11, 12]
    # astropy cannot write the dict: it says so and writes the model without it
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.write(tmp_path / "model.fits")
    assert any("baccmod" in str(w.message) for w in caught)
    read = type(model).read(tmp_path / "model.fits")
    np.testing.assert_array_equal(read.data, model.data)


def test_the_option_is_a_checked_flag():
    with pytest.raises(TypeError, match="add_intermediary_output"):
        radial(add_intermediary_output="yes")
    assert radial().add_intermediary_output is False


# --- zenith collections ---------------------------------------------------------------------

def test_each_zenith_bin_has_its_products_and_the_collection_its_error(zenith_observations):
    creator = radial(min_run_per_cos_zenith_bin=4, add_intermediary_output=True)
    collection = creator.create_model_cos_zenith_binned(zenith_observations)
    products = creator.products
    assert sorted(products) == list(collection) and len(collection) >= 3
    for b in creator.zenith_bins:
        bin_products = products[b.zenith_deg]
        np.testing.assert_array_equal(collection.get_error(b.zenith_deg),
                                      bin_products.rate_error)
        np.testing.assert_array_equal(bin_products.counts, b.cube.counts)
        assert list(bin_products.runs["OBS_ID"]) == b.obs_ids
        assert bin_products.runs["LIVETIME"].sum() == pytest.approx(b.livetime, rel=1e-12)
        assert bin_products.runs["COUNTS"].sum() == b.cube.counts.sum()
        assert "rate_error" in collection[b.zenith_deg].meta["baccmod"]
    livetime = sum(p.livetime for p in products.values())
    expected = sum(o.observation_live_time_duration for o in zenith_observations)
    assert livetime.to_value("s") == pytest.approx(expected.to_value("s"), rel=1e-9)


def test_a_run_split_between_bins_is_in_each_bins_table(zenith_observations):
    creator = radial(min_run_per_cos_zenith_bin=3, zenith_binning_run_splitting=True,
                     initial_cos_zenith_binning=0.005)
    creator.create_model_cos_zenith_binned(zenith_observations)
    tables = [p.runs for p in creator.products.values()]
    obs_ids = np.concatenate([t["OBS_ID"] for t in tables])
    assert len(obs_ids) > len(set(obs_ids))  # some run gave pieces to two bins
    total = {o.obs_id: o.observation_live_time_duration.to_value("s")
             for o in zenith_observations}
    for obs_id in set(obs_ids):
        pieces = sum(t["LIVETIME"][t["OBS_ID"] == obs_id].sum() for t in tables)
        assert pieces == pytest.approx(total[obs_id], rel=1e-9)


def test_azimuth_split_products_are_per_side(zenith_observations):
    creator = radial(azimuth_east_west_splitting=True, min_run_per_cos_zenith_bin=2)
    split = creator.create_model_cos_zenith_binned(zenith_observations)
    assert set(creator.products) == {"east", "west"}
    for side in ("east", "west"):
        assert sorted(creator.products[side]) == list(getattr(split, side))
        assert getattr(split, side).has_errors()


# --- per-run models ---------------------------------------------------------------------------

def test_per_run_error_is_the_base_models_scaled_by_the_norm(small_runs):
    creator = radial(add_intermediary_output=True)
    models = creator.create_acceptance_map_per_observation(small_runs)
    stacked_error = creator.products.rate_error
    for row in creator.normalisation_table:
        error = creator.per_run_rate_error[row["OBS_ID"]]
        np.testing.assert_allclose(error, row["NORM"] * stacked_error, rtol=1e-12)
        meta = models[row["OBS_ID"]].meta["baccmod"]
        np.testing.assert_array_equal(meta["rate_error"], error)
        assert meta["normalisation"]["NORM"] == row["NORM"]
        assert meta["base_products"] is creator.products


def test_per_run_error_of_the_closest_zenith_bin(zenith_observations):
    creator = radial(min_run_per_cos_zenith_bin=4)
    models = creator.create_acceptance_map_per_observation(zenith_observations,
                                                           zenith_binning=True)
    collection = creator.create_model_cos_zenith_binned(zenith_observations)
    table = creator.normalisation_table
    for obs in zenith_observations[::5]:
        row = table[table["OBS_ID"] == obs.obs_id][0]
        base = models[obs.obs_id].quantity / row["NORM"]
        zenith = next(z for z in collection
                      if np.allclose(collection[z].quantity, base, rtol=1e-9))
        np.testing.assert_allclose(creator.per_run_rate_error[obs.obs_id],
                                   row["NORM"] * collection.get_error(zenith), rtol=1e-12)


def test_per_run_models_of_a_given_model_have_no_known_error(small_runs):
    base = radial().create_acceptance_map(small_runs)
    creator = radial()
    creator.create_acceptance_map_per_observation(small_runs, base_model=base)
    assert creator.per_run_rate_error == {10: None, 11: None, 12: None}
    assert creator.products is None


def test_per_run_models_of_a_read_collection_take_its_errors(zenith_observations, tmp_path):
    creator = radial(min_run_per_cos_zenith_bin=4)
    creator.create_model_cos_zenith_binned(zenith_observations).write(tmp_path / "c.fits")
    from baccmod import BackgroundCollectionZenith
    collection = BackgroundCollectionZenith.read(tmp_path / "c.fits")
    creator.create_acceptance_map_per_observation(
        zenith_observations[:3], zenith_interpolation=True, base_model=collection,
        runwise_normalisation=False)
    for error in creator.per_run_rate_error.values():
        assert error.unit == RATE and np.all(np.isfinite(error)) and error.value.max() > 0

