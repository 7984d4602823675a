"""Shared fixtures: the H.E.S.S. DL3 DR1 data (real-data tests skip without it)."""
import os
from pathlib import Path

import pytest
from astropy.utils import iers

# No network at run time: use the Earth orientation tables astropy ships (astropy 6.0-7.1
# would otherwise try to download IERS-A at every use, slowly failing offline).
iers.conf.auto_download = False

REPO = Path(__file__).resolve().parents[1]
PKS2155 = (329.71694, -30.2255)


def gammapy_data_dir():
    """$GAMMAPY_DATA, falling back to ../shared/gammapy-data beside the repository."""
    env = os.environ.get("GAMMAPY_DATA")
    return Path(env) if env else REPO.parent / "shared" / "gammapy-data"


@pytest.fixture(scope="session")
def hess_dr1():
    path = gammapy_data_dir() / "hess-dl3-dr1"
    if not (path / "obs-index.fits.gz").exists():
        pytest.skip(f"H.E.S.S. DL3 DR1 not found at {path}: set GAMMAPY_DATA to a folder "
                    "holding hess-dl3-dr1 to run the real-data tests.")
    from gammapy.data import DataStore
    return DataStore.from_dir(path)


@pytest.fixture(scope="session")
def pks2155_observations(hess_dr1):
    """The 21 PKS 2155-304 runs (pointings within 2 deg of the source)."""
    import astropy.units as u
    from astropy.coordinates import SkyCoord
    table = hess_dr1.obs_table
    pointings = SkyCoord(table["RA_PNT"], table["DEC_PNT"], unit="deg")
    near = pointings.separation(SkyCoord(*PKS2155, unit="deg")) < 2 * u.deg
    return hess_dr1.get_observations(table["OBS_ID"][near], required_irf=[])


@pytest.fixture(scope="session")
def simulated_observations(tmp_path_factory):
    """The shared simulated runs of ``simulation.py`` (written once per test session)."""
    from simulation import simulate
    return simulate(tmp_path_factory.mktemp("simulated_runs"))


@pytest.fixture(scope="session")
def zenith_observations(tmp_path_factory):
    """The simulated runs of ``zenith_simulation.py`` (rate proportional to cos zenith)."""
    from zenith_simulation import simulate
    return simulate(tmp_path_factory.mktemp("zenith_runs"))
