"""H.E.S.S. DL3 DR1: a 3D model from the OFF runs lets gammapy predict the PKS 2155-304 counts.

Issue 8, item 5. A 3D model (0.25 deg FoV bins, 0.1-100 TeV at 5 bins per decade) is built
from the 45 OFF runs in 5 zenith bins, interpolated in cos(zenith) to each of the 21
PKS 2155-304 runs and given to gammapy's ``MapDatasetMaker`` as the run's ``bkg``. Outside a
0.4 deg circle around PKS 2155-304 and within 2 deg of the pointing, the counts summed over
the 21 runs must match the predicted background within 5 % in every 1-10 TeV bin.

How the prediction is compared: the rates are per unit livetime while ``MapDatasetMaker``
multiplies them by the ontime, so each run's prediction is scaled by its live fraction
(livetime / ontime). No run-wise norm is fitted: baccmod's norm is taken over the model's
whole energy range, where the 0.25-1 TeV counts of these runs (near the threshold; 15 of
them are of the 2006 flare) are 18-27 % above the fitted OFF-run model's prediction and would
scale the 1-10 TeV prediction with them.

Statistical errors: the compared bins hold 6906, 4026, 2653, 1692 and 1070 counts (Poisson
errors 1.2, 1.6, 1.9, 2.4 and 3.1 %); the OFF runs hold 3-4 times more events in the same
energy bins.

OFF runs: the DR1 runs whose target (OBJECT) is none of PKS 2155-304, MSH 15-52
("MSH 15-5-02", "MSH15-52"), RX J1713.7-3946 and the Crab Nebula (49 runs), less the 4 whose
pointing lies within 2 deg of one of these targets (a "custom" run on MSH 15-52 and three
Galactic-plane runs next to RX J1713.7-3946): 45 runs. A 0.4 deg circle around each OFF
run's target is excluded as well.

This work made use of data from the H.E.S.S. DL3 public test data release 1 (HESS DL3 DR1,
H.E.S.S. collaboration, 2018), licensed CC BY 4.0.
"""
import importlib.util

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.modeling.functional_models import Gaussian2D
from gammapy.datasets import MapDataset
from gammapy.makers import MapDatasetMaker, SafeMaskMaker
from gammapy.maps import MapAxis, WcsGeom
from regions import CircleSkyRegion

from baccmod import Grid3DAcceptanceMapCreator
from baccmod.adapters.irf import with_background
from conftest import PKS2155

ENERGY = MapAxis.from_energy_bounds(0.1, 100, 5, per_decade=True, unit="TeV", name="energy")
FINE_ENERGY = MapAxis.from_energy_bounds(0.1, 100, 20, per_decade=True, unit="TeV",
                                         name="energy")
OFFSET = MapAxis.from_bounds(0, 2.5, 10, unit="deg", name="offset")  # 0.25 deg FoV bins
COMPARED_ENERGY = MapAxis.from_energy_bounds(1, 10, 5, unit="TeV", name="energy")
SOURCE = SkyCoord(*PKS2155, unit="deg")
EXCLUSION_RADIUS = 0.4 * u.deg
COMPARED_OFFSET_MAX = 2.0 * u.deg
TOLERANCE = 0.05
ON_TARGETS = ("PKS 2155-304", "MSH 15-5-02", "MSH15-52", "RXJ 1713.7-3946", "Crab Nebula")
MIN_OFF_SEPARATION = 2 * u.deg
#: 8 OFF runs per zenith bin make 5 bins of the 45 runs.
ZENITH_BINNING = dict(cos_zenith_binning_method="min_n_observation",
                      cos_zenith_binning_parameter_value=8)
N_ZENITH_BINS = 5


def off_run_ids(obs_table):
    """OBS_IDs of the runs neither on nor within ``MIN_OFF_SEPARATION`` of an ON target."""
    names = np.char.strip(np.asarray(obs_table["OBJECT"]).astype(str))
    on = np.isin(names, ON_TARGETS)
    pointings = SkyCoord(obs_table["RA_PNT"], obs_table["DEC_PNT"], unit="deg")
    targets = SkyCoord(obs_table["RA_OBJ"][on], obs_table["DEC_OBJ"][on], unit="deg")
    near = pointings[:, None].separation(targets[None, :]) < MIN_OFF_SEPARATION
    return np.asarray(obs_table["OBS_ID"][~on & ~near.any(axis=1)])


