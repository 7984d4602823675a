"""Working on runs in other processes or machines, in a fixed order.

:func:`map_runs` applies :func:`baccmod.run_work.run_work` to every run and yields the results
in the runs' order, whatever order they finish in, so a model summed from them is the same
number for number as the serial one. The runs are worked on

- here, one after the other (``n_jobs=None`` or 1, no executor);
- in ``n_jobs`` local processes (``n_jobs=-1``: one per core available);
- by any :class:`concurrent.futures.Executor` (``executor=``), e.g. a Dask cluster's:
  ``dask.distributed.Client(...).get_executor()``.

At most a few tasks per worker are in flight, so memory stays bounded by the model cubes plus
a few runs per worker. What a run logs in a worker is logged again here, in the runs' order.
"""
import logging
import multiprocessing
import os
import sys
import threading
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional

from .errors import BaccmodTypeError, BaccmodValueError
from .progress import progress
from .run_cache import RunCache, check_cache_dir
from .run_work import run_work

log = logging.getLogger(__name__)
#: The creators' options saying where runs are worked on and whether their work is kept.
EXECUTION_OPTIONS = ("n_jobs", "executor", "cache_dir")
_ROOT_LOGGER = "baccmod"
#: Tasks in flight per worker.
_TASKS_PER_WORKER = 4
#: Runs per task sent to an executor given by the caller (each task carries the spec once).
_RUNS_PER_FOREIGN_TASK = 8
#: Tasks in flight for an executor whose number of workers is not known.
_FOREIGN_WINDOW = 32


def check_execution(n_jobs=None, executor=None):
    """Refuse ``n_jobs`` / ``executor`` that cannot run builds (before any work); returns
    ``n_jobs`` as the number of local processes (None: no local pool)."""
    if n_jobs is not None and executor is not None:
        raise BaccmodValueError("give n_jobs (local processes) or executor=, not both.")
    if executor is not None and not isinstance(executor, Executor):
        raise BaccmodTypeError(
            "executor must be a concurrent.futures.Executor (e.g. ProcessPoolExecutor(4) or "
            f"dask.distributed.Client(...).get_executor()), not {type(executor).__name__}.")
    if n_jobs is None:
        return None
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int):
        raise BaccmodTypeError(f"n_jobs must be an int (processes; -1: one per core), not "
                               f"{type(n_jobs).__name__} {n_jobs!r}.")
    if n_jobs == -1:
        return available_cores()
    if n_jobs < 1:
        raise BaccmodValueError(f"n_jobs must be >= 1 or -1 (one per core), not {n_jobs}.")
    return n_jobs


def available_cores():
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def map_runs(observations, spec, n_jobs=None, executor=None):
    """:func:`~baccmod.run_work.run_work` of each run, yielded in the runs' order.

    Parameters
    ----------
    observations : list of gammapy.data.Observation
    spec : baccmod.run_work.RunWorkSpec
    n_jobs : int, optional
        Local processes (checked by :func:`check_execution`); None or 1: here.
    executor : concurrent.futures.Executor, optional

    Yields
    ------
    (Observation, RunWork)
        The first error of a run (in the runs' order) is raised as it would be serially.
    """
    level = logging.getLogger(_ROOT_LOGGER).getEffectiveLevel()
    if executor is not None:
        yield from _map_chunks(observations, spec, executor, level, _RUNS_PER_FOREIGN_TASK,
                               _FOREIGN_WINDOW)
    elif n_jobs is not None and n_jobs > 1 and len(observations) > 1:
        workers = min(n_jobs, len(observations))
        with _local_pool(workers, spec) as pool:
            yield from _map_chunks(observations, None, pool, level, 1,
                                   _TASKS_PER_WORKER * workers)
    elif spec.file_digests:  # what a run logs is kept with it in the run cache
        for obs in progress(observations, desc="runs"):
            work = _work_task([obs], spec, level)[0]
            replay_log_records(work.log_records)
            yield obs, work
    else:
        for obs in progress(observations, desc="runs"):
            yield obs, run_work(obs, spec)


