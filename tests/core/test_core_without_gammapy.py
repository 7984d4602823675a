"""baccmod.core builds a model from plain arrays with gammapy and regions blocked."""
from blocked_imports import run_blocked


def test_core_runs_with_gammapy_and_regions_blocked():
    result = run_blocked("""
        import sys
        import numpy as np
        from baccmod.core.model import RunArrays, RadialAccumulator, GridAccumulator, model_rate
        from baccmod.core.exclusion import ExcludedArea
        from baccmod.core.fov import angular_separation
        rng = np.random.default_rng(1)
        n = 5000
        lon0, lat0 = 1.0, -0.5
        lon = lon0 + rng.normal(0, 0.01, n); lat = lat0 + rng.normal(0, 0.01, n)
        run = RunArrays(7, 1000.0, 10 ** rng.uniform(-1, 1, n), lon, lat, lon0, lat0,
                        fov_lon=lon - lon0, fov_lat=lat - lat0,
                        sky_to_altaz_matrices=np.eye(2)[None], node_weights=np.ones(1))
        area = ExcludedArea(lambda x, y: angular_separation(lon0, lat0 + 0.01, x, y) < 0.005,
                            lon0, lat0 + 0.01, 0.005)
        energy = np.logspace(-1, 1, 5)
        radial = RadialAccumulator(energy, np.linspace(0, 0.035, 6), 4)
        grid = GridAccumulator(energy, np.linspace(-0.035, 0.035, 8),
                               np.linspace(-0.035, 0.035, 8), 4)
        for acc in (radial, grid):
            acc.add(run, [area])
            cube = acc.result()
            assert np.isfinite(cube.rate).all() and cube.rate.sum() > 0
            assert model_rate(cube, energy).shape == cube.rate.shape
        assert not any(m.split('.')[0] in ('gammapy', 'regions') for m in sys.modules)
        print('ok')
    """, ('gammapy', 'regions'))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok")


def test_every_core_module_imports_without_gammapy_regions_or_astropy():
    result = run_blocked("""
        import importlib
        import pkgutil
        import baccmod.core
        names = [m.name for m in pkgutil.iter_modules(baccmod.core.__path__)]
        for name in names:
            importlib.import_module('baccmod.core.' + name)
        print(len(names), 'ok')
    """, ('gammapy', 'regions', 'astropy'))
    assert result.returncode == 0, result.stderr
    count, word = result.stdout.split()[-2:]
    assert word == "ok" and int(count) >= 10
