"""Per-run models: zenith binning and interpolation, mini-IRFs and run-wise normalisation,
on simulated runs whose background rate is proportional to cos(zenith) (zenith_simulation)."""
import logging

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import AltAz

from baccmod import RadialAcceptanceMapCreator
from baccmod.collection import BackgroundCollectionZenith
from simulation import SITE
from zenith_simulation import DURATION, ENERGY, OFFSET, base_background, simulate

THRESHOLD = 3600.0


@pytest.fixture
def zenith_runs(zenith_observations):
    return zenith_observations


def creator(**options):
    options.setdefault("oversample_map", 2)
    return RadialAcceptanceMapCreator(ENERGY, OFFSET, **options)


def run_cos_zenith(obs):
    """cos(zenith) of a run's pointing at its mid-time, by astropy."""
    return float(np.sin(obs.get_pointing_altaz(obs.tmid).alt.rad))


def test_min_livetime_bins_close_as_soon_as_the_livetime_is_reached(zenith_runs):
    maker = creator(cos_zenith_binning_method="min_livetime",
                    cos_zenith_binning_parameter_value=THRESHOLD)
    collection = maker.create_model_cos_zenith_binned(zenith_runs)
    bins = maker.zenith_bins
    assert len(collection) == len(bins) >= 3
    cos_z = {obs.obs_id: run_cos_zenith(obs) for obs in zenith_runs}
    livetime = {obs.obs_id: obs.observation_live_time_duration.to_value("s")
                for obs in zenith_runs}
    for b in bins:
        assert b.livetime >= THRESHOLD
        members = [i for i in cos_z if b.cos_zenith_low <= cos_z[i] < b.cos_zenith_high]
        assert sorted(members) == b.obs_ids
        # closed as soon as reached: without its top fine bin's runs it had too little livetime
        top = [i for i in members if cos_z[i] >= b.cos_zenith_high - 0.01]
        if b is not bins[-1]:
            assert sum(livetime[i] for i in members if i not in top) < THRESHOLD
        # the bin's zenith: arccos of the livetime-weighted mean cos(zenith) of its runs
        mean = np.average([cos_z[i] for i in members], weights=[livetime[i] for i in members])
        assert np.degrees(np.arccos(mean)) == pytest.approx(b.zenith_deg, abs=1e-3)
    assert sorted(i for b in bins for i in b.obs_ids) == sorted(cos_z)


def test_min_n_observation_per_wobble_needs_every_wobble(zenith_runs):
    maker = creator(cos_zenith_binning_method="min_n_observation_per_wobble",
                    cos_zenith_binning_parameter_value=1)
    maker.create_model_cos_zenith_binned(zenith_runs)
    for b in maker.zenith_bins:
        assert len(b.livetime_per_wobble) == 4  # each closed bin holds all four wobbles
    assert len(maker.zenith_bins) == 4  # 16 runs cycling through 4 wobbles


def test_seed_name_min_run_per_cos_zenith_bin(zenith_runs):
    maker = creator(min_run_per_cos_zenith_bin=5)
    maker.create_model_cos_zenith_binned(zenith_runs)
    assert maker.cos_zenith_binning_method == "min_n_observation"
    assert all(len(b.obs_ids) >= 5 for b in maker.zenith_bins)


