"""The dynamic energy axis through the creators, on runs with a sparse background at high
energy (``sparse_simulation.py``: ~10 events per 0.25 deg bin and energy bin at 1 TeV, fewer
than one above 10 TeV).

Specification: from the counts on the computation axis, adjacent bins are merged from the
highest energy down until each merged bin holds ``dynamic_energy_axis_target_statistics``
counts per spatial bin on average (over the bins with exposure), never wider than
``dynamic_energy_axis_maximum_wideness_bin`` in log10(E); the model is computed on the merged
axis, per zenith bin for zenith collections, and interpolated onto ``energy_axis``.

Pulls are (model - truth) / sigma with sigma the Poisson error of the expected counts of the
merged bin a value rests on; over n pulls, "standard" means |mean| <= 3 / sqrt(n) and
|std - 1| <= 3 / sqrt(2 n) (3-sigma bounds of a standard normal sample).
"""
import logging

import numpy as np
import pytest
from astropy import units as u
from gammapy.data import Observations
from gammapy.maps import MapAxis
from regions import CircleSkyRegion

import sparse_simulation as sim
from baccmod import Grid3DAcceptanceMapCreator, RadialAcceptanceMapCreator
from baccmod.build import ModelSpec, ZenithBinning, build_background, build_zenith_collection
from baccmod.estimate import DynamicEnergyAxis
from baccmod.geometry import GridGeometry, RadialGeometry

RATE = "s-1 MeV-1 sr-1"
TARGET = 20
WIDTH = 0.5
OVERSAMPLE = 2
OFFSET_RADIAL = MapAxis.from_bounds(0, 2, 40, unit="deg", name="offset")
CREATORS = {"radial": (RadialAcceptanceMapCreator, OFFSET_RADIAL),
            "grid3d": (Grid3DAcceptanceMapCreator, sim.OFFSET)}
DYNAMIC = {"dynamic_energy_axis": True, "dynamic_energy_axis_target_statistics": TARGET,
           "dynamic_energy_axis_maximum_wideness_bin": WIDTH}
# mean truth of the stacked runs: the two groups have the same livetime
STACKED_SCALE = np.mean(list(sim.GROUP_SCALES.values()))
# every pointing is 0.5 deg from the source: the FoV within 0.5 deg of its centre is
# excluded in every run, which leaves the central 3D bins without exposure
WIDE_EXCLUSION = CircleSkyRegion(sim.SOURCE, 1.0 * u.deg)
PERMISSIVE = 1 + 1e-9


@pytest.fixture(scope="module")
def groups(tmp_path_factory):
    """{"high": runs at zenith ~50 deg, "low": runs at ~8 deg, "all": both}."""
    folder = tmp_path_factory.mktemp("sparse_runs")
    runs = {"high": sim.simulate(folder / "high", "high", obs_id_start=1, seed=11),
            "low": sim.simulate(folder / "low", "low", obs_id_start=3, seed=12)}
    runs["all"] = Observations(list(runs["high"]) + list(runs["low"]))
    return runs


def make_creator(kind, **options):
    cls, offset_axis = CREATORS[kind]
    return cls(sim.ENERGY, offset_axis, oversample_map=OVERSAMPLE, **options)


def geometry(kind):
    return RadialGeometry(OFFSET_RADIAL, OVERSAMPLE) if kind == "radial" \
        else GridGeometry(sim.OFFSET, OVERSAMPLE)


def truth(kind, energy_edges, scale=STACKED_SCALE):
    """The truth averaged over each energy bin (edges in TeV), on the model's spatial bins."""
    if kind == "radial":
        return sim.radial_truth_rate(energy_edges, OFFSET_RADIAL.nbin, scale)
    return sim.truth_rate(energy_edges, scale)


def tev(axis):
    return axis.edges.to_value(u.TeV)


