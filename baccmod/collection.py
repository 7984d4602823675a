"""Background models binned in zenith angle, interpolated in cos(zenith), saved to FITS.

:class:`BackgroundCollectionZenith` maps zenith angles (deg) to gammapy ``Background2D`` or
``Background3D`` models (rates in s-1 MeV-1 sr-1) and builds the model of any zenith by
interpolation in cos(zenith) (see :mod:`baccmod.core.zenith_interpolation`).
:class:`BackgroundCollectionZenithSplitAzimuth` holds one such collection per azimuth side:
east for azimuth in [0, 180) deg, west for [180, 360) deg.

A collection also keeps the statistical error of each model's rate when it is known
(:meth:`~BackgroundCollectionZenith.set_error`, set by the creators' builds), gives it for any
zenith (:meth:`~BackgroundCollectionZenith.get_error`; interpolated as
:func:`~baccmod.core.zenith_interpolation.interpolate_cos_zenith_error` describes) and stores
it in its file.

FITS layout (``write`` / ``read``): a primary HDU whose header holds ``BKGCOLL`` (the kind of
collection: ``'baccmod-zenith'`` or ``'baccmod-zenith-azimuth'``), ``FMTVERS`` (format
version, 2), ``BACCMOD`` (baccmod version), ``NMODELS`` (number of model HDUs, to detect a
truncated file) and the interpolation settings ``INTERP``, ``CLEAN``, ``CLEAN_E``,
``CLEAN_S``, ``LOGOFF``; then one GADF background BinTable HDU per model,
named ``BKG_ZEN{i}``, with the key ``ZENITH`` (deg) and, for the azimuth-split collection,
``AZ_SIDE`` (``'east'`` or ``'west'``). When the model's error is known, its HDU has a
column ``BKG_ERR`` next to ``BKG``, of the same shape and unit (GADF readers such as
``Background3D.read`` ignore it). A model's ``meta["baccmod"]`` (intermediate products, see
:mod:`baccmod.products`) is not written. Floats are written as FITS reals when astropy writes
them exactly (at most 20 characters, e.g. 33.333333333333336), else as the exact decimal
string (e.g. LOGOFF = '2.2250738585072014e-308'), so a read gives back the same values.
Files of format version 1 (the same layout without ``BKG_ERR``) are read as well.
"""
import copy
import logging
import os
import uuid
import warnings
from collections.abc import Mapping, MutableMapping

import numpy as np
from astropy import units as u
from astropy.io import fits
from astropy.table import Table
from astropy.utils.exceptions import AstropyUserWarning
from gammapy.irf import Background2D, Background3D

from . import __version__
from .adapters.irf import check_model_rates
from .compat import AzimuthCollectionAttributes, ZenithCollectionAttributes
from .core.zenith_interpolation import (TINY, check_interpolation_kind, clean_interpolated_rate,
                                        interpolate_cos_zenith, interpolate_cos_zenith_error)
from .errors import BackgroundModelFormatError, BaccmodError, BaccmodTypeError, BaccmodValueError
from .options import check_flag, check_number

log = logging.getLogger(__name__)

#: Version of the FITS layout written by this module.
FORMAT_VERSION = 2
#: Versions this module reads (1: no BKG_ERR columns).
READABLE_VERSIONS = (1, 2)
#: Column of a model HDU holding the statistical error of the rate.
ERROR_COLUMN = "BKG_ERR"
ZENITH_FORMAT = "baccmod-zenith"
AZIMUTH_FORMAT = "baccmod-zenith-azimuth"
#: Stored zeniths closer than this (deg) to a requested zenith are taken as equal.
SAME_ZENITH_DEG = 1e-6
#: Relative tolerance on the axis edges of the models of one collection.
EDGES_RTOL = 1e-9
AZIMUTH_SIDES = ("east", "west")

_CLASS_OF_FORMAT = {ZENITH_FORMAT: "BackgroundCollectionZenith",
                    AZIMUTH_FORMAT: "BackgroundCollectionZenithSplitAzimuth"}
_MODEL_CLASSES = {"BKG_2D": Background2D, "BKG_3D": Background3D}


def _fits_bool(value):
    if not isinstance(value, bool):
        raise ValueError(f"CLEAN must be a FITS logical (T or F), got {value!r}")
    return value