def test_interpolated_model_at_a_held_out_zenith_matches_the_truth(zenith_runs):
    held_out = zenith_runs[7]
    others = [obs for obs in zenith_runs if obs.obs_id != held_out.obs_id]
    maker = creator(min_run_per_cos_zenith_bin=3)
    collection = maker.create_model_cos_zenith_binned(others)
    zenith = np.degrees(np.arccos(run_cos_zenith(held_out)))
    assert collection.get_zenith().min() < zenith * u.deg < collection.get_zenith().max()
    model = collection.get_interpolated_model(zenith).quantity.to_value("s-1 MeV-1 sr-1")
    truth = base_background().quantity.to_value("s-1 MeV-1 sr-1") * np.cos(np.radians(zenith))
    # statistical error: that of the two neighbouring bins (the least populated one)
    below = max((b for b in maker.zenith_bins if b.zenith_deg < zenith),
                key=lambda b: b.zenith_deg)
    above = min((b for b in maker.zenith_bins if b.zenith_deg > zenith),
                key=lambda b: b.zenith_deg)
    counts = np.minimum(below.cube.counts, above.cube.counts)
    populated = counts >= 100
    pulls = (model - truth)[populated] / (truth[populated] / np.sqrt(counts[populated]))
    assert populated.sum() >= 8
    assert np.all(np.abs(pulls) < 4)
    total = (model[populated].sum() / truth[populated].sum() - 1) * np.sqrt(counts.sum())
    assert abs(total) < 3


def test_mini_irf_is_the_time_weighted_mean_of_the_closest_bin_models(zenith_runs):
    maker = creator(min_run_per_cos_zenith_bin=2, use_mini_irf_computation=True,
                    mini_irf_time_resolution=2 * u.min)
    collection = maker.create_model_cos_zenith_binned(zenith_runs)
    models = maker.create_acceptance_map_per_observation(
        zenith_runs, runwise_normalisation=False, zenith_binning=True, base_model=collection)
    nodes = np.cos(collection.get_zenith()).value
    crossing = 0
    for obs in zenith_runs:
        # 10 pieces of 2 min; each takes the bin closest in cos(zenith) at its mid-time
        mids = obs.tstart + (np.arange(10) + 0.5) * DURATION / 10
        cos_z = np.sin(obs.get_pointing_icrs(obs.tmid).transform_to(
            AltAz(obstime=mids, location=SITE)).alt.rad)
        chosen = np.argmin(np.abs(cos_z[:, None] - nodes[None, :]), axis=1)
        crossing += len(set(chosen)) > 1
        expected = np.mean([collection[z].data for z in collection.get_zenith()[chosen]], axis=0)
        assert np.allclose(models[obs.obs_id].data, expected, rtol=1e-9)
    assert crossing >= 2  # runs whose pieces fall in different bins


def test_runwise_norm_recovers_a_known_scale(zenith_runs, tmp_path):
    scaled = simulate(tmp_path, seed=11, n_runs=4, obs_id_start=101, scale=0.8)
    maker = creator(min_run_per_cos_zenith_bin=3)
    models = maker.create_acceptance_map_per_observation(
        scaled, zenith_interpolation=True, off_observations=zenith_runs)
    assert maker.zenith_bins is not None  # zenith_interpolation implies zenith binning
    table = maker.normalisation_table
    assert list(table["OBS_ID"]) == [101, 102, 103, 104]
    assert np.all(table["FITTED"])
    pulls = (table["NORM"] - 0.8) / table["NORM_ERR"]
    assert np.all(np.abs(pulls) < 3.5), table
    assert abs(np.mean(pulls)) < 3 / np.sqrt(len(pulls))
    for obs_id, model in models.items():
        assert np.all(np.isfinite(model.data)) and model.data.max() > 0
    # the model is scaled by the norm: its prediction equals the run's counts
    row = table[0]
    assert row["NORM"] * row["PREDICTED"] == pytest.approx(row["COUNTS"], rel=1e-9)


def test_per_run_models_default_to_the_stacked_model_with_norms(zenith_runs):
    maker = creator()
    models = maker.create_acceptance_map_per_observation(zenith_runs[:4])
    stacked = creator().create_acceptance_map(zenith_runs[:4])
    for row in maker.normalisation_table:
        ratio = models[row["OBS_ID"]].data / stacked.data
        assert np.allclose(ratio[stacked.data > 0], row["NORM"], rtol=1e-9)
    assert np.all(maker.normalisation_table["FITTED"])


