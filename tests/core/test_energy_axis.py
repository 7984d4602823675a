"""Dynamic energy axis: merged bins reach the target within the maximum width."""
import logging

import numpy as np
import pytest

from baccmod.core.energy_axis import dynamic_energy_edges, rebin_energy
from baccmod.errors import BaccmodTypeError, BaccmodValueError

LOGGER = "baccmod.core.energy_axis"
TOLERANCE = 1 + 1e-9


def power_law_counts(edges, spatial_shape=(4, 4), n_at_first_bin=4000, index=2.7, seed=0):
    """Poisson counts per (energy, *spatial) bin falling as E^-index, shape (n, *spatial)."""
    centres = np.sqrt(edges[1:] * edges[:-1])
    expected = n_at_first_bin * (centres / centres[0]) ** -index
    rng = np.random.default_rng(seed)
    shape = (len(centres),) + spatial_shape
    return rng.poisson(expected.reshape((-1,) + (1,) * len(spatial_shape)) * np.ones(shape))


def bin_means(counts, indices):
    """Mean count per spatial bin of the merged bins, computed directly from the counts."""
    flat = counts.reshape(counts.shape[0], -1)
    return np.array([flat[a:b].sum() / flat.shape[1] for a, b in zip(indices[:-1],
                                                                     indices[1:])])


def log_widths(edges):
    return np.diff(np.log10(edges))


EDGES = np.geomspace(0.1, 100, 46)  # 45 bins of log10 width 1/15
COUNTS = power_law_counts(EDGES)


@pytest.mark.parametrize("target, width", [(500, 0.5), (50, 0.3), (20, 1.0), (2000, 0.2)])
def test_every_bin_with_events_reaches_the_target_or_is_stopped_by_the_width(target, width):
    result = dynamic_energy_edges(COUNTS, EDGES, target, width)
    means = bin_means(COUNTS, result.edge_indices)
    assert np.allclose(result.mean_counts, means)
    with_events = means > 0
    assert np.all((means >= target) | result.width_limited | ~with_events)
    assert np.all(means[result.width_limited] < target)


@pytest.mark.parametrize("target, width", [(500, 0.5), (50, 0.3), (20, 1.0)])
def test_merging_stops_as_soon_as_the_target_is_reached(target, width):
    result = dynamic_energy_edges(COUNTS, EDGES, target, width)
    indices = result.edge_indices
    lowest_with_events = np.flatnonzero(result.mean_counts > 0)[0]
    for k in range(lowest_with_events + 1, len(indices) - 1):
        if result.width_limited[k]:
            continue
        # without its lowest input bin the merged bin would fall short of the target
        shorter = bin_means(COUNTS, [indices[k] + 1, indices[k + 1]])[0] \
            if indices[k + 1] - indices[k] > 1 else 0.0
        assert shorter < target


@pytest.mark.parametrize("target, width", [(500, 0.5), (5000, 0.25), (1e9, 0.4)])
def test_merged_bins_are_never_wider_than_the_maximum(target, width):
    result = dynamic_energy_edges(COUNTS, EDGES, target, width)
    assert np.all(log_widths(result.edges) <= width * TOLERANCE)


def test_a_bin_exactly_as_wide_as_the_maximum_is_allowed():
    edges = np.geomspace(0.1, 100, 11)  # log10 widths 0.3, with rounding errors of 1e-16
    result = dynamic_energy_edges(np.full(10, 5), edges, 1e6, 0.9)
    assert list(result.edge_indices) == [0, 1, 4, 7, 10]


def test_an_input_bin_wider_than_the_maximum_is_kept_alone():
    edges = np.array([0.1, 0.2, 0.4, 4.0, 5.0, 6.0, 8.0])
    counts = np.array([10, 10, 10, 10, 10, 10])
    result = dynamic_energy_edges(counts, edges, 1000, 0.5)
    too_wide = log_widths(result.edges) > 0.5
    assert list(result.edges[:-1][too_wide]) == [0.4]
    assert list(result.edges[1:][too_wide]) == [4.0]


@pytest.mark.parametrize("target, width", [(500, 0.5), (50, 0.2), (1, 0.01)])
def test_merged_edges_are_a_subset_of_the_input_edges_with_both_ends(target, width):
    result = dynamic_energy_edges(COUNTS, EDGES, target, width)
    assert np.array_equal(result.edges, EDGES[result.edge_indices])
    assert np.all(np.diff(result.edge_indices) > 0)
    assert result.edge_indices[0] == 0 and result.edge_indices[-1] == len(EDGES) - 1