# header key -> (constructor argument, conversion of the value read back)
_SETTING_KEYS = {"INTERP": ("interpolation_type", str),
                 "CLEAN": ("activate_interpolation_cleaning", _fits_bool),
                 "CLEAN_E": ("interpolation_cleaning_energy_relative_threshold", float),
                 "CLEAN_S": ("interpolation_cleaning_spatial_relative_threshold", float),
                 "LOGOFF": ("log_offset", float)}


class BackgroundCollectionZenith(ZenithCollectionAttributes, MutableMapping):
    """Background models of one kind at several zenith angles.

    Behaves as a mapping zenith (deg, stored as float; an angle Quantity is also accepted)
    -> model, iterated in increasing zenith. All models must have the same type
    (``Background2D`` or ``Background3D``), the same axes (names, units, edges within a
    relative 1e-9), the same unit and, for 3D models, the same ``fov_alignment``; their rates
    must be finite, >= 0 and not all zero; two zeniths must differ by more than
    :data:`SAME_ZENITH_DEG`.

    The collection keeps its own copy of every model it is given, and every model it returns
    (``collection[zenith]``, ``get_model``, ``get_closest_model``...) is a new copy: editing a
    model in place never changes the collection nor another model. The same holds for the
    errors (:meth:`set_error`, :meth:`get_error`); storing a model at a zenith forgets the
    error known there.

    Parameters
    ----------
    bkg_dict : dict, optional
        Zenith (deg, in [0, 90]) -> ``Background2D`` or ``Background3D`` (BAccMod's name;
        ``models`` is the same).
    interpolation_type : {"linear", "log"}
        Interpolate the rates, or log10(rate + log_offset), linearly in cos(zenith).
    threshold_value_log_interpolation : float
        BAccMod's name of ``log_offset``.
    activate_interpolation_cleaning : bool
        Clean interpolated models with :func:`~baccmod.core.zenith_interpolation.\
clean_interpolated_rate`.
    interpolation_cleaning_energy_relative_threshold : float
        Energy threshold of the cleaning, in (0, 1].
    interpolation_cleaning_spatial_relative_threshold : float
        Spatial threshold of the cleaning, in (0, 1].
    log_offset : float
        Positive offset added to the rates before taking log10 ("log" interpolation).
    """

    def __init__(self, bkg_dict=None, interpolation_type="linear",
                 threshold_value_log_interpolation=TINY, activate_interpolation_cleaning=False,
                 interpolation_cleaning_energy_relative_threshold=1e-4,
                 interpolation_cleaning_spatial_relative_threshold=1e-2, *, models=None,
                 log_offset=None):
        models = _one_of(bkg_dict, models, "bkg_dict", "models")
        if log_offset is None:
            log_offset = threshold_value_log_interpolation
        elif threshold_value_log_interpolation != TINY:
            raise BaccmodTypeError("give threshold_value_log_interpolation or log_offset (the "
                                   "same setting), not both.")
        self.interpolation_type = check_interpolation_kind(interpolation_type,
                                                           "interpolation_type")
        self.activate_interpolation_cleaning = check_flag(activate_interpolation_cleaning,
                                                          "activate_interpolation_cleaning")
        self.interpolation_cleaning_energy_relative_threshold = _check_fraction(
            interpolation_cleaning_energy_relative_threshold,
            "interpolation_cleaning_energy_relative_threshold")
        self.interpolation_cleaning_spatial_relative_threshold = _check_fraction(
            interpolation_cleaning_spatial_relative_threshold,
            "interpolation_cleaning_spatial_relative_threshold")
        self.log_offset = check_number(log_offset, "log_offset", low=0.0)
        if models is not None and not isinstance(models, Mapping):
            raise BaccmodTypeError("models must be a dict zenith (deg) -> model, got "
                                   f"{type(models).__name__}.")
        self._models = {}
        self._errors = {}  # zenith -> error of the model's rate, in the model's unit
        self._changed()
        for zenith, model in (models or {}).items():
            self[zenith] = model

    def settings(self):
        """The interpolation settings, as keyword arguments of the constructor."""
        return {"interpolation_type": self.interpolation_type,
                "activate_interpolation_cleaning": self.activate_interpolation_cleaning,
                "interpolation_cleaning_energy_relative_threshold":
                    self.interpolation_cleaning_energy_relative_threshold,
                "interpolation_cleaning_spatial_relative_threshold":
                    self.interpolation_cleaning_spatial_relative_threshold,
                "log_offset": self.log_offset}

    # --- mapping ---------------------------------------------------------------------------

    def __getitem__(self, zenith):
        """A copy of the model stored at ``zenith`` (deg)."""
        return copy.deepcopy(self._models[_check_zenith(zenith)])

    def __setitem__(self, zenith, model):
        """Store a copy of ``model`` at ``zenith`` (deg), replacing the model stored there."""
        zenith = _check_zenith(zenith)
        _check_is_model(model)
        check_model_rates(model, f"the model at zenith {zenith} deg")
        others = [z for z in self._models if z != zenith]
        if others:
            _check_compatible(model, self._models[others[0]], "the collection's models")
        near = [z for z in others if abs(z - zenith) <= SAME_ZENITH_DEG]
        if near:
            raise BaccmodValueError(
                f"zenith {zenith} deg is within {SAME_ZENITH_DEG} deg of the stored zenith "
                f"{near[0]} deg: models so close cannot be interpolated between; replace the "
                f"stored one with collection[{near[0]}] = model.")
        self._models[zenith] = copy.deepcopy(model)
        self._errors.pop(zenith, None)
        self._changed()

    def __contains__(self, zenith):
        return _check_zenith(zenith) in self._models  # without copying the model

    def __delitem__(self, zenith):
        zenith = _check_zenith(zenith)
        del self._models[zenith]
        self._errors.pop(zenith, None)
        self._changed()

    def _changed(self):
        """Forget the stacked models and errors (see :meth:`_stacked`)."""
        self._stack = None
        self._error_stack = None

    def __iter__(self):
        return iter(sorted(self._models))

    def __len__(self):
        return len(self._models)

    def __repr__(self):
        kind = type(next(iter(self._models.values()))).__name__ if self._models else "empty"
        return (f"{type(self).__name__}({kind}, zenith={self._zenith_deg().tolist()} deg, "
                f"interpolation_type={self.interpolation_type!r})")

    # --- models ----------------------------------------------------------------------------

    def get_zenith(self):
        """Zenith angles of the stored models, increasing: Quantity (deg), shape (n_model,)."""
        return self._zenith_deg() * u.deg

    def _zenith_deg(self):
        return np.array(sorted(self._models), dtype=float)

    def get_model(self, zenith):
        """A copy of the stored model at ``zenith`` (deg, within 1e-6 deg), else the
        interpolated one.

        See :meth:`get_interpolated_model` for the interpolation.
        """
        stored = self._stored_zenith(zenith)
        if stored is not None:
            return self[stored]
        return self.get_interpolated_model(zenith)

    def _stored_zenith(self, zenith):
        """The stored zenith within :data:`SAME_ZENITH_DEG` of ``zenith`` (deg), else None."""
        zenith = _check_zenith(zenith)
        zeniths = self._nonempty_zenith()
        nearest = zeniths[np.argmin(np.abs(zeniths - zenith))]
        return float(nearest) if abs(nearest - zenith) <= SAME_ZENITH_DEG else None

    def get_closest_model(self, zenith):
        """A copy of the stored model whose zenith is nearest to ``zenith`` (deg) in
        cos(zenith)."""
        return self[self._stacked()[0][self._closest_index(zenith)]]

    def get_interpolated_model(self, zenith):
        """A new model at ``zenith`` (deg), interpolated linearly in cos(zenith).

        The data are :func:`~baccmod.core.zenith_interpolation.interpolate_cos_zenith` of the
        stored models with ``interpolation_type`` and ``log_offset``, then, if
        ``activate_interpolation_cleaning``, cleaned with
        :func:`~baccmod.core.zenith_interpolation.clean_interpolated_rate`. Outside the range
        of the stored zeniths the models are extrapolated (with a warning). With a single
        stored model a copy of it is returned (with a warning).
        """
        return _model_like(self._stacked()[2], self.interpolated_rate(zenith))

    def interpolated_rate(self, zenith, warn=True):
        """The data of :meth:`get_interpolated_model` as an ndarray (in :attr:`unit`);
        ``warn=False`` leaves the warnings (one bin, extrapolation) to the caller."""
        zenith = _check_zenith(zenith)
        zeniths, rates, reference = self._stacked()
        if len(zeniths) == 1:
            if warn:
                log.warning("interpolation in zenith needs at least two zenith bins; returning "
                            f"a copy of the only model (zenith {zeniths[0]} deg).")
            return rates[0].copy()
        if warn and not self.covers(zenith):
            log.warning(f"zenith {zenith} deg is outside the range of the models "
                        f"[{zeniths[0]}, {zeniths[-1]}] deg: extrapolating.")
        rate = interpolate_cos_zenith(rates, np.cos(np.deg2rad(zeniths)),
                                      np.cos(np.deg2rad(zenith)), kind=self.interpolation_type,
                                      log_offset=self.log_offset)
        if self.activate_interpolation_cleaning:
            rate = clean_interpolated_rate(
                rate, self.interpolation_cleaning_energy_relative_threshold,
                self.interpolation_cleaning_spatial_relative_threshold)
        return rate

    def covers(self, zenith):
        """Whether ``zenith`` (deg) lies within the stored zeniths (interpolation, not
        extrapolation)."""
        zeniths = self._stacked()[0]
        return bool(zeniths[0] - SAME_ZENITH_DEG <= zenith <= zeniths[-1] + SAME_ZENITH_DEG)

    def closest_rate(self, zenith):
        """The data of :meth:`get_closest_model` as an ndarray (in :attr:`unit`)."""
        return self._stacked()[1][self._closest_index(zenith)].copy()

    def _closest_index(self, zenith):
        """Index (in increasing zenith) of the stored zenith nearest in cos(zenith)."""
        zenith = _check_zenith(zenith)
        zeniths = self._stacked()[0]
        return int(np.argmin(np.abs(np.cos(np.deg2rad(zeniths)) - np.cos(np.deg2rad(zenith)))))

    @property
    def unit(self):
        """Unit of the models' data (that of the model at the smallest zenith)."""
        return u.Unit(self._stacked()[2].unit)  # gammapy keeps a unit given as a string

    def _stacked(self):
        """Zeniths (increasing), the models' data stacked in the first model's unit, and that
        model; kept until the collection changes."""
        if self._stack is None:
            zeniths = self._nonempty_zenith()
            reference = self._models[zeniths[0]]
            rates = np.stack([self._models[z].quantity.to_value(reference.unit)
                              for z in zeniths])
            self._stack = (zeniths, rates, reference)
        return self._stack

    def _nonempty_zenith(self):
        if not self._models:
            raise BaccmodValueError(f"the {type(self).__name__} holds no model: add models "
                                    "with collection[zenith_deg] = model.")
        return self._zenith_deg()

    # --- statistical errors ----------------------------------------------------------------

    def set_error(self, zenith, error):
        """Keep ``error``, the statistical error of the rate of the model stored at
        ``zenith`` (deg): a Quantity in a unit of the models' data, of the model's data shape,
        finite and >= 0 (a copy is kept); None forgets it."""
        zenith = _check_zenith(zenith)
        if zenith not in self._models:
            raise BaccmodValueError(f"no model at zenith {zenith} deg: store the model "
                                    "(collection[zenith] = model) before its error.")
        if error is None:
            self._errors.pop(zenith, None)
        else:
            self._errors[zenith] = _checked_error(error, self._models[zenith],
                                                  f"the error of the model at zenith {zenith} deg")
        self._error_stack = None

    def get_error(self, zenith):
        """Statistical error of the rate of :meth:`get_model` at ``zenith`` (deg): a new
        Quantity (in :attr:`unit`), or None when the error of a model it needs is not known.

        The stored model's error at its zenith (within 1e-6 deg), else
        :meth:`interpolated_error`.
        """
        stored = self._stored_zenith(zenith)
        if stored is not None:
            error = self._errors.get(stored)
            error = None if error is None else error.copy()
        else:
            error = self.interpolated_error(zenith)
        return None if error is None else error * self.unit

    def has_errors(self):
        """Whether the error of every stored model is known (False when empty)."""
        return bool(self._models) and set(self._errors) == set(self._models)

    def interpolated_error(self, zenith):
        """Error (ndarray in :attr:`unit`) of :meth:`interpolated_rate` at ``zenith`` (deg),
        see :func:`~baccmod.core.zenith_interpolation.interpolate_cos_zenith_error`; None
        unless every model's error is known."""
        zenith = _check_zenith(zenith)
        errors = self._stacked_errors()
        if errors is None:
            return None
        zeniths, rates, _ = self._stacked()
        return interpolate_cos_zenith_error(rates, errors, np.cos(np.deg2rad(zeniths)),
                                            np.cos(np.deg2rad(zenith)),
                                            kind=self.interpolation_type,
                                            log_offset=self.log_offset)

    def closest_error(self, zenith):
        """Error (ndarray in :attr:`unit`) of :meth:`closest_rate`; None when not known."""
        error = self._errors.get(float(self._stacked()[0][self._closest_index(zenith)]))
        return None if error is None else error.copy()

    def _stacked_errors(self):
        """The errors stacked as :meth:`_stacked` stacks the rates, None unless every
        model's error is known; kept until the collection changes."""
        if self._error_stack is None and self.has_errors():
            self._error_stack = np.stack([self._errors[z] for z in self._stacked()[0]])
        return self._error_stack

    # --- FITS ------------------------------------------------------------------------------

    def write(self, path, overwrite=False):
        """Write to a FITS file (see the module documentation for the layout).

        The file is written under a temporary name in the same folder and then moved into
        place, so an existing file is either replaced whole or left untouched.
        """
        entries = [(model, zenith, {}, self._errors.get(zenith))
                   for zenith, model in self.items()]
        _write_collection_file(path, ZENITH_FORMAT, self.settings(), entries, overwrite)

    @classmethod
    def read(cls, path):
        """Read a collection written by :meth:`write`; executes no code from the file."""
        settings, entries = _read_collection_file(path, ZENITH_FORMAT)
        collection = cls(**settings)
        seen = {}
        for header, model, error in entries:
            _insert_from_file(collection, header, model, error, path, seen)
        return collection


