"""The command line end to end on simulated runs: init -> edit -> build -> a DataStore gammapy
reads; bad configs refused with the key named and a non-zero exit code."""
import importlib.util
import subprocess
import sys

import numpy as np
import pytest
import yaml
from astropy.table import Table
from click.testing import CliRunner
from gammapy.data import DataStore
from gammapy.irf import Background2D

from baccmod.cli import cli, main

N_RUNS = 4


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory):
    from zenith_simulation import simulate
    folder = tmp_path_factory.mktemp("cli_runs")
    simulate(folder, n_runs=N_RUNS)
    return folder


def edited_config(folder, runs_dir, **sections):
    """`baccmod init` in folder, then the template edited for the simulated runs."""
    path = folder / "baccmod.yaml"
    result = CliRunner().invoke(cli, ["init", str(path), "--overwrite"])
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(path.read_text())
    data["data"].update(datastore=str(runs_dir), cone=None)
    data["exclusions"]["circles"] = []
    data["axes"] = {"energy": {"min": "0.1 TeV", "max": "10 TeV", "nbin": 4},
                    "offset": {"max": "2 deg", "nbin": 4}}
    data["model"]["oversample_map"] = 2
    data["outputs"]["datastore"] = "out"
    data["validation"]["out_dir"] = None  # the report is tested on its own below
    for section, values in sections.items():
        data[section].update(values)
    path.write_text(yaml.safe_dump(data))
    return path


def test_init_build_writes_a_datastore_gammapy_reads(tmp_path, runs_dir):
    from zenith_simulation import base_background
    config = edited_config(tmp_path, runs_dir)
    result = CliRunner().invoke(cli, ["build", str(config)])
    assert result.exit_code == 0, result.output
    store = DataStore.from_dir(tmp_path / "out")
    assert len(store.obs_table) == N_RUNS
    truth = base_background()
    for obs_id in store.obs_table["OBS_ID"]:
        bkg = store.obs(obs_id, required_irf=["bkg"]).bkg
        assert isinstance(bkg, Background2D)
        # the truth at zenith 0 times cos(zenith) (~0.65-0.8 for these runs), lowest energy
        ratio = bkg.data[0] / truth.data[0]
        assert np.all((ratio > 0.5) & (ratio < 0.95))
    norms = Table.read(tmp_path / "out" / "normalisation.ecsv")
    assert len(norms) == N_RUNS and np.all(np.abs(norms["NORM"] - 1) < 0.2)


def test_build_also_writes_a_zenith_collection(tmp_path, runs_dir):
    from baccmod.collection import BackgroundCollectionZenith
    config = edited_config(tmp_path, runs_dir,
                           zenith={"interpolation": True,
                                   "cos_zenith_binning_method": "min_n_observation",
                                   "cos_zenith_binning_parameter_value": 2},
                           outputs={"collection": "collection.fits"})
    result = CliRunner().invoke(cli, ["build", str(config)])
    assert result.exit_code == 0, result.output
    collection = BackgroundCollectionZenith.read(tmp_path / "collection.fits")
    assert len(collection) == 2
    assert len(DataStore.from_dir(tmp_path / "out").obs_table) == N_RUNS


def test_build_in_two_processes_with_a_run_cache_writes_the_same_models(tmp_path, runs_dir):
    serial_dir, parallel_dir = tmp_path / "serial", tmp_path / "parallel"
    serial_dir.mkdir()
    parallel_dir.mkdir()
    serial = edited_config(serial_dir, runs_dir)
    parallel = edited_config(parallel_dir, runs_dir, outputs={"overwrite": True},
                             execution={"n_jobs": 2, "cache_dir": "cache"})
    assert CliRunner().invoke(cli, ["build", str(serial)]).exit_code == 0
    want = DataStore.from_dir(serial_dir / "out")
    for _ in range(2):  # the second build reads the runs from the cache
        result = CliRunner().invoke(cli, ["build", str(parallel)])
        assert result.exit_code == 0, result.output
        assert len(list((parallel_dir / "cache").rglob("*.run"))) == N_RUNS
        got = DataStore.from_dir(parallel_dir / "out")
        for obs_id in want.obs_table["OBS_ID"]:
            assert np.array_equal(got.obs(obs_id, required_irf=["bkg"]).bkg.data,
                                  want.obs(obs_id, required_irf=["bkg"]).bkg.data)


