"""Run one case of one package in a fresh subprocess (``worker.py``) and collect its result."""
import json
import subprocess
import time
from pathlib import Path

from environment import BENCHMARKS, REPO

WORKER = BENCHMARKS / "worker.py"


def run_worker(side, case, datastore, select, folder, label=None, timeout=None):
    """Run ``worker.py`` for ``case`` with ``side``'s interpreter; returns the result dict.

    The files go to ``folder``: ``<label>.fits`` (models), ``<label>.json`` (worker result)
    and ``<label>.log`` (the worker's stdout and stderr). ``t_process_s`` is the wall time of
    the whole subprocess, interpreter start-up included, measured here.
    """
    label = label or f"{side.name}-{case}"
    fits = Path(folder) / f"{label}.fits"
    fits.unlink(missing_ok=True)
    arguments = ["--case", case, "--datastore", str(datastore), "--select", select,
                 "--fits", str(fits), "--expect", side.name, "--repo", str(REPO)]
    result = run_script(side, WORKER, arguments, folder, label, timeout)
    result.update(package=side.name, case=case, fits=str(fits))
    return result


def run_script(side, script, arguments, folder, label, timeout=None):
    """Run ``script arguments --result <label>.json`` with ``side``'s interpreter in a fresh
    process, its output in ``<label>.log``; returns the JSON it wrote (empty if none) with
    ``t_process_s`` (wall time of the whole subprocess, measured here), ``returncode``, ``log``
    and ``error`` when the process failed without saying why."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {ext: folder / f"{label}.{ext}" for ext in ("json", "log")}
    for path in paths.values():
        path.unlink(missing_ok=True)
    command = [side.python, str(script), *arguments, "--result", str(paths["json"])]
    start = time.perf_counter()
    try:
        with open(paths["log"], "w") as log:
            done = subprocess.run(command, env=side.env, cwd=BENCHMARKS, stdout=log,
                                  stderr=subprocess.STDOUT, timeout=timeout)
        returncode = done.returncode
    except subprocess.TimeoutExpired:
        returncode = "timeout"
    wall = time.perf_counter() - start
    result = _read_result(paths["json"])
    result.update(t_process_s=wall, returncode=returncode, log=str(paths["log"]))
    if returncode != 0 and "error" not in result:
        result["error"] = f"{script.name} exited with {returncode}: {_tail(paths['log'])}"
    return result


def _read_result(path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}


def _tail(path, lines=3):
    try:
        text = Path(path).read_text().strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])


def short_error(result, width=100):
    """The first line of a result's error, shortened for a table cell."""
    error = result.get("error", "").splitlines()[0] if result.get("error") else ""
    error = error.replace("|", "/")
    return error if len(error) <= width else error[:width - 3] + "..."