class BackgroundCollectionZenithSplitAzimuth(AzimuthCollectionAttributes):
    """Zenith collections of background models for the east and the west azimuth sides.

    East holds the models of azimuth in [0, 180) deg, west those of [180, 360) deg (azimuth
    taken modulo 360). Both sides must hold models of the same type, axes and unit.

    Parameters
    ----------
    bkg_east, bkg_west : BackgroundCollectionZenith, Background2D or Background3D, optional
        The collection of each side (BAccMod's names; ``east`` and ``west`` are the same). A
        single model stands for all zeniths (a one-model collection at 45 deg, as in
        BAccMod); a missing side is an empty collection.
    **settings
        Interpolation settings (see :class:`BackgroundCollectionZenith`) of the collections
        made here (from a single model, or empty); by default those of the given collection.
        A given collection keeps its own settings: they must not differ from ``settings``.
    """

    def __init__(self, bkg_east=None, bkg_west=None, *, east=None, west=None, **settings):
        sides = {"east": _one_of(bkg_east, east, "bkg_east", "east"),
                 "west": _one_of(bkg_west, west, "bkg_west", "west")}
        explicit = bool(settings)
        if not explicit:
            given = [s for s in sides.values() if isinstance(s, BackgroundCollectionZenith)]
            settings = given[0].settings() if given else {}
        self.east, self.west = (_side_collection(name, side, settings, explicit)
                                for name, side in sides.items())
        if len(self.east) and len(self.west):
            _check_compatible(next(iter(self.west.values())), next(iter(self.east.values())),
                              "the east side's models (west vs east)")

    def __repr__(self):
        return f"{type(self).__name__}(east={self.east!r}, west={self.west!r})"

    @staticmethod
    def side(azimuth_deg):
        """``"east"`` for azimuth (deg, or an angle Quantity) in [0, 180) deg modulo 360, else
        ``"west"``."""
        azimuth = _degrees(azimuth_deg)
        if not np.isfinite(azimuth):
            raise BaccmodValueError(f"azimuth must be finite, got {azimuth_deg} deg.")
        azimuth %= 360.0
        return "east" if azimuth < 180.0 or azimuth == 360.0 else "west"

    def collection(self, azimuth_deg):
        """The :class:`BackgroundCollectionZenith` of the side of ``azimuth_deg``."""
        return getattr(self, self.side(azimuth_deg))

    def get_closest_model(self, zenith, azimuth):
        """:meth:`BackgroundCollectionZenith.get_closest_model` of the azimuth's side."""
        return self.collection(azimuth).get_closest_model(zenith)

    def get_interpolated_model(self, zenith, azimuth):
        """:meth:`BackgroundCollectionZenith.get_interpolated_model` of the azimuth's side."""
        return self.collection(azimuth).get_interpolated_model(zenith)

    def get_model(self, zenith, azimuth):
        """:meth:`BackgroundCollectionZenith.get_model` of the azimuth's side."""
        return self.collection(azimuth).get_model(zenith)

    def get_error(self, zenith, azimuth):
        """:meth:`BackgroundCollectionZenith.get_error` of the azimuth's side."""
        return self.collection(azimuth).get_error(zenith)

    def write(self, path, overwrite=False):
        """Write to a FITS file; both sides must have the same interpolation settings."""
        settings = self.east.settings()
        if self.west.settings() != settings:
            raise BaccmodValueError(
                "the east and west collections have different interpolation settings "
                f"({settings} vs {self.west.settings()}); the file holds one set, make them "
                "equal before writing.")
        entries = [(model, zenith, {"AZ_SIDE": name}, getattr(self, name)._errors.get(zenith))
                   for name in AZIMUTH_SIDES for zenith, model in getattr(self, name).items()]
        _write_collection_file(path, AZIMUTH_FORMAT, settings, entries, overwrite)

    @classmethod
    def read(cls, path):
        """Read a collection written by :meth:`write`; executes no code from the file."""
        settings, entries = _read_collection_file(path, AZIMUTH_FORMAT)
        sides = {name: BackgroundCollectionZenith(**settings) for name in AZIMUTH_SIDES}
        seen = {name: {} for name in AZIMUTH_SIDES}
        for header, model, error in entries:
            side = header.get("AZ_SIDE")
            if side not in sides:
                raise BaccmodValueError(f"{path}: HDU {header.get('EXTNAME')} has AZ_SIDE "
                                        f"{side!r}, expected 'east' or 'west'.")
            _insert_from_file(sides[side], header, model, error, path, seen[side])
        return cls(**sides)


