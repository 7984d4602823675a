"""gammapy's FoVBackgroundMaker norms of baccmod's run-wise normalised models on H.E.S.S. DR1.

The setup of issue 9: radial models from the 45 OFF runs in 5 zenith bins (8 runs each),
interpolated in cos(zenith) to each run of four targets (Crab, PKS 2155-304, MSH 15-52,
RX J1713.7-3946; runs pointed within 2 deg of each), normalised per run in a given energy
range; then gammapy's FoVBackgroundMaker (method "scale") fits each run's model outside the
exclusions, within 2.5 deg of the pointing, in 1-10 TeV and over the run's safe range
(SafeMaskMaker "aeff-default": LO_THRES to 100 TeV). Prints min-max per target.

    GAMMAPY_DATA=... python benchmarks/dr1_norm_ranges.py [n_runs_per_target]

This work made use of data from the H.E.S.S. DL3 public test data release 1 (HESS DL3 DR1,
H.E.S.S. collaboration, 2018), licensed CC BY 4.0.
"""
import os
import sys
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.utils import iers
from gammapy.data import DataStore
from gammapy.datasets import MapDataset
from gammapy.makers import FoVBackgroundMaker, MapDatasetMaker, SafeMaskMaker
from gammapy.maps import MapAxis, WcsGeom
from regions import CircleSkyRegion

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from baccmod import RadialAcceptanceMapCreator  # noqa: E402
from test_dr1_sparse_models import off_run_ids  # noqa: E402

iers.conf.auto_download = False
#: Target -> (position, exclusion radius deg).
TARGETS = {"Crab": (SkyCoord(83.63308, 22.01450, unit="deg"), 0.3),
           "PKS 2155-304": (SkyCoord(329.71694, -30.2255, unit="deg"), 0.4),
           "MSH 15-52": (SkyCoord(228.529, -59.159, unit="deg"), 0.5),
           "RX J1713.7-3946": (SkyCoord(258.1125, -39.6867, unit="deg"), 0.6)}
ENERGY = MapAxis.from_energy_bounds(0.1, 100, 5, per_decade=True, unit="TeV", name="energy")
OFFSET = MapAxis.from_bounds(0, 2.5, 5, unit="deg", name="offset")
OFF_EXCLUSION = 0.4 * u.deg
RANGES = {"whole 0.1-100 TeV": (0.1 * u.TeV, 100 * u.TeV), "1-10 TeV": (1 * u.TeV, 10 * u.TeV),
          "safe threshold (LO_THRES) to top": "lo_thres", "default": None}


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


def per_run_models(runs, base, exclusions, energy_range, method="scale"):
    """Per-run models (obs_id -> Background2D) of the collection ``base`` interpolated in
    cos(zenith), normalised in ``energy_range`` (None: the default; "lo_thres": each run's
    safe threshold to the model's top)."""
    if energy_range == "lo_thres":
        from baccmod.adapters.irf import safe_energy_threshold
        models = {}
        for obs in runs:
            low = safe_energy_threshold(obs) * u.TeV
            models.update(creator(exclusions, (low, ENERGY.edges[-1]), method)
                          .create_acceptance_map_per_observation(
                              [obs], base_model=base, zenith_interpolation=True))
        return models
    return creator(exclusions, energy_range, method).create_acceptance_map_per_observation(
        runs, base_model=base, zenith_interpolation=True)


def gammapy_norm(obs, model, exclusions, safe_range=False):
    """FoVBackgroundMaker(method="scale") norm of ``model`` as the run's bkg, outside the
    exclusions within 2.5 deg: in 1-10 TeV, or (``safe_range``) over 0.1-100 TeV with
    SafeMaskMaker "aeff-default"."""
    axis = ENERGY if safe_range else MapAxis.from_energy_bounds(1, 10, 5, unit="TeV",
                                                                name="energy")
    geom = WcsGeom.create(skydir=obs.get_pointing_icrs(obs.tmid), width=5.2 * u.deg,
                          binsz=0.04, frame="icrs", axes=[axis])
    obs.bkg = model
    dataset = MapDatasetMaker(selection=["counts", "background"]).run(
        MapDataset.create(geom, name=str(obs.obs_id)), obs)
    methods = ["offset-max", "aeff-default"] if safe_range else ["offset-max"]
    dataset = SafeMaskMaker(methods=methods, offset_max=OFFSET.edges[-1]).run(dataset, obs)
    maker = FoVBackgroundMaker(method="scale",
                               exclusion_mask=~geom.to_image().region_mask(exclusions))
    return maker.run(dataset).models[0].spectral_model.norm.value


def main(n_runs=None):
    store = DataStore.from_dir(Path(os.environ["GAMMAPY_DATA"]) / "hess-dl3-dr1")
    runs, off_runs, exclusions = dr1_setup(store, n_runs)
    base = off_collection(off_runs, exclusions)
    for label, energy_range in RANGES.items():
        print(f"normalised in {label}: gammapy's norms in 1-10 TeV | over the safe range")
        for name, target_runs in runs.items():
            models = per_run_models(target_runs, base, exclusions, energy_range)
            n1 = [gammapy_norm(obs, models[obs.obs_id], exclusions) for obs in target_runs]
            ns = [gammapy_norm(obs, models[obs.obs_id], exclusions, True) for obs in target_runs]
            print(f"  {name} ({len(n1)} runs): {min(n1):.3f}-{max(n1):.3f} | "
                  f"{min(ns):.3f}-{max(ns):.3f}", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else None)
