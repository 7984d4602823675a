"""Each run's work kept on disk, so that later builds read no event file.

An entry holds everything a run gives any model of one binning (:class:`RunWork` with its
pieces, whole contribution, pointing track and run-wise normalisation inputs), so builds with
other zenith binnings, interpolation, mini-IRF or normalisation settings are made from the
entries alone. Its key is a digest of the baccmod version, the binning, exclusions, site
override and rate convention (:meth:`RunWorkSpec.identity`), the run and the paths of its files;
the entry records each file's size, modification time and content digest, and is used only
while the files hold the same content (a file with a new time is hashed again).

Entries are our own format: a header line, the sha256 of the payload, then the payload: a
JSON header (numbers, strings, and each array's dtype, shape and place) and the arrays' bytes,
read back with ``np.frombuffer`` (nothing in an entry is ever executed: no pickle). They are
written to a temporary file and renamed into place, so readers and concurrent writers see whole
entries only; an entry that fails its digest or cannot be read is computed again, with a
warning.
"""
import hashlib
import json
import logging
import math
import os
import tempfile
from pathlib import Path

import numpy as np

from . import __version__
from .core.model import RunContribution
from .errors import BaccmodTypeError, BaccmodValueError
from .products import RunRecord
from .run_work import PieceWork, RunWork, file_digest, run_files

log = logging.getLogger(__name__)
_MAGIC = b"BACCMOD RUN CACHE 2\n"
_DIGEST_BYTES = 64
_SUFFIX = ".run"


def check_cache_dir(cache_dir):
    """``cache_dir`` as a Path, refused (before any work) unless it is a path naming a
    directory or nothing yet, or None."""
    if cache_dir is None:
        return None
    if not isinstance(cache_dir, (str, os.PathLike)):
        raise BaccmodTypeError(f"cache_dir must be a path (str or pathlib.Path), not "
                               f"{type(cache_dir).__name__}.")
    path = Path(cache_dir).expanduser()
    if path.exists() and not path.is_dir():
        raise BaccmodValueError(f"cache_dir {path} exists and is not a directory: give a "
                                "directory (it is created if missing).")
    return path


class RunCache:
    """Run entries under ``directory`` for runs worked on with one spec token
    (:meth:`baccmod.run_work.RunWorkSpec.token`)."""

    def __init__(self, directory, token):
        self.directory = Path(directory)
        self.token = token

    def path(self, obs):
        """The entry's path for a run, None when the run cannot be cached (its events are
        in memory)."""
        files = run_files(obs)
        if not files:
            return None
        identity = "\n".join([f"baccmod {__version__}", self.token, f"run {int(obs.obs_id)}",
                              *map(str, files), _filter_identity(obs), _site_identity(obs)])
        key = hashlib.sha256(identity.encode()).hexdigest()
        return self.directory / key[:2] / f"{key}{_SUFFIX}"

    def load(self, obs, path):
        """The RunWork kept at ``path`` for ``obs``; None when there is none, it is damaged
        (with a warning) or the run's files changed since."""
        if not path.exists():
            return None
        try:
            work = _decode(_read_checked(path))
        except (OSError, ValueError, KeyError, TypeError, IndexError) as error:
            log.warning("run %s: its cache entry %s is damaged (%s); the run is read again.",
                        obs.obs_id, path, error)
            return None
        if not _files_unchanged(work.files):
            log.info("run %s: its files changed since %s was written; the run is read again.",
                     obs.obs_id, path)
            return None
        return work

    def store(self, path, work):
        """Write a run's entry atomically (a temporary file renamed into place)."""
        payload = _encode(work)
        digest = hashlib.sha256(payload).hexdigest().encode()
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=_SUFFIX)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(_MAGIC + digest + b"\n" + payload)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _filter_identity(obs):
    """gammapy's event/time filter of a run, as text ('' without)."""
    filters = obs.obs_filter
    if filters.time_filter is None and not filters.event_filters:
        return ""
    return f"filter {filters.time_filter!r} {filters.event_filters!r}"


def _site_identity(obs):
    """The site set on the observation in memory, as text ('' when it comes from a file)."""
    site = obs.__dict__.get("_location")
    if site is None:
        return ""
    return "site " + " ".join(repr(float(v)) for v in site.geocentric)