def test_rebinning_conserves_counts_and_exposure():
    result = dynamic_energy_edges(COUNTS, EDGES, 300, 0.5)
    exposure = np.random.default_rng(3).uniform(1, 2, COUNTS.shape) * np.diff(EDGES)[:, None,
                                                                                     None]
    for values in (COUNTS, exposure):
        merged = result.rebin(values)
        assert merged.shape == (len(result.edges) - 1,) + values.shape[1:]
        assert np.allclose(merged.sum(axis=0), values.sum(axis=0))
        for k, (a, b) in enumerate(zip(result.edge_indices[:-1], result.edge_indices[1:])):
            assert np.allclose(merged[k], values[a:b].sum(axis=0))


def test_the_mean_is_taken_over_the_spatial_bins():
    spread = np.repeat(COUNTS.sum(axis=(1, 2))[:, None], 10, axis=1)
    per_spatial_bin = dynamic_energy_edges(spread, EDGES, 100, 0.5)
    one_bin = dynamic_energy_edges(spread.sum(axis=1), EDGES, 100 * 10, 0.5)
    assert np.array_equal(per_spatial_bin.edge_indices, one_bin.edge_indices)


def test_a_spatial_mask_restricts_the_average_to_its_bins():
    counts = np.concatenate([COUNTS, np.zeros_like(COUNTS)], axis=2)  # right half empty
    mask = np.zeros(counts.shape[1:], dtype=bool)
    mask[:, :COUNTS.shape[2]] = True
    masked = dynamic_energy_edges(counts, EDGES, 400, 0.5, spatial_mask=mask)
    unmasked_half_target = dynamic_energy_edges(counts, EDGES, 200, 0.5)
    assert np.array_equal(masked.edge_indices, unmasked_half_target.edge_indices)
    assert np.allclose(masked.mean_counts, 2 * unmasked_half_target.mean_counts)


def zero_padded(n_low, n_high):
    core = np.full(10, 600)
    return np.concatenate([np.zeros(n_low), core, np.zeros(n_high)])


def test_empty_end_bins_stay_one_by_one_by_default():
    counts = zero_padded(4, 6)
    edges = np.geomspace(1, 10, counts.size + 1)
    result = dynamic_energy_edges(counts, edges, 500, 5.0)
    assert set(range(0, 5)) <= set(result.edge_indices)
    assert set(range(14, 21)) <= set(result.edge_indices)


@pytest.mark.parametrize("low, high", [(True, False), (False, True), (True, True)])
def test_empty_end_bins_merge_per_flag(low, high):
    counts = zero_padded(4, 6)
    edges = np.geomspace(1, 10, counts.size + 1)
    result = dynamic_energy_edges(counts, edges, 500, 5.0, merge_zeros_low_energy=low,
                                  merge_zeros_high_energy=high)
    indices = list(result.edge_indices)
    assert indices[:2] == ([0, 4] if low else [0, 1])
    assert indices[-2:] == ([14, 20] if high else [19, 20])
    assert result.mean_counts[0] == 0 and result.mean_counts[-1] == 0


def test_merged_empty_bins_respect_the_maximum_width():
    counts = zero_padded(12, 12)
    edges = np.geomspace(1, 10, counts.size + 1)  # bins of log10 width 1/34
    width = 5.5 / 34
    result = dynamic_energy_edges(counts, edges, 500, width, True, True)
    assert np.all(log_widths(result.edges) <= width * TOLERANCE)
    assert 12 in result.edge_indices and 22 in result.edge_indices
    assert len(result.edges) - 1 < counts.size


def test_a_low_energy_remainder_joins_the_bin_above_when_the_width_allows():
    counts = np.array([100, 0, 0, 0, 600])
    edges = np.logspace(0, 0.5, 6)  # bins of log10 width 0.1
    result = dynamic_energy_edges(counts, edges, 500, 1.0)
    assert list(result.edge_indices) == [0, 5]
    assert not result.width_limited.any()


def test_a_low_energy_remainder_that_cannot_join_stays_and_is_reported(caplog):
    counts = np.array([100, 0, 0, 0, 600])
    edges = np.logspace(0, 0.5, 6)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        result = dynamic_energy_edges(counts, edges, 500, 0.45, context="zenith bin 2")
    assert list(result.edge_indices) == [0, 4, 5]
    assert list(result.width_limited) == [True, False]
    message = caplog.records[-1].getMessage()
    assert "zenith bin 2" in message and f"{edges[0]:.4g}-{edges[4]:.4g} TeV" in message