def edge_positions(merged_edges, edges):
    """Positions of the merged edges in ``edges``; fails unless they are a subset of them."""
    positions = np.searchsorted(edges, merged_edges * (1 - 1e-9))
    assert np.allclose(edges[positions], merged_edges, rtol=1e-9, atol=0)
    return positions


def merged_sums(values, positions):
    """``values`` (energy first) summed over each merged bin."""
    return np.array([values[a:b].sum(axis=0) for a, b in zip(positions[:-1], positions[1:])])


def assert_merged_by_the_rule(counts, edges, merged_edges, exposed, target=TARGET,
                              width=WIDTH):
    """``merged_edges`` are what the rule makes of ``counts`` on ``edges``: each merged bin,
    from the top down, is the narrowest that reaches the target, or it is as wide as the
    maximum width allows (or the remainder at the bottom that cannot join the bin above).
    For counts without empty bins at the ends of the axis."""
    positions = edge_positions(merged_edges, edges)
    assert positions[0] == 0 and positions[-1] == len(edges) - 1
    means = counts[:, exposed].sum(axis=1) / np.count_nonzero(exposed)
    log_edges = np.log10(edges)
    for k, (low, high) in enumerate(zip(positions[:-1], positions[1:])):
        assert high - low == 1 or log_edges[high] - log_edges[low] <= width * PERMISSIVE
        mean = means[low:high].sum()
        if mean >= target:
            assert means[low + 1:high].sum() < target, f"merged bin {k} is wider than needed"
        elif k == 0 and len(positions) > 2:
            assert log_edges[positions[2]] - log_edges[low] > width * PERMISSIVE, \
                "the remainder at the bottom could have joined the bin above"
        else:
            assert low == 0 or log_edges[high] - log_edges[low - 1] > width * PERMISSIVE, \
                f"merged bin {k} stops below the target although the width allowed more"


def pulls(model, truth_values, expected):
    """(model - truth) / (truth / sqrt(expected)) over the bins of ``expected`` >= 20."""
    use = expected >= 20
    return (model[use] - truth_values[use]) / (truth_values[use] / np.sqrt(expected[use]))


def assert_centred(values, min_count):
    n = values.size
    print(f"{n} pulls: mean {values.mean():+.3f}, std {values.std():.3f}")
    assert n >= min_count
    assert abs(values.mean()) <= 3 / np.sqrt(n)


def assert_standard(values, min_count):
    assert_centred(values, min_count)
    assert abs(values.std() - 1) <= 3 / np.sqrt(2 * values.size)


# --- the merged axis ---------------------------------------------------------------------

@pytest.mark.parametrize("kind", CREATORS)
@pytest.mark.parametrize("exclude", [False, True], ids=["no_exclusion", "exclusion"])
def test_the_merged_axis_follows_the_rule_on_the_runs_counts(groups, kind, exclude):
    regions = [WIDE_EXCLUSION] if exclude else None
    plain = make_creator(kind, exclude_regions=regions)
    plain.create_acceptance_map(groups["all"])
    dynamic = make_creator(kind, exclude_regions=regions, **DYNAMIC)
    dynamic.create_acceptance_map(groups["all"])
    merged = tev(dynamic.energy_axis_computation)
    exposed = plain.exposure[0] > 0
    if kind == "grid3d" and exclude:
        assert not exposed.all()  # the mean is taken over the bins with exposure
    assert_merged_by_the_rule(plain.counts, tev(sim.ENERGY), merged, exposed)
    assert 3 <= len(merged) - 1 < sim.ENERGY.nbin  # something was merged, not everything
    positions = edge_positions(merged, tev(sim.ENERGY))
    np.testing.assert_array_equal(dynamic.counts, merged_sums(plain.counts, positions))