# --- checks ------------------------------------------------------------------------------------

def _check_zenith(zenith):
    """``zenith`` (a number in deg or an angle Quantity, not a string) as a float in [0, 90]
    deg, else raise."""
    value = _degrees(zenith)
    if isinstance(zenith, (str, bytes, bool, np.bool_)) or not 0.0 <= value <= 90.0:
        raise BackgroundModelFormatError(f"zenith {zenith!r} must be in [0, 90] deg.")
    return value


def _degrees(angle):
    """A number (deg) or an angle Quantity as a float in deg; NaN if it is neither."""
    try:
        if isinstance(angle, u.Quantity):
            return float(angle.to_value(u.deg))
        return float(angle)
    except (TypeError, ValueError, u.UnitsError):
        return np.nan


def _side_collection(name, side, settings, explicit):
    """The zenith collection of one azimuth side from what was given for it."""
    if side is None:
        return BackgroundCollectionZenith(**settings)
    if isinstance(side, (Background2D, Background3D)):
        return BackgroundCollectionZenith({45.0: side}, **settings)
    if not isinstance(side, BackgroundCollectionZenith):
        raise BaccmodTypeError(f"{name} must be a BackgroundCollectionZenith, a Background2D "
                               f"or a Background3D, got {type(side).__name__}.")
    wanted = BackgroundCollectionZenith(**settings).settings()
    if explicit and side.settings() != wanted:
        raise BaccmodValueError(
            f"the {name} collection's interpolation settings {side.settings()} differ from "
            f"those given {wanted}: set them on the collection, or give no settings.")
    return side


