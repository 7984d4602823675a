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

from astropy import units as u
from astropy.utils import iers
from gammapy.data import DataStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from dr1_targets import (ENERGY, creator, dr1_setup, gammapy_norm,  # noqa: E402
                         off_collection)

iers.conf.auto_download = False
RANGES = {"whole 0.1-100 TeV": (0.1 * u.TeV, 100 * u.TeV), "1-10 TeV": (1 * u.TeV, 10 * u.TeV),
          "safe threshold (LO_THRES) to top": "lo_thres", "default": None}


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


def main(n_runs=None):
    store = DataStore.from_dir(Path(os.environ["GAMMAPY_DATA"]) / "hess-dl3-dr1")
    runs, off_runs, exclusions = dr1_setup(store, n_runs)
    base = off_collection(off_runs, exclusions)
    for label, energy_range in RANGES.items():
        print(f"normalised in {label}: gammapy's norms in 1-10 TeV | over the safe range")
        for name, target_runs in runs.items():
            models = per_run_models(target_runs, base, exclusions, energy_range)
            n1 = [gammapy_norm(obs, models[obs.obs_id], exclusions)[0] for obs in target_runs]
            ns = [gammapy_norm(obs, models[obs.obs_id], exclusions, True)[0]
                  for obs in target_runs]
            print(f"  {name} ({len(n1)} runs): {min(n1):.3f}-{max(n1):.3f} | "
                  f"{min(ns):.3f}-{max(ns):.3f}", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else None)
