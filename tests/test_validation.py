"""baccmod.validation: gammapy's own analysis of runs with a known background flags a wrong model
and passes the right one."""
import numpy as np
import pytest
from astropy import units as u
from astropy.table import Table
from gammapy.irf import Background3D

from baccmod.errors import BaccmodTypeError, BaccmodValueError
from baccmod.validation import validate
from simulation import EXCLUSION, truth_background

PIXEL = 0.05 * u.deg
PNG_MAGIC = b"\x89PNG"
TILT = -0.3


def scaled_truth(factor=1.0, tilt=0.0):
    """The truth times ``factor`` x (E / 1 TeV) ** tilt."""
    truth = truth_background()
    energy = truth.axes["energy"].center.to_value("TeV")[:, None, None]
    return Background3D(axes=truth.axes, data=truth.data * factor * energy ** tilt,
                        unit=truth.unit, fov_alignment=truth.fov_alignment)


def run_validation(observations, model, folder, **options):
    models = {obs.obs_id: model for obs in observations}
    return validate(observations, models, [EXCLUSION], folder, pixel_size=PIXEL, **options)


@pytest.fixture(scope="module")
def truth_report(simulated_observations, tmp_path_factory):
    return run_validation(simulated_observations, truth_background(),
                          tmp_path_factory.mktemp("truth_report"))


@pytest.fixture(scope="module")
def few_runs(simulated_observations):
    return simulated_observations[:4]


def test_truth_significance_is_standard_normal(truth_report):
    summary = truth_report.summary
    assert 0.9 <= summary["significance_width"] <= 1.1
    assert abs(summary["significance_mean"]) < 0.1
    assert summary["significance_pixels"] > 1000


def test_truth_counts_match_prediction_in_rings_and_energy_bins(truth_report):
    summary = truth_report.summary
    assert summary["counts"] / summary["predicted"] == pytest.approx(1.0, abs=0.01)
    for kind in ("offset", "energy"):
        reduced = summary[f"{kind}_deviance"] / summary[f"{kind}_dof"]
        assert 0.2 < reduced < 3.0, kind
        rows = truth_report.table[truth_report.table["KIND"] == kind]
        pulls = (rows["RATIO"] - 1) / rows["RATIO_ERR"]
        assert np.all(np.abs(pulls) < 4), kind


def test_truth_norms_fitted_by_gammapy_are_one(truth_report):
    runs = truth_report.runs
    assert len(runs) == 12
    assert np.all(np.abs(runs["NORM"] - 1) < 4 * runs["NORM_ERR"])
    assert np.all(np.abs(runs["TILT"]) < 4 * runs["TILT_ERR"])
    assert np.all((runs["ZENITH"] > 0) & (runs["ZENITH"] < 60))


def test_report_files_are_written(truth_report):
    table = Table.read(truth_report.files[0], format="ascii.ecsv")
    assert table.meta["significance_width"] == pytest.approx(
        truth_report.summary["significance_width"])
    assert len(table) == len(truth_report.table)
    runs = Table.read(truth_report.files[1], format="ascii.ecsv")
    assert list(runs["OBS_ID"]) == list(truth_report.runs["OBS_ID"])
    names = sorted(path.name for path in truth_report.figures)
    assert names == ["model.png", "norms.png", "residuals.png", "significance.png"]
    for path in truth_report.figures:
        assert path.read_bytes()[:4] == PNG_MAGIC and path.stat().st_size > 10_000


def test_model_too_high_is_flagged(few_runs, tmp_path):
    report = run_validation(few_runs, scaled_truth(1.2), tmp_path)
    summary = report.summary
    assert summary["significance_mean"] < -1.0
    assert summary["counts"] / summary["predicted"] == pytest.approx(1 / 1.2, abs=0.02)
    assert summary["offset_deviance"] / summary["offset_dof"] > 20
    assert np.allclose(report.runs["NORM"], 1 / 1.2, atol=0.03)


def test_tilted_model_is_flagged_in_energy_and_by_the_tilt(few_runs, tmp_path):
    report = run_validation(few_runs, scaled_truth(tilt=TILT), tmp_path)
    summary = report.summary
    assert summary["energy_deviance"] / summary["energy_dof"] > 20
    assert np.allclose(report.runs["TILT"], TILT, atol=0.05)


def test_fov_background_checks_the_shape_only(few_runs, tmp_path):
    report = run_validation(few_runs, scaled_truth(1.2), tmp_path, fov_background=True)
    summary = report.summary
    assert summary["counts"] / summary["predicted"] == pytest.approx(1.0, abs=0.01)
    assert abs(summary["significance_mean"]) < 0.15
    assert 0.9 <= summary["significance_width"] <= 1.1


def test_normalisation_table_is_reported_next_to_the_fit(few_runs, tmp_path):
    obs_ids = [obs.obs_id for obs in few_runs]
    table = Table({"OBS_ID": obs_ids, "NORM": [1.1, 1.2, 1.3, 1.4],
                   "NORM_ERR": [0.01] * 4})
    report = run_validation(few_runs[:1], truth_background(), tmp_path,
                            normalisation_table=table)
    assert list(report.runs["TABLE_NORM"]) == [1.1]
    assert list(report.runs["TABLE_NORM_ERR"]) == [0.01]
    assert "TABLE_TILT" not in report.runs.colnames
    assert abs(report.runs["NORM"][0] - 1) < 4 * report.runs["NORM_ERR"][0]


def test_a_run_without_model_is_refused_by_obs_id(few_runs, tmp_path):
    models = {obs.obs_id: truth_background() for obs in few_runs[1:]}
    with pytest.raises(BaccmodValueError, match=rf"\[{few_runs[0].obs_id}\]"):
        validate(few_runs, models, [EXCLUSION], tmp_path)
    assert not any(tmp_path.iterdir())


def test_models_must_be_a_dict_of_background_irfs(few_runs, tmp_path):
    with pytest.raises(BaccmodTypeError, match="dict obs_id"):
        validate(few_runs, [truth_background()], [EXCLUSION], tmp_path)
    models = {obs.obs_id: "bkg.fits" for obs in few_runs}
    with pytest.raises(BaccmodTypeError, match=f"run {few_runs[0].obs_id}"):
        validate(few_runs, models, [EXCLUSION], tmp_path)


def test_a_model_with_nan_rates_is_refused(few_runs, tmp_path):
    model = scaled_truth()
    model.data[0, 0, 0] = np.nan
    with pytest.raises(BaccmodValueError, match="non-finite"):
        validate(few_runs[:1], {few_runs[0].obs_id: model}, [EXCLUSION], tmp_path)


def test_options_are_checked_before_any_work(few_runs, tmp_path):
    models = {obs.obs_id: truth_background() for obs in few_runs}
    with pytest.raises(BaccmodTypeError, match="correlation_radius"):
        validate(few_runs, models, [EXCLUSION], tmp_path, correlation_radius=0.1)
    with pytest.raises(BaccmodTypeError, match="offset_axis"):
        validate(few_runs, models, [EXCLUSION], tmp_path, offset_axis=[0, 1, 2])
    with pytest.raises(BaccmodValueError, match="no row for run"):
        validate(few_runs, models, [EXCLUSION], tmp_path,
                 normalisation_table=Table({"OBS_ID": [999], "NORM": [1.0]}))
    assert not any(tmp_path.iterdir())