@pytest.fixture(scope="module")
def off_runs(hess_dr1):
    return hess_dr1.get_observations(off_run_ids(hess_dr1.obs_table), required_irf=[])


@pytest.fixture(scope="module")
def exclusions(hess_dr1, off_runs):
    """0.4 deg circles around PKS 2155-304 and each OFF run's target."""
    table = hess_dr1.obs_table
    rows = np.isin(table["OBS_ID"], [run.obs_id for run in off_runs])
    targets = SkyCoord(table["RA_OBJ"][rows], table["DEC_OBJ"][rows], unit="deg")
    return [CircleSkyRegion(centre, EXCLUSION_RADIUS) for centre in [SOURCE, *targets]]


def comparison_geom():
    """Sky cube around PKS 2155-304 covering 2 deg around each pointing, 1-10 TeV."""
    return WcsGeom.create(skydir=SOURCE, binsz=0.04, width=5 * u.deg, frame="icrs",
                          axes=[COMPARED_ENERGY])


def summed_outside_exclusion(runs, selection, quantity, models=None):
    """Per COMPARED_ENERGY bin, ``quantity(dataset, run)`` summed over the runs' pixels within
    COMPARED_OFFSET_MAX of the pointing and outside the circle around PKS 2155-304."""
    geom = comparison_geom()
    outside = ~geom.to_image().region_mask([CircleSkyRegion(SOURCE, EXCLUSION_RADIUS)]).data
    maker = MapDatasetMaker(selection=selection)
    safe = SafeMaskMaker(methods=["offset-max"], offset_max=COMPARED_OFFSET_MAX)
    total = np.zeros(COMPARED_ENERGY.nbin)
    for run in runs:
        if models is not None:
            run = with_background(run, models[run.obs_id])
            assert run.bkg.fov_alignment.name == "ALTAZ"
        dataset = safe.run(maker.run(MapDataset.create(geom), run), run)
        use = dataset.mask_safe.data & outside
        total += np.sum(quantity(dataset, run) * use, axis=(1, 2))
    return total


def predicted_background(runs, models):
    """gammapy's background prediction per compared energy bin, each run's scaled by its
    live fraction (the rates are per livetime, gammapy multiplies by the ontime)."""
    def live_background(dataset, run):
        live_fraction = run.observation_live_time_duration / run.observation_time_duration
        return dataset.background.data * live_fraction.to_value(u.one)
    return summed_outside_exclusion(runs, ["background"], live_background, models)


@pytest.fixture(scope="module")
def observed_counts(pks2155_observations):
    return summed_outside_exclusion(pks2155_observations, ["counts"],
                                    lambda dataset, run: dataset.counts.data)


def counts_over_predicted(creator, off_runs, pks_runs, observed_counts):
    """counts / predicted per compared energy bin for the creator's per-run models built from
    the OFF runs in zenith bins, interpolated in cos(zenith)."""
    models = creator.create_acceptance_map_per_observation(
        pks_runs, off_observations=off_runs, zenith_binning=True, zenith_interpolation=True,
        runwise_normalisation=False)
    assert len(creator.zenith_bins) == N_ZENITH_BINS
    return observed_counts / predicted_background(pks_runs, models)


def describe(ratio, counts):
    """The ratio per bin with the counts' Poisson error, for assertion messages."""
    edges = COMPARED_ENERGY.edges.to_value(u.TeV)
    return "; ".join(f"{low:.2f}-{high:.2f} TeV: {r:.3f} +- {r / np.sqrt(n):.3f}"
                     for low, high, r, n in zip(edges[:-1], edges[1:], ratio, counts))


def assert_within_tolerance(ratio, counts):
    assert np.all(np.abs(ratio - 1) < TOLERANCE), describe(ratio, counts)


