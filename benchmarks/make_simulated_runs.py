"""Write N simulated runs (DL3, readable by DataStore.from_dir) with ``baccmod.simulate``.

    python make_simulated_runs.py --folder DIR --runs 1000 --events-per-run 2000

Wobble runs (0.5 deg around PKS 2155-304, 28 min each) at the H.E.S.S. site, 8 per night
from 22:30 UTC, one sidereal day apart so that every night has the same AltAz tracks and
every run costs the same. The background is a smooth Background3D (power law in energy x
Gaussian in offset) normalised to about ``--events-per-run`` events per run. Runs in the
system python with the repository on PYTHONPATH (``baccmod.simulate`` is ours).
"""
import argparse
import sys

import numpy as np
from astropy import units as u
from astropy.coordinates import EarthLocation, SkyCoord
from astropy.time import Time

import cases

SITE = EarthLocation(lon=16.5002 * u.deg, lat=-23.2717 * u.deg, height=1835 * u.m)
FIRST_START = Time("2023-07-01T22:30:00", scale="utc")
DURATION = 28 * u.min
RUNS_PER_NIGHT = 8
RUN_SPACING = 30 * u.min
SIDEREAL_DAY = 86164.0905 * u.s
WOBBLE_DEG = 0.5
FOV_HALF_WIDTH_DEG = 2.5  # a bit beyond the models' 2 deg
INDEX = 2.7
OFFSET_SIGMA_DEG = 1.2


def background(events_per_run):
    """Background3D rate (s-1 MeV-1 sr-1) giving ~events_per_run events per run."""
    from gammapy.irf import Background3D, FoVAlignment
    from gammapy.maps import MapAxis
    lo, hi, per_decade = cases.ENERGY_TEV
    energy = MapAxis.from_energy_bounds(lo, hi, per_decade, per_decade=True, unit="TeV",
                                        name="energy")
    edges = np.linspace(-FOV_HALF_WIDTH_DEG, FOV_HALF_WIDTH_DEG, 21)
    lon = MapAxis.from_edges(edges, unit="deg", name="fov_lon")
    lat = MapAxis.from_edges(edges, unit="deg", name="fov_lat")
    e, x, y = np.meshgrid(energy.center.to_value("TeV"), lon.center.to_value("deg"),
                          lat.center.to_value("deg"), indexing="ij")
    shape = e ** -INDEX * np.exp(-(x ** 2 + y ** 2) / (2 * OFFSET_SIGMA_DEG ** 2))
    solid_angle = (np.diff(np.deg2rad(edges))[:, None]
                   * np.diff(np.sin(np.deg2rad(edges)))[None, :])
    de = energy.bin_width.to_value("MeV")[:, None, None]
    norm = events_per_run / np.sum(shape * solid_angle * de * DURATION.to_value("s"))
    return Background3D(axes=[energy, lon, lat], data=norm * shape, unit="s-1 MeV-1 sr-1",
                        fov_alignment=FoVAlignment.ALTAZ)


def pointings_and_starts(n_runs):
    source = SkyCoord(cases.SOURCE_RA_DEG, cases.SOURCE_DEC_DEG, unit="deg")
    index = np.arange(n_runs)
    angles = (index % 4) * 90.0 * u.deg
    pointings = source.directional_offset_by(angles, WOBBLE_DEG * u.deg)
    starts = (FIRST_START + (index // RUNS_PER_NIGHT) * SIDEREAL_DAY
              + (index % RUNS_PER_NIGHT) * RUN_SPACING)
    return pointings, starts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", required=True)
    parser.add_argument("--runs", type=int, required=True)
    parser.add_argument("--events-per-run", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        from baccmod.simulate import simulate_runs
    except ImportError as error:
        sys.exit(f"--scaling needs baccmod.simulate.simulate_runs (ours), which does not "
                 f"import yet: {type(error).__name__}: {error}")
    pointings, starts = pointings_and_starts(args.runs)
    simulate_runs(args.folder, background(args.events_per_run), pointings, starts, DURATION,
                  SITE, seed=args.seed, overwrite=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