def _one_of(value, alias_value, name, alias):
    """The value given under ``name`` or under its alias (None if neither); both: raise."""
    if value is not None and alias_value is not None:
        raise BaccmodTypeError(f"give {name} or {alias} (the same argument), not both.")
    return alias_value if value is None else value


def _check_fraction(value, name):
    return check_number(value, name, low=0.0, high=1.0, high_open=False)


def _check_is_model(model):
    if not isinstance(model, (Background2D, Background3D)):
        raise BaccmodTypeError("a background collection holds gammapy Background2D or "
                               f"Background3D models, got {type(model).__name__}.")


def _checked_error(error, model, name):
    """``error`` (a Quantity) as an array in the unit of ``model``, checked: shape of the
    model's data, finite, >= 0."""
    if not isinstance(error, u.Quantity):
        raise BaccmodTypeError(f"{name} must be a Quantity in a unit of the model's data "
                               f"({model.unit}), got {type(error).__name__}.")
    try:
        values = np.array(error.to_value(model.unit), dtype=float)
    except u.UnitConversionError:
        raise BaccmodValueError(f"{name} has unit {error.unit}, not one of the model's data "
                                f"({model.unit}).") from None
    if values.shape != model.data.shape:
        raise BaccmodValueError(f"{name} has shape {values.shape}, the model's data "
                                f"{model.data.shape}.")
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        bad = int(np.sum(~(np.isfinite(values) & (values >= 0))))
        raise BaccmodValueError(f"{name} must be finite and >= 0 in every bin; {bad} bins "
                                "are not.")
    return values


