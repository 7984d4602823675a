"""The quick-start demo: ``baccmod demo [--output DIR]`` (or ``python -m baccmod demo``).

The demo builds a radial and a 3D background model and writes them as FITS files with PNG
plots. It uses the 21 PKS 2155-304 runs of the H.E.S.S. DL3 DR1 when ``$GAMMAPY_DATA``
holds ``hess-dl3-dr1``, and otherwise runs it simulates itself.
"""
import logging
import os
import tempfile
import time
from pathlib import Path

log = logging.getLogger("baccmod.demo")

PKS2155 = (329.71694, -30.2255)


def _dr1_observations():
    path = Path(os.environ.get("GAMMAPY_DATA", "")) / "hess-dl3-dr1"
    if not os.environ.get("GAMMAPY_DATA") or not (path / "obs-index.fits.gz").exists():
        return None
    import astropy.units as u
    from astropy.coordinates import SkyCoord
    from gammapy.data import DataStore
    store = DataStore.from_dir(path)
    table = store.obs_table
    near = SkyCoord(table["RA_PNT"], table["DEC_PNT"], unit="deg").separation(
        SkyCoord(*PKS2155, unit="deg")) < 2 * u.deg
    print(f"Using {near.sum()} H.E.S.S. DL3 DR1 runs of PKS 2155-304 from {path}\n"
          "(This work made use of data from the H.E.S.S. DL3 public test data release 1 "
          "(HESS DL3 DR1, H.E.S.S. collaboration, 2018).)")
    return store.get_observations(table["OBS_ID"][near], required_irf=[])


def _simulated_observations(folder):
    import astropy.units as u
    import numpy as np
    from astropy.coordinates import EarthLocation, SkyCoord
    from astropy.time import Time
    from gammapy.data import DataStore
    from gammapy.irf import Background3D, FoVAlignment
    from gammapy.maps import MapAxis

    from .simulate import simulate_runs
    energy = MapAxis.from_energy_bounds(0.1, 10, 10, unit="TeV", name="energy")
    edges = np.linspace(-2.5, 2.5, 21) * u.deg
    lon = MapAxis.from_edges(edges, name="fov_lon")
    lat = MapAxis.from_edges(edges, name="fov_lat")
    e, x, y = np.meshgrid(energy.center.to_value("TeV"), lon.center.value, lat.center.value,
                          indexing="ij")
    shape = e ** -2.0 * np.exp(-(x ** 2 + y ** 2) / 8) * (1 + 0.2 * x)
    solid_angle = np.outer(np.diff(np.deg2rad(edges.value)), np.diff(np.sin(np.deg2rad(edges.value))))
    duration = 28 * u.min
    events_per_run = 15_000
    rate = shape * events_per_run / np.sum(shape * solid_angle * duration.to_value("s")
                                           * energy.bin_width.to_value("MeV")[:, None, None])
    truth = Background3D(axes=[energy, lon, lat], data=rate, unit="s-1 MeV-1 sr-1",
                         fov_alignment=FoVAlignment.ALTAZ)
    source = SkyCoord(*PKS2155, unit="deg")
    pointings = SkyCoord([source.directional_offset_by(a * u.deg, 0.5 * u.deg)
                          for a in (0, 90, 180, 270, 0, 90, 180, 270)])
    starts = Time("2023-07-01T22:00:00", scale="utc") + np.arange(8) * 30 * u.min
    site = EarthLocation(lon=16.5002 * u.deg, lat=-23.2717 * u.deg, height=1835 * u.m)
    simulate_runs(folder, truth, pointings, starts, duration, site, seed=1,
                  source={"position": source, "rate": 0.05 / u.s})
    print(f"Using 8 simulated runs written to {folder}")
    store = DataStore.from_dir(folder)
    return store.get_observations(required_irf=[])


def demo(output):
    import astropy.units as u
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from astropy.coordinates import SkyCoord
    from gammapy.maps import MapAxis
    from regions import CircleSkyRegion

    from . import Grid3DAcceptanceMapCreator, RadialAcceptanceMapCreator
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        observations = _dr1_observations() or _simulated_observations(tmp)
        energy = MapAxis.from_energy_bounds(0.1, 10, 5, per_decade=True, unit="TeV",
                                            name="energy")
        offset = MapAxis.from_bounds(0, 2, 6, unit="deg", name="offset")
        region = CircleSkyRegion(SkyCoord(*PKS2155, unit="deg"), 0.4 * u.deg)
        for name, creator in (("radial", RadialAcceptanceMapCreator),
                              ("grid3d", Grid3DAcceptanceMapCreator)):
            maker = creator(energy, offset, oversample_map=5, exclude_regions=[region])
            start = time.perf_counter()
            model = maker.create_acceptance_map(observations)
            elapsed = time.perf_counter() - start
            fits_path = output / f"background_{name}.fits"
            model.to_table_hdu().writeto(fits_path, overwrite=True)
            model.peek()
            png_path = output / f"background_{name}.png"
            plt.gcf().savefig(png_path, dpi=80)
            plt.close("all")
            print(f"{name}: {len(observations)} runs, {int(maker.counts.sum())} events counted, "
                  f"built in {elapsed:.2f} s -> {fits_path}, {png_path}")