def _map_chunks(observations, spec, executor, level, chunk, window):
    """Submit chunks of runs, at most ``window`` in flight; yield results in order."""
    chunks = [observations[i:i + chunk] for i in range(0, len(observations), chunk)]
    pending = []
    bar = progress(range(len(observations)), desc="runs")
    bar_iter = iter(bar)
    submitted = 0
    try:
        while submitted < len(chunks) or pending:
            while submitted < len(chunks) and len(pending) < window:
                pending.append(executor.submit(_work_task, chunks[submitted], spec, level,
                                               os.getpid()))
                submitted += 1
            index = submitted - len(pending)
            results = pending.pop(0).result()
            for obs, work in zip(chunks[index], results):
                replay_log_records(work.log_records)
                next(bar_iter, None)
                yield obs, work
    finally:
        for future in pending:
            future.cancel()
        close = getattr(bar, "close", None)
        if close is not None:
            close()


def _local_pool(workers, spec):
    """A pool of ``workers`` processes holding ``spec`` (sent once, not with every run)."""
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_hold_spec,
                               initargs=(spec,))


_HELD_SPEC = None


def _hold_spec(spec):
    global _HELD_SPEC
    _HELD_SPEC = spec


def _work_task(observations, spec, level, caller_pid=None):
    """Work on runs in a worker: [RunWork], what each run logs kept in its ``log_records``
    rather than logged (the caller logs them in order).

    In a thread of the calling process (``caller_pid``: its id) the runs log directly:
    the logger is shared there, and changing it would hide what other threads log."""
    spec = _HELD_SPEC if spec is None else spec
    if os.getpid() == caller_pid and threading.current_thread() is not threading.main_thread():
        return [run_work(obs, spec) for obs in observations]
    logger = logging.getLogger(_ROOT_LOGGER)
    collector = _RecordCollector()
    saved = logger.level, logger.propagate
    logger.setLevel(level)
    logger.propagate = False
    logger.addHandler(collector)
    try:
        results = []
        for obs in observations:
            collector.records = []
            work = run_work(obs, spec)
            work.log_records = collector.records
            results.append(work)
        return results
    finally:
        logger.removeHandler(collector)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


class _RecordCollector(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append((record.name, record.levelno, record.getMessage()))


def replay_log_records(records):
    """Log again, here, what a run logged elsewhere: [(logger name, level, message)]."""
    for name, level, message in records:
        logger = logging.getLogger(name)
        if logger.isEnabledFor(level):
            logger.handle(logger.makeRecord(name, level, "(worker)", 0, message, None, None))


@dataclass(frozen=True)
class Execution:
    """Where runs are worked on and whether their work is kept (see :func:`execution`)."""
    n_jobs: Optional[int] = None
    executor: object = None
    cache_dir: Optional[Path] = None

    def works(self, observations, spec):
        """(Observation, RunWork) of every run in the runs' order: from the run cache when
        it holds the run, else worked on (and kept when there is a cache)."""
        if self.cache_dir is None:
            yield from map_runs(observations, spec, self.n_jobs, self.executor)
            return
        spec = replace(spec, pieces=True, whole=True, norm=True, file_digests=True)
        token = spec.token()
        if token is None:
            log.warning("the runs are not kept in the run cache: an exclusion area has no "
                        "identity (ExcludedArea.identity), so a cached run could not be told "
                        "apart from one made with other exclusions.")
            yield from map_runs(observations, spec, self.n_jobs, self.executor)
            return
        yield from _cached_works(observations, spec, RunCache(self.cache_dir, token), self)


def execution(n_jobs=None, executor=None, cache_dir=None):
    """A checked :class:`Execution` (see :func:`check_execution`,
    :func:`baccmod.run_cache.check_cache_dir`)."""
    return Execution(check_execution(n_jobs, executor), executor, check_cache_dir(cache_dir))


def _cached_works(observations, spec, cache, where):
    """The runs' works, read from ``cache`` where it holds them and mapped (as ``where``
    says) and stored otherwise, in the runs' order."""
    paths = [cache.path(obs) for obs in observations]
    kept = [path is not None and path.exists() for path in paths]
    computed = map_runs([obs for obs, hit in zip(observations, kept) if not hit], spec,
                        where.n_jobs, where.executor)
    n_loaded = 0
    for obs, path, hit in zip(observations, paths, kept):
        work = cache.load(obs, path) if hit else None
        if work is not None:
            n_loaded += 1
            replay_log_records(work.log_records)
        else:
            if hit:  # damaged, or its files changed: worked on again, here
                work = _work_task([obs], spec,
                                  logging.getLogger(_ROOT_LOGGER).getEffectiveLevel())[0]
                replay_log_records(work.log_records)
            else:
                work = next(computed)[1]
            if path is not None:
                cache.store(path, work)
        yield obs, work
    log.info("run cache %s: %d of %d runs read from it.", cache.directory, n_loaded,
             len(observations))