def test_the_mean_count_is_taken_over_the_bins_with_exposure(groups):
    """A target met exactly by the top three bins' mean over the exposed bins: averaged over
    all bins (the unexposed ones too) it would take a fourth."""
    plain = make_creator("grid3d", exclude_regions=[WIDE_EXCLUSION])
    plain.create_acceptance_map(groups["all"])
    exposed = plain.exposure[0] > 0
    assert np.count_nonzero(~exposed) >= 4
    target = plain.counts[-3:][:, exposed].sum() / np.count_nonzero(exposed) * (1 - 1e-6)
    creator = make_creator("grid3d", exclude_regions=[WIDE_EXCLUSION], dynamic_energy_axis=True,
                           dynamic_energy_axis_target_statistics=target,
                           dynamic_energy_axis_maximum_wideness_bin=1.0)
    creator.create_acceptance_map(groups["all"])
    merged = tev(creator.energy_axis_computation)
    assert merged[-2] == pytest.approx(tev(sim.ENERGY)[-4], rel=1e-9)
    assert_merged_by_the_rule(plain.counts, tev(sim.ENERGY), merged, exposed, target, 1.0)


@pytest.mark.parametrize("kind", CREATORS)
def test_bins_the_width_stops_below_the_target_are_warned_about(groups, kind, caplog):
    creator = make_creator(kind, **DYNAMIC)
    with caplog.at_level(logging.WARNING, logger="baccmod"):
        creator.create_acceptance_map(groups["all"])
    means = creator.counts.reshape(creator.counts.shape[0], -1).mean(axis=1)
    below = np.count_nonzero(means < TARGET)
    assert below > 0  # the runs are sparse enough at high energy
    warnings = [r.getMessage() for r in caplog.records if "dynamic energy axis" in
                r.getMessage()]
    assert len(warnings) == 1
    assert f"stops {below} bin(s) below the target of {TARGET:g}" in warnings[0]


@pytest.mark.parametrize("kind", CREATORS)
def test_the_creator_exposes_the_merged_axis_and_keeps_the_given_one(groups, kind):
    given = MapAxis.from_energy_bounds(100, 1e5, 15, unit="GeV", name="energy")
    creator = make_creator(kind, energy_axis_computation=given, **DYNAMIC)
    assert creator.energy_axis_computation is given  # nothing built yet
    creator.create_acceptance_map(groups["all"])
    merged = creator.energy_axis_computation
    assert creator.base_energy_axis_computation is given
    assert merged.unit == u.GeV and merged.name == "energy"
    assert merged.nbin < given.nbin
    edge_positions(merged.edges.to_value(u.GeV), given.edges.to_value(u.GeV))
    assert creator.counts.shape[0] == merged.nbin
    assert creator.rate_error.shape == creator.exposure.shape  # on the model's axis


def test_without_the_option_the_computation_axis_is_the_given_one(groups):
    creator = make_creator("radial")
    creator.create_acceptance_map(groups["all"])
    assert creator.energy_axis_computation.is_allclose(sim.ENERGY)
    assert creator.base_energy_axis_computation.is_allclose(sim.ENERGY)


# --- truth recovery ----------------------------------------------------------------------

@pytest.mark.parametrize("kind", CREATORS)
def test_rates_on_the_merged_axis_recover_the_truth(groups, kind):
    spec = ModelSpec(geometry(kind), sim.ENERGY, sim.ENERGY,
                     dynamic_energy_axis=DynamicEnergyAxis(TARGET, WIDTH))
    estimate = build_background(groups["all"], spec).estimate
    merged_truth = truth(kind, estimate.energy_edges_computation)
    expected = merged_truth * estimate.cube.exposure
    assert_standard(pulls(estimate.rate_computation, merged_truth, expected), min_count=200)


@pytest.mark.parametrize("kind", CREATORS)
def test_the_model_on_the_energy_axis_recovers_the_truth(groups, kind):
    """Each model bin is read off the merged bins around it, so it is at least as precise as
    the merged bin its centre lies in: its pulls against that bin's error are centred and no
    wider than standard."""
    creator = make_creator(kind, **DYNAMIC)
    model = creator.create_acceptance_map(groups["all"]).quantity.to_value(RATE)
    edges, merged = tev(sim.ENERGY), tev(creator.energy_axis_computation)
    positions = edge_positions(merged, edges)
    merged_expected = truth(kind, merged) * merged_sums(creator.exposure, positions)
    home = np.searchsorted(merged, np.sqrt(edges[1:] * edges[:-1])) - 1
    values = pulls(model, truth(kind, edges), merged_expected[home])
    assert_centred(values, min_count=200)
    assert values.std() <= 1 + 3 / np.sqrt(2 * values.size)


