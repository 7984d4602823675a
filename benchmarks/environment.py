"""Where things are, and the two interpreters under test.

ours: this interpreter, with the repository root first on PYTHONPATH.
baccmod: a separate venv holding BAccMod 0.4.1 (it shares our import name ``baccmod``, so it
must never be installed beside ours), created once with ``python -m venv`` + pip and reused.
"""
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
REPO = BENCHMARKS.parent
DEFAULT_VENV = BENCHMARKS / ".venv-baccmod"
BACCMOD_REQUIREMENT = "baccmod==0.4.1"
BACCMOD_VERSION = "0.4.1"
DR1 = "hess-dl3-dr1"


@dataclass
class Side:
    """One package under test: its name, interpreter and environment variables."""
    name: str
    python: str
    env: dict = field(default_factory=dict)


def find_dr1():
    """$GAMMAPY_DATA/hess-dl3-dr1, else ../shared/gammapy-data/hess-dl3-dr1 beside the repo."""
    candidates = []
    if os.environ.get("GAMMAPY_DATA"):
        candidates.append(Path(os.environ["GAMMAPY_DATA"]) / DR1)
    candidates.append(REPO.parent / "shared" / "gammapy-data" / DR1)
    for path in candidates:
        if (path / "obs-index.fits.gz").exists():
            return path
    raise SystemExit("H.E.S.S. DL3 DR1 not found; looked in "
                     + ", ".join(str(p) for p in candidates)
                     + ". Set GAMMAPY_DATA to a folder holding hess-dl3-dr1.")


def base_env():
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.update(PYTHONNOUSERSITE="1", MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
    return env


def ours(cache_dir=None):
    """Our package: this interpreter with the repository root on PYTHONPATH; ``cache_dir``:
    where it keeps its on-disk caches (``BACCMOD_CACHE_DIR``: the Earth orientation table)."""
    env = base_env()
    env.pop("PYTHONNOUSERSITE")  # ours may rely on user-site packages of this interpreter
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO),
                                                      os.environ.get("PYTHONPATH")]))
    if cache_dir is not None:
        env["BACCMOD_CACHE_DIR"] = str(cache_dir)
    return Side("ours", sys.executable, env)


def venv_python(venv):
    return Path(venv) / "bin" / "python"


def baccmod_installed(python):
    """True when ``python`` imports BAccMod 0.4.1 (and not ours)."""
    check = ("import importlib.metadata as m, baccmod; "
             f"assert m.version('baccmod') == '{BACCMOD_VERSION}', m.version('baccmod')")
    if not Path(python).exists():
        return False
    done = subprocess.run([str(python), "-c", check], env=base_env(), cwd=BENCHMARKS,
                          capture_output=True, text=True)
    return done.returncode == 0


def ensure_baccmod_venv(venv=DEFAULT_VENV):
    """Create the BAccMod venv unless it already works; returns its Side."""
    python = venv_python(venv)
    if not baccmod_installed(python):
        print(f"Creating the BAccMod venv in {venv} ({BACCMOD_REQUIREMENT}) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", BACCMOD_REQUIREMENT],
                       env=base_env(), check=True)
        if not baccmod_installed(python):
            raise SystemExit(f"{venv} does not import BAccMod {BACCMOD_VERSION} after pip.")
    return Side("baccmod", str(python), base_env())
