"""BAccMod 0.4 attribute and method names on baccmod's collections and creators.

BAccMod exposes part of its state as plain attributes (``bkg``, ``type_model``,
``max_offset``, ...) and has a few helper methods baccmod does not need. These mixins give
them under BAccMod's names, as read-only views of baccmod's own state, so that code written
for BAccMod keeps working. Differences of meaning are stated per name.
"""
from .core.zenith_interpolation import MAX_CLEANING_PASSES, TINY


class ZenithCollectionAttributes:
    """BAccMod names on :class:`~baccmod.collection.BackgroundCollectionZenith`."""

    #: Largest number of cleaning passes after an interpolation.
    max_cleaning_iteration = MAX_CLEANING_PASSES
    #: Always True: a model that differs from the others is refused when it is added.
    consistent_bkg = True

    @property
    def bkg(self):
        """The models, as a new dict zenith (deg, float) -> model (BAccMod's stored dict;
        changing this copy does not change the collection: use ``collection[zenith] = ...``)."""
        return dict(self.items())

    @property
    def threshold_value_log_interpolation(self):
        """``log_offset``: added to the rates before log10 in ``log`` interpolation."""
        return self.log_offset

    @property
    def type_model(self):
        """Class of the models (``Background2D`` or ``Background3D``), None when empty."""
        model = self._first_model()
        return None if model is None else type(model)

    @property
    def axes_model(self):
        """Axes of the models (gammapy ``MapAxes``), None when empty."""
        model = self._first_model()
        return None if model is None else model.axes

    @property
    def unit_model(self):
        """Unit of the models' data, None when empty."""
        model = self._first_model()
        return None if model is None else model.unit

    @property
    def shape_model(self):
        """Shape of the models' data, None when empty."""
        model = self._first_model()
        return None if model is None else model.data.shape

    @property
    def fov_alignment(self):
        """FoV alignment of the models (gammapy ``FoVAlignment``), None when empty."""
        model = self._first_model()
        return None if model is None else model.fov_alignment

    def generate_interpolation_function(self):
        """Prepare the interpolation now (it is otherwise prepared at first use)."""
        if len(self):
            self._stacked()

    def check_bkg(self):
        """Check that the models share type, axes, unit and FoV alignment; raise
        :class:`~baccmod.errors.BackgroundModelFormatError` if not (models are already
        checked when added, so this only fails for models changed in place)."""
        from .collection import _check_compatible
        models = list(self.values())
        for model in models[1:]:
            _check_compatible(model, models[0], "the collection's first model")

    def _first_model(self):
        return next(iter(self.values()), None)


def _of_reference(name, doc):
    """Read-only property: attribute ``name`` of the side that describes the collection."""
    return property(lambda self: getattr(self._reference(), name), doc=doc)


class AzimuthCollectionAttributes:
    """BAccMod names on :class:`~baccmod.collection.BackgroundCollectionZenithSplitAzimuth`.

    Model properties and interpolation settings are those of the east side (as in BAccMod),
    or of the west side when the east side is empty.
    """

    max_cleaning_iteration = MAX_CLEANING_PASSES
    consistent_bkg = True

    @staticmethod
    def eastwest(azimuth):
        """``"east"`` or ``"west"``: the side of ``azimuth`` (Quantity or deg). baccmod puts
        azimuth 180 deg in the west (BAccMod: east)."""
        from .collection import BackgroundCollectionZenithSplitAzimuth
        return BackgroundCollectionZenithSplitAzimuth.side(azimuth)

    def get_zenith(self, azimuth=None):
        """Zenith angles (Quantity, deg, increasing) of the models of ``azimuth``'s side
        (Quantity or deg; required, as in BAccMod)."""
        if azimuth is None:
            from .errors import BaccmodValueError
            raise BaccmodValueError("get_zenith of an azimuth-split collection needs the "
                                    "azimuth of the side (e.g. get_zenith(90 * u.deg)).")
        return self.collection(azimuth).get_zenith()

    @property
    def bkg(self):
        """``{"east": collection, "west": collection}``."""
        return {"east": self.east, "west": self.west}

    def generate_interpolation_function(self):
        """Prepare the interpolation of both sides now."""
        self.east.generate_interpolation_function()
        self.west.generate_interpolation_function()

    def check_bkg(self):
        """Check each side's models, and the west's against the east's."""
        from .collection import _check_compatible
        self.east.check_bkg()
        self.west.check_bkg()
        if len(self.east) and len(self.west):
            _check_compatible(self.west._first_model(), self.east._first_model(),
                              "the east side's models (west vs east)")

    def _reference(self):
        return self.east if len(self.east) or not len(self.west) else self.west

    type_model = _of_reference("type_model", "Class of the models, None when empty.")
    axes_model = _of_reference("axes_model", "Axes of the models, None when empty.")
    unit_model = _of_reference("unit_model", "Unit of the models' data, None when empty.")
    shape_model = _of_reference("shape_model", "Shape of the models' data, None when empty.")
    fov_alignment = _of_reference("fov_alignment", "FoV alignment of the models.")
    interpolation_type = _of_reference("interpolation_type", "linear or log in cos(zenith).")
    threshold_value_log_interpolation = _of_reference("log_offset", "Offset added before log10.")
    activate_interpolation_cleaning = _of_reference("activate_interpolation_cleaning",
                                                    "Whether interpolated models are cleaned.")
    interpolation_cleaning_energy_relative_threshold = _of_reference(
        "interpolation_cleaning_energy_relative_threshold", "Energy threshold of the cleaning.")
    interpolation_cleaning_spatial_relative_threshold = _of_reference(
        "interpolation_cleaning_spatial_relative_threshold", "Spatial threshold of the cleaning.")


class CreatorAttributes:
    """BAccMod names on the creators (``RadialAcceptanceMapCreator``, ...)."""

    #: Offset added to the rates before log10 in ``log`` zenith interpolation.
    threshold_value_log_interpolation = TINY
    #: Largest number of cleaning passes after a zenith interpolation.
    max_cleaning_iteration = MAX_CLEANING_PASSES

    @property
    def max_offset(self):
        """Outer edge of the offset axis (Quantity, the axis' unit)."""
        return self.offset_axis.edges[-1]

    @property
    def interpolation_type(self):
        """BAccMod's attribute name of ``interpolation_zenith_type``."""
        return self.interpolation_zenith_type

    @property
    def activate_interpolation_cleaning(self):
        """BAccMod's attribute name of ``activate_interpolation_zenith_cleaning``."""
        return self.activate_interpolation_zenith_cleaning