def test_existing_output_refused_then_overwritten(tmp_path, runs_dir):
    config = edited_config(tmp_path, runs_dir, data={"obs_ids": [1, 2]})
    (tmp_path / "out").mkdir()
    result = CliRunner().invoke(cli, ["build", str(config)])
    assert result.exit_code == 1
    assert "outputs.datastore" in result.output and "overwrite" in result.output
    config = edited_config(tmp_path, runs_dir, data={"obs_ids": [1, 2]},
                           outputs={"overwrite": True})
    assert CliRunner().invoke(cli, ["build", str(config)]).exit_code == 0
    assert sorted(DataStore.from_dir(tmp_path / "out").obs_table["OBS_ID"]) == [1, 2]


@pytest.mark.parametrize("sections, named", [
    ({"model": {"colour": "red"}}, "model.colour: unknown key"),
    ({"axes": {"offset": {"max": "2 TeV", "nbin": 4}}}, "axes.offset.max"),
    ({"data": {"datastore": "no-such-folder"}}, "data.datastore"),
    ({"exclusions": {"regions_file": "no-such.reg"}}, "exclusions.regions_file"),
    ({"data": {"obs_ids": [99]}}, "data.obs_ids: runs [99]"),
    ({"data": {"target": "Crab"}}, "data: no run"),
    ({"model": {"options": {"no_such_option": 1}}}, "no_such_option"),
    ({"outputs": {"datastore": None}}, "outputs"),
    ({"execution": {"n_jobs": "two"}}, "execution.n_jobs"),
    ({"execution": {"n_jobs": 0}}, "n_jobs must be >= 1"),
])
def test_bad_config_refused_naming_the_key(tmp_path, runs_dir, sections, named):
    config = edited_config(tmp_path, runs_dir)
    data = yaml.safe_load(config.read_text())
    for section, values in sections.items():
        data[section].update(values)
    config.write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(cli, ["build", str(config)])
    assert result.exit_code == 1
    assert named in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_missing_config_file_named(tmp_path):
    result = CliRunner().invoke(cli, ["build", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1 and "nope.yaml" in result.output and "init" in result.output


def test_usage_error_exits_2():
    assert CliRunner().invoke(cli, ["build"]).exit_code == 2
    assert main(["build"]) == 2


def test_init_refuses_to_replace_a_config(tmp_path):
    path = tmp_path / "baccmod.yaml"
    path.write_text("mine")
    result = CliRunner().invoke(cli, ["init", str(path)])
    assert result.exit_code == 1 and path.read_text() == "mine"
    assert CliRunner().invoke(cli, ["init", str(path), "--overwrite"]).exit_code == 0
    assert path.read_text().startswith("# baccmod config")


def test_python_m_baccmod_routes_to_the_command_line():
    result = subprocess.run([sys.executable, "-m", "baccmod", "--help"], capture_output=True,
                            text=True, cwd=str(__import__("pathlib").Path(__file__).parents[1]))
    assert result.returncode == 0
    for command in ("init", "build", "validate", "demo"):
        assert command in result.stdout


def test_build_and_validate_write_the_report(tmp_path, runs_dir):
    if importlib.util.find_spec("baccmod.validation") is None:
        pytest.skip("baccmod.validation (branch validation) is not merged here yet")
    config = edited_config(tmp_path, runs_dir, validation={"out_dir": "report"})
    assert CliRunner().invoke(cli, ["build", str(config)]).exit_code == 0
    assert any((tmp_path / "report").glob("*.png")), "build writes the report too"
    for png in (tmp_path / "report").glob("*.png"):
        png.unlink()
    result = CliRunner().invoke(cli, ["validate", str(config)])
    assert result.exit_code == 0, result.output
    assert any((tmp_path / "report").glob("*.png"))


def test_validate_before_build_named(tmp_path, runs_dir):
    config = edited_config(tmp_path, runs_dir)
    result = CliRunner().invoke(cli, ["validate", str(config)])
    assert result.exit_code == 1
    assert "outputs.datastore" in result.output or "baccmod.validation" in result.output


def test_exclusions_from_a_regions_file_and_a_bad_mask_file_named(tmp_path, runs_dir):
    (tmp_path / "exclude.reg").write_text(
        "icrs\ncircle(329.71694, -30.2255, 0.3)\n")
    (tmp_path / "mask.fits").write_text("not a map")
    config = edited_config(tmp_path, runs_dir, data={"obs_ids": [1]},
                           exclusions={"regions_file": "exclude.reg"})
    result = CliRunner().invoke(cli, ["build", str(config)])
    assert result.exit_code == 0, result.output
    config = edited_config(tmp_path, runs_dir, exclusions={"mask_file": "mask.fits"},
                           outputs={"overwrite": True})
    result = CliRunner().invoke(cli, ["build", str(config)])
    assert result.exit_code == 1 and "exclusions.mask_file" in result.output