@pytest.mark.parametrize("kind", CREATORS)
def test_where_counts_are_few_the_model_is_closer_to_the_truth_than_without(groups, kind):
    plain = make_creator(kind)
    plain_model = plain.create_acceptance_map(groups["all"]).quantity.to_value(RATE)
    dynamic_model = make_creator(kind, **DYNAMIC).create_acceptance_map(
        groups["all"]).quantity.to_value(RATE)
    true = truth(kind, tev(sim.ENERGY))
    expected = true * plain.exposure
    few = (expected > 0) & (expected < 10)
    sigma = true[few] / np.sqrt(expected[few])
    chi2_plain = np.mean(((plain_model[few] - true[few]) / sigma) ** 2)
    chi2_dynamic = np.mean(((dynamic_model[few] - true[few]) / sigma) ** 2)
    print(f"{np.count_nonzero(few)} bins: chi2/bin plain {chi2_plain:.2f}, dynamic "
          f"{chi2_dynamic:.2f}")
    assert np.count_nonzero(few) >= 200
    assert abs(chi2_plain - 1) < 0.25  # the plain model's errors are Poisson's
    assert chi2_dynamic < 0.6 * chi2_plain


# --- zenith collections -------------------------------------------------------------------

def zenith_binned_spec(dynamic):
    # each group of two runs (2 x 28 min) fills one bin
    return ModelSpec(GridGeometry(sim.OFFSET, OVERSAMPLE), sim.ENERGY, sim.ENERGY,
                     zenith=ZenithBinning("min_livetime", threshold=3000.0),
                     dynamic_energy_axis=dynamic)


def test_each_zenith_bin_merges_its_own_counts(groups):
    plain = build_zenith_collection(groups["all"], zenith_binned_spec(None))
    dynamic = build_zenith_collection(groups["all"],
                                      zenith_binned_spec(DynamicEnergyAxis(TARGET, WIDTH)))
    assert sorted(dynamic.estimates) == sorted(plain.estimates)
    assert len(dynamic.estimates) == 2
    axes = {}
    for key, estimate in dynamic.estimates.items():
        cube = plain.estimates[key].cube
        assert_merged_by_the_rule(cube.counts, tev(sim.ENERGY),
                                  estimate.energy_edges_computation, cube.exposed)
        axes[key[1]] = estimate.energy_edges_computation
    high_zenith, low_zenith = (axes[z] for z in sorted(axes, reverse=True))
    # the high-zenith runs hold 0.3 times the events: their bins merge more
    assert len(high_zenith) < len(low_zenith)


def test_the_creator_builds_zenith_collections_on_the_per_bin_axes(groups):
    creator = make_creator("grid3d", cos_zenith_binning_method="min_livetime",
                           cos_zenith_binning_parameter_value=3000, **DYNAMIC)
    collection = creator.create_model_cos_zenith_binned(groups["all"])
    built = build_zenith_collection(groups["all"],
                                    zenith_binned_spec(DynamicEnergyAxis(TARGET, WIDTH)))
    assert len(collection) == 2
    for (_, zenith), estimate in built.estimates.items():
        model = collection[zenith]
        assert model.axes["energy"].is_allclose(sim.ENERGY)
        np.testing.assert_allclose(model.quantity.to_value(RATE), estimate.rate, rtol=1e-12)


# --- empty bins at the ends --------------------------------------------------------------

WIDE_COMPUTATION = MapAxis.from_energy_bounds(0.01, 1000, 5, per_decade=True, unit="TeV",
                                              name="energy")


