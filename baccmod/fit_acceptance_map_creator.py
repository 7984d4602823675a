"""BAccMod's ``FitAcceptanceMapCreator``: a 3D background model (``Background3D``,
AltAz-aligned) fitted with an astropy model.

The model's value is the background rate (s-1 TeV-1 sr-1, as in BAccMod) at a bin's centre: energy in TeV
at the log centre of the computation energy bin, fov_lon and fov_lat in deg. Its number of
inputs chooses the fit (see :mod:`baccmod.fitting`): 1 = a spectral fit per spatial bin,
2 = a spatial fit per computation energy bin, 3 = one global fit.
"""
from astropy.modeling.functional_models import Gaussian2D

from .api import Grid3DAcceptanceMapCreator
from .errors import BaccmodTypeError
from .fitting import ModelFit
from .logging import MOREINFO

__all__ = ["FitAcceptanceMapCreator", "MOREINFO"]

#: Options of ``Grid3DAcceptanceMapCreator``'s 0.4.1 fit, which this creator replaces.
_LEGACY_FIT_OPTIONS = ("method", "fit_fnc", "fit_seeds", "fit_bounds")


class FitAcceptanceMapCreator(Grid3DAcceptanceMapCreator):
    """3D background model fitted with an astropy model.

    Expected counts per bin = model(bin centre) x livetime x dE x dOmega x unexcluded
    fraction, summed over runs; bins without unexcluded exposure are left out; the Poisson
    likelihood is minimised with iminuit (migrad, then hesse for the covariance). The rate is
    fitted on the computation energy axis (the dynamic one when it applies, per zenith bin for
    zenith-binned and per-run models) and interpolated onto ``energy_axis``; its statistical
    error (``rate_error``) comes from the fit's covariance.

    Parameters
    ----------
    energy_axis, offset_axis : gammapy.maps.MapAxis
        As for :class:`~baccmod.api.Grid3DAcceptanceMapCreator`.
    model_to_fit : astropy.modeling.Model
        1 input (energy), 2 (fov_lon, fov_lat) or 3 (energy, fov_lon, fov_lat), one output,
        parameters without units (e.g. ``Gaussian2D()``, a compound model, a
        :class:`baccmod.model.CustomModels` or a ready model of :mod:`baccmod.model`). Its
        ``bounds``, ``fixed`` and ``tied`` are honoured; bounds of a normalisation parameter
        are on the rate's scale.
    list_name_normalisation_parameter : list of str
        Parameters multiplied together, before each fit, by the factor that makes the model
        predict the observed counts (the model must be proportional to them jointly).
    maxiter : int
        Most evaluations of the likelihood per minimisation (migrad runs twice when the first
        does not converge).
    **kwargs
        Every other option of ``Grid3DAcceptanceMapCreator`` (except its 0.4.1 ``method``,
        ``fit_fnc``, ``fit_seeds``, ``fit_bounds``).

    Attributes
    ----------
    fit_result, fit_results, sq_rel_residuals
        As for ``Grid3DAcceptanceMapCreator``: the FitResult of each fitted piece
        (``fit_result.results``: key () for a 3D fit, (energy index,) per energy bin,
        (lon index, lat index) per spatial bin) and the residuals per piece.

    Raises
    ------
    BaccmodTypeError, BaccmodValueError
        From the constructor, for a model or option that cannot be fitted.
    """

    def __init__(self, energy_axis, offset_axis, model_to_fit=Gaussian2D(),
                 list_name_normalisation_parameter=["amplitude"], maxiter=1000, **kwargs):
        given = [name for name in _LEGACY_FIT_OPTIONS if name in kwargs]
        if given:
            raise BaccmodTypeError(
                f"FitAcceptanceMapCreator fits model_to_fit: {', '.join(given)} are options of "
                "Grid3DAcceptanceMapCreator's 0.4.1 fit, not of this creator.")
        self._model_fit = ModelFit(model_to_fit, list_name_normalisation_parameter, maxiter)
        self.model_to_fit = model_to_fit
        self.list_name_normalisation_parameter = list_name_normalisation_parameter
        self.maxiter = self._model_fit.maxiter
        super().__init__(energy_axis, offset_axis, **kwargs)
        for name in _LEGACY_FIT_OPTIONS:  # not options of this creator
            delattr(self, name)

    def _fit(self, options):
        return self._model_fit