def test_runwise_norm_is_what_gammapys_fov_background_maker_fits(zenith_runs):
    """Closure: gammapy's own prediction and fitted norm for a run with the stacked model,
    both over the model's whole energy range."""
    from gammapy.datasets import MapDataset
    from gammapy.makers import FoVBackgroundMaker, MapDatasetMaker
    from gammapy.maps import Map, WcsGeom
    maker = creator(runwise_normalisation_energy_range=tuple(ENERGY.edges[[0, -1]]))
    maker.create_acceptance_map_per_observation(zenith_runs[:4])
    stacked = creator().create_acceptance_map(zenith_runs[:4])
    obs = zenith_runs[2]
    obs.bkg = stacked
    geom = WcsGeom.create(skydir=obs.get_pointing_icrs(obs.tmid), width=4.2, binsz=0.02,
                          frame="icrs", axes=[ENERGY])
    # the simulated runs have no effective area, which MapDatasetMaker.run needs: make the
    # counts and background maps directly
    background = MapDatasetMaker().make_background(geom, obs)
    inside = geom.separation(obs.get_pointing_icrs(obs.tmid)) < OFFSET.edges[-1]
    mask = Map.from_geom(geom, data=np.broadcast_to(inside, geom.data_shape))
    dataset = MapDataset(counts=MapDatasetMaker.make_counts(geom, obs), background=background,
                         mask_safe=mask)
    npred = background.data[mask.data].sum()
    norm = FoVBackgroundMaker(method="fit").run(dataset).background_model.spectral_model.norm
    row = maker.normalisation_table[maker.normalisation_table["OBS_ID"] == obs.obs_id][0]
    assert row["PREDICTED"] == pytest.approx(npred, rel=5e-3)  # pixels vs exact rings
    assert row["NORM"] == pytest.approx(norm.value, abs=0.5 * row["NORM_ERR"])


def test_base_model_is_used_and_off_observations_ignored_with_a_warning(zenith_runs, caplog):
    base = creator().create_acceptance_map(zenith_runs[:2])
    maker = creator()
    with caplog.at_level(logging.WARNING, logger="baccmod"):
        models = maker.create_acceptance_map_per_observation(
            zenith_runs[2:4], base_model=base, off_observations=zenith_runs[4:6],
            runwise_normalisation=False)
    assert "base_model is used" in caplog.text
    assert all(np.array_equal(m.data, base.data) for m in models.values())


def test_interpolation_outside_the_collection_warns_once_per_run(zenith_runs, caplog):
    maker = creator(min_run_per_cos_zenith_bin=3)
    collection = maker.create_model_cos_zenith_binned(zenith_runs[8:])  # lower zenith only
    mini = creator(use_mini_irf_computation=True, mini_irf_time_resolution=2 * u.min)
    with caplog.at_level(logging.WARNING, logger="baccmod"):
        models = mini.create_acceptance_map_per_observation(
            zenith_runs[:2], zenith_interpolation=True, base_model=collection)
    extrapolating = [r.message for r in caplog.records if "extrapolating" in r.message]
    assert len(extrapolating) == 2  # one per run, not one per mini-IRF piece
    assert extrapolating[0].startswith(f"run {zenith_runs[0].obs_id}: zenith")
    assert all(np.all(np.isfinite(m.data)) for m in models.values())


def test_azimuth_split_gives_a_collection_per_side(zenith_runs):
    maker = creator(min_run_per_cos_zenith_bin=3, azimuth_east_west_splitting=True)
    split = maker.create_model_cos_zenith_binned(zenith_runs)
    # the source culminates during the night: runs on both sides of the meridian
    assert len(split.east) >= 1 and len(split.west) >= 1
    models = maker.create_acceptance_map_per_observation(zenith_runs, zenith_binning=True,
                                                         base_model=split)
    assert all(np.all(np.isfinite(m.data)) and m.data.max() > 0 for m in models.values())