def _check_compatible(model, reference, reference_name):
    """Raise if ``model`` differs from ``reference`` in type, axes, unit or fov_alignment."""
    difference = _difference(model, reference)
    if difference:
        raise BackgroundModelFormatError(
            f"the model differs from {reference_name} in {difference}; all models must have "
            "the same type, axes, unit and fov_alignment.")


def _difference(model, reference):
    """What differs between two background models, as text, or '' if nothing does."""
    if type(model) is not type(reference):
        return f"type ({type(model).__name__} vs {type(reference).__name__})"
    if model.axes.names != reference.axes.names:
        return f"axis names ({model.axes.names} vs {reference.axes.names})"
    for axis, other in zip(model.axes, reference.axes):
        if axis.unit != other.unit:
            return f"the unit of axis {axis.name!r} ({axis.unit} vs {other.unit})"
        if axis.edges.shape != other.edges.shape or not np.allclose(
                axis.edges.value, other.edges.value, rtol=EDGES_RTOL, atol=0):
            return f"the edges of axis {axis.name!r}"
    if model.unit != reference.unit:
        return f"unit ({model.unit} vs {reference.unit})"
    if isinstance(model, Background3D) and model.fov_alignment != reference.fov_alignment:
        return (f"fov_alignment ({model.fov_alignment.value} vs "
                f"{reference.fov_alignment.value})")
    return ""


