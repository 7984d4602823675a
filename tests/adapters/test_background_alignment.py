"""gammapy relabels the bkg of H.E.S.S. DL3 DR1 runs as REVERSE_LON_RADEC; the runs baccmod
hands to gammapy keep an ALTAZ model ALTAZ."""
import numpy as np
import pytest
from astropy import units as u
from gammapy.irf import FoVAlignment
from gammapy.maps import MapAxis

from baccmod.adapters.irf import background_3d, fov_axes, with_background

pytestmark = pytest.mark.realdata


def altaz_model():
    energy = MapAxis.from_energy_bounds(0.1, 10, 2, unit="TeV", name="energy")
    offset = MapAxis.from_bounds(0, 2, 2, unit="deg", name="offset")
    return background_3d(np.ones((2, 4, 4)) * 1e-6, energy, *fov_axes(offset))


def test_gammapy_relabels_a_dr1_runs_background(hess_dr1):
    run = hess_dr1.obs(23523).copy(in_memory=True, bkg=altaz_model())
    assert run.bkg.fov_alignment == FoVAlignment.REVERSE_LON_RADEC


def test_with_background_keeps_the_models_alignment(hess_dr1):
    run = with_background(hess_dr1.obs(23523), altaz_model())
    assert run.bkg.fov_alignment == FoVAlignment.ALTAZ
    assert run.bkg.fov_alignment == FoVAlignment.ALTAZ  # at every access
    assert u.Quantity(run.observation_live_time_duration).to_value(u.s) > 0