def test_a_warning_names_each_bin_the_width_stopped(caplog):
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        result = dynamic_energy_edges(COUNTS, EDGES, 500, 0.5, context="runs 1-3")
    assert result.width_limited.any()
    (record,) = caplog.records
    message = record.getMessage()
    assert "runs 1-3" in message
    for k in np.flatnonzero(result.width_limited):
        lower, upper = result.edges[k], result.edges[k + 1]
        assert f"{lower:.4g}-{upper:.4g} TeV" in message


def test_no_warning_when_every_bin_reaches_the_target(caplog):
    counts = np.full(12, 1000)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        result = dynamic_energy_edges(counts, np.geomspace(1, 10, 13), 1500, 0.5)
    assert np.all(result.mean_counts >= 1500)
    assert not caplog.records


def test_a_width_below_every_input_bin_merges_nothing_and_warns(caplog):
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        result = dynamic_energy_edges(COUNTS, EDGES, 500, 0.01)
    assert np.array_equal(result.edges, EDGES)
    assert "nothing can be merged" in caplog.records[-1].getMessage()


def test_a_single_input_bin_is_kept():
    edges = np.array([1.0, 10.0])
    result = dynamic_energy_edges(np.array([[3, 4]]), edges, 5, 0.5)
    assert np.array_equal(result.edges, edges)
    assert np.allclose(result.mean_counts, [3.5])


def test_all_zero_counts_keep_the_axis_and_warn(caplog):
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        result = dynamic_energy_edges(np.zeros((45, 3)), EDGES, 500, 0.5, True, True)
    assert np.array_equal(result.edges, EDGES)
    assert "no events" in caplog.records[-1].getMessage()


def test_too_few_events_in_all_form_one_bin_and_warn(caplog):
    counts = np.array([0, 3, 5, 2, 0])
    edges = np.geomspace(1, 10, 6)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        result = dynamic_energy_edges(counts, edges, 500, 1.0)
    assert list(result.edge_indices) == [0, 1, 4, 5]
    assert "below the target" in caplog.records[-1].getMessage()


@pytest.mark.parametrize("target", [0, -5, np.nan, np.inf])
def test_a_target_that_is_not_positive_and_finite_is_refused(target):
    with pytest.raises(BaccmodValueError, match="target_statistics"):
        dynamic_energy_edges(COUNTS, EDGES, target, 0.5)


@pytest.mark.parametrize("width", [0, -0.1, np.nan])
def test_a_width_that_is_not_positive_is_refused(width):
    with pytest.raises(ValueError, match="maximum_log10_width"):
        dynamic_energy_edges(COUNTS, EDGES, 500, width)


@pytest.mark.parametrize("kwargs", [dict(target_statistics="500"),
                                    dict(maximum_log10_width=True),
                                    dict(merge_zeros_low_energy=1)])
def test_arguments_of_the_wrong_type_are_refused(kwargs):
    arguments = dict(counts=COUNTS, energy_edges=EDGES, target_statistics=500,
                     maximum_log10_width=0.5)
    arguments.update(kwargs)
    with pytest.raises(BaccmodTypeError):
        dynamic_energy_edges(**arguments)


@pytest.mark.parametrize("counts, edges, match", [
    (COUNTS, EDGES[::-1], "energy_edges"),
    (COUNTS, np.linspace(-1, 10, 46), "energy_edges"),
    (COUNTS, EDGES[:1], "energy_edges"),
    (COUNTS[:-1], EDGES, "shape"),
    (np.where(COUNTS > 100, -1, COUNTS), EDGES, "non-negative"),
    (np.full(COUNTS.shape, np.nan), EDGES, "finite"),
])
def test_bad_counts_or_edges_are_refused(counts, edges, match):
    with pytest.raises(BaccmodValueError, match=match):
        dynamic_energy_edges(counts, edges, 500, 0.5)


@pytest.mark.parametrize("mask", [np.ones((4, 3), dtype=bool), np.zeros((4, 4), dtype=bool),
                                  np.ones((4, 4))])
def test_a_bad_spatial_mask_is_refused(mask):
    with pytest.raises(BaccmodValueError, match="spatial_mask"):
        dynamic_energy_edges(COUNTS, EDGES, 500, 0.5, spatial_mask=mask)


@pytest.mark.parametrize("indices", [[0, 3], [1, 45], [0, 10, 10, 45], [0.0, 45.0]])
def test_rebinning_refuses_indices_that_do_not_cover_the_bins(indices):
    with pytest.raises(BaccmodValueError, match="edge_indices"):
        rebin_energy(COUNTS, indices)