def _model_like(reference, data):
    """A new model of the type, axes (copied), unit and fov_alignment of ``reference``."""
    options = {"fov_alignment": reference.fov_alignment} \
        if isinstance(reference, Background3D) else {}
    return type(reference)(axes=copy.deepcopy(reference.axes), data=np.array(data, dtype=float),
                           unit=reference.unit, **options)


# --- FITS --------------------------------------------------------------------------------------

def _write_collection_file(path, collection_format, settings, entries, overwrite):
    """Write the primary header and one HDU per ``(model, zenith, extra header cards,
    error or None)``."""
    path = os.fspath(path)
    if os.path.exists(path) and not overwrite:
        raise BaccmodValueError(f"file {path} already exists: use overwrite=True to replace it.")
    primary = fits.PrimaryHDU()
    primary.header["BKGCOLL"] = (collection_format, "kind of baccmod background collection")
    primary.header["FMTVERS"] = (FORMAT_VERSION, "version of the file layout")
    primary.header["BACCMOD"] = (__version__, "baccmod version that wrote the file")
    primary.header["NMODELS"] = (len(entries), "number of model HDUs")
    for key, (name, _) in _SETTING_KEYS.items():
        primary.header[key] = _exact(settings[name])
    hdus = [primary]
    for index, (model, zenith, cards, error) in enumerate(entries):
        hdu = _model_hdu(model, error)
        hdu.name = f"BKG_ZEN{index}"
        hdu.header["ZENITH"] = (_exact(zenith), "zenith angle of the model (deg)")
        for key, value in cards.items():
            hdu.header[key] = value
        hdus.append(hdu)
    folder, name = os.path.split(os.path.abspath(path))
    temporary = os.path.join(folder, f".{name}.{uuid.uuid4().hex}.tmp")
    try:
        fits.HDUList(hdus).writeto(temporary)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _model_hdu(model, error):
    """The GADF BinTable HDU of a model, with its error (in the model's unit, or None) in
    :data:`ERROR_COLUMN`, without its ``meta["baccmod"]`` (no FITS header value)."""
    table = model.to_table()
    table.meta.pop("baccmod", None)
    if error is not None:
        # the layout of gammapy's data column: one row, axes reversed
        table[ERROR_COLUMN] = u.Quantity(error.T[np.newaxis], model.unit)
    return fits.BinTableHDU(table)


def _exact(value):
    """A float as astropy writes it exactly to a header (see the module documentation)."""
    if isinstance(value, float) and len(repr(value)) > 20:
        return repr(value)
    return value