def _files_unchanged(files):
    """Whether every file has the size and content it had (re-hashed when its time moved)."""
    for name, (size, mtime_ns, digest) in files.items():
        try:
            stat = os.stat(name)
        except OSError:
            return False
        if stat.st_size != size:
            return False
        if stat.st_mtime_ns != mtime_ns and file_digest(name) != digest:
            return False
    return True


def _read_checked(path):
    data = path.read_bytes()
    head = len(_MAGIC)
    if not data.startswith(_MAGIC):
        raise ValueError("not a baccmod run cache entry")
    digest = data[head:head + _DIGEST_BYTES]
    payload = data[head + _DIGEST_BYTES + 1:]
    if hashlib.sha256(payload).hexdigest().encode() != digest:
        raise ValueError("its content does not match its digest")
    return payload


_OPTIONAL_ARRAYS = ("gti_starts", "gti_stops", "track_times", "track_cos_zenith",
                    "track_azimuth")
_LENGTH_BYTES = 8


def _encode(work):
    """A RunWork as bytes: the length of a JSON header (8 bytes, little-endian), the header
    (its numbers and strings, and each array's name, dtype, shape and place), the arrays."""
    pieces = work.pieces
    arrays = dict(
        piece_counts=np.stack([p.contribution.counts for p in pieces]),
        piece_exposure=np.stack([p.contribution.spatial_exposure for p in pieces]),
        piece_livetime=np.array([p.contribution.livetime for p in pieces]),
        piece_cos_zenith=np.array([p.cos_zenith for p in pieces]),
        piece_azimuth=np.array([p.azimuth for p in pieces]),
        norm_energies=work.whole.norm_energies, norm_solid_angle=work.whole.norm_solid_angle,
        **{name: getattr(work, name) for name in _OPTIONAL_ARRAYS})
    if len(pieces) > 1:
        arrays.update(whole_counts=work.whole.counts,
                      whole_exposure=work.whole.spatial_exposure)
    table, blocks, offset = {}, [], 0
    for name, array in arrays.items():
        array = np.ascontiguousarray(array, dtype=np.dtype(array.dtype).newbyteorder("<"))
        table[name] = [array.dtype.str, list(array.shape), offset]
        blocks.append(array.tobytes())
        offset += array.nbytes
    header = json.dumps(dict(
        obs_id=work.obs_id, source=work.source, record=vars(work.record),
        pointing=[work.pointing_lon, work.pointing_lat], livetime=work.livetime,
        safe_energy_threshold=work.safe_energy_threshold, files=work.files,
        log_records=work.log_records, whole_livetime=work.whole.livetime,
        arrays=table)).encode()
    return len(header).to_bytes(_LENGTH_BYTES, "little") + header + b"".join(blocks)


def _decode(payload):
    length = int.from_bytes(payload[:_LENGTH_BYTES], "little")
    meta = json.loads(payload[_LENGTH_BYTES:_LENGTH_BYTES + length].decode())
    data = memoryview(payload)[_LENGTH_BYTES + length:]
    arrays = {}
    for name, (dtype, shape, offset) in meta["arrays"].items():
        dtype = np.dtype(dtype)
        if dtype.hasobject:
            raise ValueError(f"array {name} holds Python objects")
        count = math.prod(shape)
        arrays[name] = np.frombuffer(data, dtype, count, offset).reshape(shape).copy()
    pieces = [PieceWork(RunContribution(counts, exposure, float(livetime)), float(cz), float(az))
              for counts, exposure, livetime, cz, az in zip(
                  arrays["piece_counts"], arrays["piece_exposure"], arrays["piece_livetime"],
                  arrays["piece_cos_zenith"], arrays["piece_azimuth"])]
    whole = pieces[0].contribution if len(pieces) == 1 else RunContribution(
        arrays["whole_counts"], arrays["whole_exposure"], float(meta["whole_livetime"]))
    whole.norm_energies = arrays["norm_energies"]
    whole.norm_solid_angle = arrays["norm_solid_angle"]
    return RunWork(int(meta["obs_id"]), meta["source"], RunRecord(**meta["record"]),
                   float(meta["pointing"][0]), float(meta["pointing"][1]),
                   float(meta["livetime"]), pieces, whole,
                   **{name: arrays[name] for name in _OPTIONAL_ARRAYS},
                   safe_energy_threshold=meta["safe_energy_threshold"],
                   files={k: tuple(v) for k, v in meta["files"].items()},
                   log_records=[tuple(r) for r in meta["log_records"]])