def test_collection_is_a_background_collection_zenith(zenith_runs):
    collection = creator(min_run_per_cos_zenith_bin=8).create_model_cos_zenith_binned(zenith_runs)
    assert isinstance(collection, BackgroundCollectionZenith)
    assert len(collection) == 2


def test_run_splitting_shares_a_run_between_the_bins_it_crosses(zenith_runs):
    plain = creator(min_run_per_cos_zenith_bin=3)
    plain.create_model_cos_zenith_binned(zenith_runs)
    split = creator(min_run_per_cos_zenith_bin=3, zenith_binning_run_splitting=True)
    split.create_model_cos_zenith_binned(zenith_runs)
    total = sum(obs.observation_live_time_duration.to_value("s") for obs in zenith_runs)
    counts = sum(b.cube.counts.sum() for b in plain.zenith_bins)
    for maker in (plain, split):
        assert sum(b.livetime for b in maker.zenith_bins) == pytest.approx(total, rel=1e-9)
        assert sum(b.cube.counts.sum() for b in maker.zenith_bins) == counts
    shared = [i for i in {i for b in split.zenith_bins for i in b.obs_ids}
              if sum(i in b.obs_ids for b in split.zenith_bins) > 1]
    assert shared, "some runs cross a bin edge and are split between bins"
    assert all(sum(i in b.obs_ids for b in plain.zenith_bins) == 1
               for i in {i for b in plain.zenith_bins for i in b.obs_ids})


def test_verbose_prints_the_bins_and_draws_their_livetime(zenith_runs, capsys):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.close("all")
    maker = creator(cos_zenith_binning_method="min_livetime_per_wobble",
                    cos_zenith_binning_parameter_value=1200, verbose=True)
    maker.create_model_cos_zenith_binned(zenith_runs)
    printed = capsys.readouterr().out
    assert printed.count("zenith bin: cos zenith") == len(maker.zenith_bins)
    assert "wobble 3:" in printed and "runs [" in printed
    # one bar segment per bin and wobble, stacked to the bin's livetime
    patches = plt.gca().patches
    assert len(patches) == 4 * len(maker.zenith_bins)
    for k, b in enumerate(maker.zenith_bins):
        segments = patches[k::len(maker.zenith_bins)]
        assert [p.get_height() for p in segments] == pytest.approx(
            [b.livetime_per_wobble.get(w, 0.0) / 3600 for w in range(4)])
        assert segments[-1].get_y() + segments[-1].get_height() == pytest.approx(
            b.livetime / 3600)
    plt.close("all")


def test_create_acceptance_model_gives_a_model_or_a_collection(zenith_runs):
    maker = creator(min_run_per_cos_zenith_bin=4)
    model = maker.create_acceptance_model(zenith_runs[:4])
    assert np.array_equal(model.data, creator().create_acceptance_map(zenith_runs[:4]).data)
    binned = maker.create_acceptance_model(zenith_runs, zenith_binning=True)
    assert isinstance(binned, BackgroundCollectionZenith) and len(binned) == 4


def test_3d_azimuth_split_models_stay_altaz_aligned(zenith_runs):
    from gammapy.irf import FoVAlignment

    from baccmod import Grid3DAcceptanceMapCreator
    maker = Grid3DAcceptanceMapCreator(ENERGY, OFFSET, oversample_map=2,
                                       azimuth_east_west_splitting=True)
    split = maker.create_acceptance_model(zenith_runs[4:12])
    sides = {b.side for b in maker.zenith_bins}
    assert sides == {0, 1}  # runs on both sides of the meridian, each side its own model
    models = maker.create_acceptance_map_per_observation(zenith_runs[4:12], base_model=split)
    for model in list(split.east.values()) + list(split.west.values()) + list(models.values()):
        assert model.fov_alignment == FoVAlignment.ALTAZ
        assert np.all(np.isfinite(model.data)) and model.data.max() > 0