def fitted_creator(kind, exclusions):
    """A creator of fitted 3D models through BAccMod's documented API; skips while the
    fitting creators are not merged (issue 8, branch ``fit``)."""
    options = dict(oversample_map=5, exclude_regions=exclusions, **ZENITH_BINNING)
    if kind == "FitAcceptanceMapCreator":
        if importlib.util.find_spec("baccmod.fit_acceptance_map_creator") is None:
            pytest.skip("FitAcceptanceMapCreator is not merged yet (issue 8, branch fit).")
        from baccmod import FitAcceptanceMapCreator
        return FitAcceptanceMapCreator(ENERGY, OFFSET, model_to_fit=Gaussian2D(),
                                       list_name_normalisation_parameter=["amplitude"],
                                       **options)
    try:
        return Grid3DAcceptanceMapCreator(ENERGY, OFFSET, method="fit", fit_fnc="gaussian2d",
                                          **options)
    except NotImplementedError as missing:
        pytest.skip(f"method='fit' is not merged yet (issue 8, branch fit): {missing}")


@pytest.mark.realdata
def test_the_off_runs_are_45_dr1_runs_away_from_the_analysed_targets(off_runs,
                                                                    pks2155_observations):
    assert len(off_runs) == 45
    assert {run.obs_id for run in off_runs}.isdisjoint(
        run.obs_id for run in pks2155_observations)


@pytest.mark.realdata
def test_every_compared_bin_has_counts_for_a_5_percent_test(observed_counts):
    """At least 1000 counts per bin: a Poisson error of at most 3.2 %, so a model 5 % off
    stands 1.5 sigma or more from the counts."""
    assert np.all(observed_counts >= 1000), observed_counts


@pytest.mark.realdata
@pytest.mark.parametrize("kind", ["FitAcceptanceMapCreator", "Grid3DAcceptanceMapCreator"])
def test_fitted_model_from_off_runs_predicts_pks2155_counts_within_5_percent(
        kind, exclusions, off_runs, pks2155_observations, observed_counts):
    """A Gaussian fitted per energy bin has no empty or noisy FoV bins for gammapy's
    log interpolation to read low. Measured (branch fit at e9c5477): 0.996, 0.990, 1.033,
    1.018, 1.041 (Gaussian2D) and 0.996, 0.990, 1.033, 1.010, 1.017 (method="fit",
    gaussian2d)."""
    creator = fitted_creator(kind, exclusions)
    ratio = counts_over_predicted(creator, off_runs, pks2155_observations, observed_counts)
    assert_within_tolerance(ratio, observed_counts)


@pytest.mark.realdata
@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "measured counts/predicted 0.956, 0.970, 1.041, 1.071, 1.351: with the default dynamic "
    "axis (target 500, at most 0.5 in log10 E) the model misses 5 % at 3.98-6.31 and "
    "6.31-10 TeV. Per zenith bin the merged bin around 8-30 TeV holds 1.4-4.4 OFF counts per "
    "FoV bin; interpolated onto the model axis, 2-25 % of the FoV bins are 0 at 10-15.8 TeV "
    "(8 % in the per-run models) and gammapy's log-log energy integration predicts 0 in the "
    "6.31-10 TeV bin wherever the next bin is 0 (x0.88 there); interpolating half-decade bin "
    "means at their log centres reads the steep spectrum low at the top of a wide bin (the "
    "model's own prediction of the OFF counts is x0.92 at 6.31-10 TeV); gammapy's log "
    "interpolation of the remaining FoV noise does the rest."))
def test_dynamic_axis_model_from_off_runs_predicts_pks2155_counts_within_5_percent(
        exclusions, off_runs, pks2155_observations, observed_counts):
    creator = Grid3DAcceptanceMapCreator(ENERGY, OFFSET, oversample_map=5,
                                         exclude_regions=exclusions, dynamic_energy_axis=True,
                                         energy_axis_computation=FINE_ENERGY, **ZENITH_BINNING)
    ratio = counts_over_predicted(creator, off_runs, pks2155_observations, observed_counts)
    assert_within_tolerance(ratio, observed_counts)


@pytest.mark.realdata
def test_the_comparison_sees_the_counted_3d_model_read_low_at_the_top(
        exclusions, off_runs, pks2155_observations, observed_counts):
    """The control: the counted (stacked) model of the same runs, sparse at 6.31-10 TeV
    (measured 1.459 +- 0.045 there), fails the 5 % test, as issue 8 reports."""
    creator = Grid3DAcceptanceMapCreator(ENERGY, OFFSET, oversample_map=5,
                                         exclude_regions=exclusions, **ZENITH_BINNING)
    ratio = counts_over_predicted(creator, off_runs, pks2155_observations, observed_counts)
    assert ratio[-1] > 1 + TOLERANCE, describe(ratio, observed_counts)
