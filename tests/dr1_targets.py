"""The H.E.S.S. DR1 setup of issue 9: models from the OFF runs, applied to four targets.

Radial models from the 45 OFF runs (see :func:`test_dr1_sparse_models.off_run_ids`) in 5
zenith bins of 8 runs, interpolated in cos(zenith) to each run pointed within 2 deg of one of
four targets (Crab, PKS 2155-304, MSH 15-52, RX J1713.7-3946), excluding a circle around each
target (0.3-0.6 deg) and 0.4 deg around each OFF run's target; gammapy's FoVBackgroundMaker
then fits each run's model. Used by tests/test_runwise_normalisation_dr1.py and
benchmarks/dr1_norm_ranges.py.

This work made use of data from the H.E.S.S. DL3 public test data release 1 (HESS DL3 DR1,
H.E.S.S. collaboration, 2018), licensed CC BY 4.0.
"""
import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from gammapy.datasets import MapDataset
from gammapy.makers import FoVBackgroundMaker, MapDatasetMaker, SafeMaskMaker
from gammapy.maps import MapAxis, WcsGeom
from gammapy.modeling.models import PowerLawNormSpectralModel
from regions import CircleSkyRegion

from baccmod import RadialAcceptanceMapCreator
from test_dr1_sparse_models import off_run_ids

#: Target -> (position, exclusion radius deg).
TARGETS = {"Crab": (SkyCoord(83.63308, 22.01450, unit="deg"), 0.3),
           "PKS 2155-304": (SkyCoord(329.71694, -30.2255, unit="deg"), 0.4),
           "MSH 15-52": (SkyCoord(228.529, -59.159, unit="deg"), 0.5),
           "RX J1713.7-3946": (SkyCoord(258.1125, -39.6867, unit="deg"), 0.6)}
ENERGY = MapAxis.from_energy_bounds(0.1, 100, 5, per_decade=True, unit="TeV", name="energy")
OFFSET = MapAxis.from_bounds(0, 2.5, 5, unit="deg", name="offset")
OFF_EXCLUSION = 0.4 * u.deg


def dr1_setup(store, n_runs=None):
    """(target -> its runs (at most n_runs, spread in zenith), OFF runs, exclusions)."""
    table = store.obs_table
    off_ids = off_run_ids(table)
    rows = np.isin(table["OBS_ID"], off_ids)
    off_targets = SkyCoord(table["RA_OBJ"][rows], table["DEC_OBJ"][rows], unit="deg")
    exclusions = [CircleSkyRegion(c, r * u.deg) for c, r in TARGETS.values()]
    exclusions += [CircleSkyRegion(c, OFF_EXCLUSION) for c in off_targets]
    pointings = SkyCoord(table["RA_PNT"], table["DEC_PNT"], unit="deg")
    runs = {}
    for name, (centre, _) in TARGETS.items():
        near = pointings.separation(centre) < 2 * u.deg
        ids = np.asarray(table["OBS_ID"][near])[np.argsort(table["ZEN_PNT"][near])]
        if n_runs is not None and len(ids) > n_runs:
            ids = ids[np.linspace(0, len(ids) - 1, n_runs).round().astype(int)]
        runs[name] = store.get_observations(ids, required_irf=["aeff"])
    return runs, store.get_observations(off_ids, required_irf=[]), exclusions


def off_collection(off_runs, exclusions):
    """The zenith collection of the OFF runs (5 bins of 8 runs)."""
    return creator(exclusions).create_acceptance_model(off_runs, zenith_binning=True)


def creator(exclusions, energy_range=None, method="scale"):
    options = {} if energy_range is None else {"runwise_normalisation_energy_range": energy_range}
    return RadialAcceptanceMapCreator(
        ENERGY, OFFSET, oversample_map=5, exclude_regions=exclusions,
        cos_zenith_binning_method="min_n_observation", cos_zenith_binning_parameter_value=8,
        runwise_normalisation_method=method, **options)


def gammapy_norm(obs, model, exclusions, safe_range=False, method="scale"):
    """FoVBackgroundMaker norm (and tilt, 0 for ``method="scale"``) of ``model`` as the
    run's bkg, outside the exclusions within 2.5 deg: in 1-10 TeV, or (``safe_range``) over
    0.1-100 TeV with SafeMaskMaker "aeff-default"."""
    axis = ENERGY if safe_range else MapAxis.from_energy_bounds(1, 10, 5, unit="TeV",
                                                                name="energy")
    geom = WcsGeom.create(skydir=obs.get_pointing_icrs(obs.tmid), width=5.2 * u.deg,
                          binsz=0.04, frame="icrs", axes=[axis])
    obs.bkg = model
    dataset = MapDatasetMaker(selection=["counts", "background"]).run(
        MapDataset.create(geom, name=str(obs.obs_id)), obs)
    methods = ["offset-max", "aeff-default"] if safe_range else ["offset-max"]
    dataset = SafeMaskMaker(methods=methods, offset_max=OFFSET.edges[-1]).run(dataset, obs)
    spectral = PowerLawNormSpectralModel()
    spectral.tilt.frozen = method == "scale"
    maker = FoVBackgroundMaker(method=method, spectral_model=spectral,
                               exclusion_mask=~geom.to_image().region_mask(exclusions))
    fitted = maker.run(dataset).models[0].spectral_model
    return fitted.norm.value, fitted.tilt.value


