"""The README's two commands, as written there, on the H.E.S.S. DR1 Crab runs: from the DL3
data store to a validated background in a new DataStore.

H.E.S.S. DL3 DR1 (CC BY 4.0): H.E.S.S. Collaboration, arXiv:1810.04516.
"""
import re
import shlex

import numpy as np
import pytest
from astropy.table import Table
from gammapy.data import DataStore
from gammapy.irf import Background2D

from baccmod.cli import main
from conftest import REPO, gammapy_data_dir
from test_datastore import file_hashes

pytestmark = pytest.mark.realdata

CRAB_RUNS = [23523, 23526, 23559, 23592]


def readme_commands():
    """The commands of the first bash block of the README's "Command line" section."""
    section = (REPO / "README.md").read_text().split("\n## Command line\n", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_the_readme_shows_exactly_two_commands():
    commands = readme_commands()
    assert [shlex.split(c)[:2] for c in commands] == [["baccmod", "init"],
                                                      ["baccmod", "build"]]


@pytest.fixture(scope="module")
def built(hess_dr1, tmp_path_factory):
    """Run the README's commands in a fresh folder; returns (folder, exit codes, hashes of
    the original index files before and after)."""
    folder = tmp_path_factory.mktemp("readme_commands")
    before = file_hashes(hess_dr1.hdu_table.base_dir)
    codes = []
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        for command in readme_commands():
            words = shlex.split(command.replace("$GAMMAPY_DATA", str(gammapy_data_dir())))
            codes.append(main(words[1:]))
    return folder, codes, before, file_hashes(hess_dr1.hdu_table.base_dir)


def test_both_commands_succeed_and_leave_the_originals_untouched(built):
    _, codes, before, after = built
    assert codes == [0, 0]
    assert after == before


def test_the_new_datastore_gives_the_runs_with_the_models_as_bkg(built):
    folder = built[0]
    store = DataStore.from_dir(folder / "background-datastore")
    assert sorted(store.obs_table["OBS_ID"]) == CRAB_RUNS
    norms = Table.read(folder / "background-datastore" / "normalisation.ecsv")
    for obs in store.get_observations(CRAB_RUNS, required_irf=["bkg"]):
        bkg = obs.bkg
        assert isinstance(bkg, Background2D)  # DR1's own bkg is a Background3D
        assert bkg.meta["RATE_PER"] == "livetime"
        assert bkg.axes["energy"].nbin == 15 and bkg.axes["offset"].edges[-1].value == 2.5
        assert np.all(np.isfinite(bkg.data)) and np.all(bkg.data >= 0)
        row = norms[norms["OBS_ID"] == obs.obs_id][0]
        assert 0.5 < row["NORM"] < 1.5


def test_the_validation_report_is_written_with_sane_numbers(built):
    report = built[0] / "validation"
    assert {p.name for p in report.glob("*.png")} >= {"significance.png", "residuals.png",
                                                      "norms.png", "model.png"}
    summary = Table.read(report / "validation.ecsv").meta
    assert abs(summary["significance_mean"]) < 0.5
    assert 0.8 < summary["significance_width"] < 1.3
    assert 0.9 < summary["counts"] / summary["predicted"] < 1.1
    runs = Table.read(report / "validation_runs.ecsv")
    assert sorted(runs["OBS_ID"]) == CRAB_RUNS