@pytest.mark.parametrize("low, high", [(False, False), (True, False), (False, True),
                                       (True, True)])
def test_empty_bins_at_the_ends_are_merged_only_when_asked(groups, low, high):
    """The runs hold events from 0.1 to 100 TeV: 0.01-0.1 and 100-1000 TeV are empty."""
    creator = make_creator("radial", energy_axis_computation=WIDE_COMPUTATION,
                           dynamic_energy_axis_merge_zeros_low_energy=low,
                           dynamic_energy_axis_merge_zeros_high_energy=high, **DYNAMIC)
    model = creator.create_acceptance_map(groups["all"])
    log_edges = np.log10(tev(creator.energy_axis_computation))
    below, above = log_edges[log_edges <= -1 + 1e-9], log_edges[log_edges >= 2 - 1e-9]
    one_by_one = [-2.0, -1.8, -1.6, -1.4, -1.2, -1.0]
    # merged within the maximum width, from the high-energy end of the empty run
    merged = [-2.0, -1.8, -1.4, -1.0]
    np.testing.assert_allclose(below, merged if low else one_by_one, atol=1e-9)
    np.testing.assert_allclose(above, np.add(merged, 4) if high else np.add(one_by_one, 4),
                               atol=1e-9)
    # the empty bins lie outside the model's energy range: the model does not change
    reference = make_creator("radial", energy_axis_computation=WIDE_COMPUTATION, **DYNAMIC)
    np.testing.assert_allclose(model.data, reference.create_acceptance_map(groups["all"]).data,
                               rtol=1e-12)


# --- options -----------------------------------------------------------------------------

BAD_OPTIONS = [
    ("dynamic_energy_axis", "yes", TypeError),
    ("dynamic_energy_axis", 1, TypeError),
    ("dynamic_energy_axis_target_statistics", "500", TypeError),
    ("dynamic_energy_axis_target_statistics", True, TypeError),
    ("dynamic_energy_axis_target_statistics", 0, ValueError),
    ("dynamic_energy_axis_target_statistics", -5, ValueError),
    ("dynamic_energy_axis_target_statistics", np.nan, ValueError),
    ("dynamic_energy_axis_target_statistics", np.inf, ValueError),
    ("dynamic_energy_axis_maximum_wideness_bin", "0.5", TypeError),
    ("dynamic_energy_axis_maximum_wideness_bin", 0.5 * u.dimensionless_unscaled, TypeError),
    ("dynamic_energy_axis_maximum_wideness_bin", 0.0, ValueError),
    ("dynamic_energy_axis_maximum_wideness_bin", -0.5, ValueError),
    ("dynamic_energy_axis_maximum_wideness_bin", np.nan, ValueError),
    ("dynamic_energy_axis_maximum_wideness_bin", np.inf, ValueError),
    ("dynamic_energy_axis_merge_zeros_low_energy", "no", TypeError),
    ("dynamic_energy_axis_merge_zeros_high_energy", 0, TypeError),
]


@pytest.mark.parametrize("kind", CREATORS)
@pytest.mark.parametrize("name, value, error", BAD_OPTIONS)
def test_bad_options_are_refused_when_the_creator_is_made_naming_the_option(kind, name,
                                                                             value, error):
    with pytest.raises(error, match=name) as raised:
        make_creator(kind, **{name: value})
    assert type(raised.value).__module__ == "baccmod.errors"


@pytest.mark.parametrize("kind", CREATORS)
def test_numpy_numbers_and_flags_are_accepted(kind):
    creator = make_creator(kind, dynamic_energy_axis=np.bool_(True),
                           dynamic_energy_axis_target_statistics=np.int64(50),
                           dynamic_energy_axis_maximum_wideness_bin=np.float32(0.25))
    assert creator.dynamic_energy_axis is True
    assert creator.dynamic_energy_axis_target_statistics == 50
    assert creator.dynamic_energy_axis_maximum_wideness_bin == pytest.approx(0.25)