def _read_collection_file(path, collection_format):
    """Interpolation settings and ``(header, model, error or None)`` per model HDU of a
    collection file.

    Astropy only warns about truncated or malformed files: such warnings are errors here.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", AstropyUserWarning)
            with fits.open(path, memmap=False, lazy_load_hdus=False) as hdus:
                header = hdus[0].header
                _check_format(header, collection_format, path)
                settings = {name: kind(_required(header, key, "primary HDU", path))
                            for key, (name, kind) in _SETTING_KEYS.items()}
                n_models = _required(header, "NMODELS", "primary HDU", path)
                if n_models != len(hdus) - 1:
                    raise BaccmodValueError(f"{path} holds {len(hdus) - 1} model HDUs but "
                                            f"announces {n_models}: the file is incomplete.")
                entries = [(hdu.header.copy(), *_model_from_hdu(hdu, path))
                           for hdu in hdus[1:]]
    except (BaccmodError, FileNotFoundError):
        raise
    except (OSError, KeyError, ValueError, TypeError, IndexError, AstropyUserWarning) as error:
        raise BaccmodValueError(f"cannot read the background collection file {path} (damaged "
                                f"or not a FITS file): {error}") from error
    return settings, entries


def _check_format(header, collection_format, path):
    found = header.get("BKGCOLL")
    if found is None:
        raise BaccmodValueError(f"{path} is not a baccmod background collection file (no "
                                "BKGCOLL key in its primary header).")
    if found != collection_format:
        if found in _CLASS_OF_FORMAT:
            raise BaccmodValueError(
                f"{path} holds a {_CLASS_OF_FORMAT[found]} ({found!r}), not a "
                f"{_CLASS_OF_FORMAT[collection_format]}: read it with "
                f"{_CLASS_OF_FORMAT[found]}.read.")
        raise BaccmodValueError(f"{path} holds an unknown kind of collection {found!r}.")
    version = header.get("FMTVERS")
    if version not in READABLE_VERSIONS:
        raise BaccmodValueError(f"{path} has format version {version!r}; this baccmod "
                                f"({__version__}) reads versions "
                                f"{', '.join(map(str, READABLE_VERSIONS))}.")


def _insert_from_file(collection, header, model, error, path, seen):
    """Put the model of a file's HDU and its error (None if not stored) into
    ``collection``; errors name the file and the HDU.

    ``seen`` maps the zeniths already read (of this side) to their HDU names: a file holds
    one model per zenith, so a second one is refused rather than silently replacing the first.
    """
    hdu = header.get("EXTNAME")
    try:
        zenith = _check_zenith(float(header["ZENITH"]))
        same = [z for z in seen if abs(z - zenith) <= SAME_ZENITH_DEG]
        if same:
            raise BaccmodValueError(
                f"ZENITH {zenith} deg is also the zenith of HDU {seen[same[0]]!r}: a collection "
                "file holds one model per zenith (and side); the file is damaged or was not "
                "written by baccmod, write it again.")
        collection[zenith] = model
        collection.set_error(zenith, error)
    except (BaccmodError, ValueError, TypeError) as problem:
        raise BaccmodValueError(f"{path}, HDU {hdu!r}: {problem}") from problem
    seen[zenith] = hdu


def _required(header, key, where, path):
    if key not in header:
        raise BaccmodValueError(f"{path}: the {where} has no {key} key.")
    return header[key]


def _model_from_hdu(hdu, path):
    """The Background2D or Background3D of a GADF background BinTable HDU and the error in
    its :data:`ERROR_COLUMN` (a Quantity; None without the column)."""
    where = f"HDU {hdu.name!r}"
    _required(hdu.header, "ZENITH", where, path)
    model_class = _MODEL_CLASSES.get(hdu.header.get("HDUCLAS4"))
    if model_class is None and isinstance(hdu, fits.BinTableHDU):
        names = set(hdu.columns.names)
        model_class = Background2D if "THETA_LO" in names else \
            Background3D if "DETX_LO" in names else None
    if model_class is None:
        raise BaccmodValueError(f"{path}: {where} holds no Background2D or Background3D "
                                "(no HDUCLAS4 'BKG_2D'/'BKG_3D' nor THETA/DETX columns).")
    table = Table.read(hdu)
    error = table[ERROR_COLUMN].quantity[0].T if ERROR_COLUMN in table.colnames else None
    return model_class.from_table(table), error
