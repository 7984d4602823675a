"""A base model the per-run models cannot be made from is refused before any run is read,
naming the model (zenith, side) and what is wrong (issue 7, item 3.4)."""
import numpy as np
import pytest
from gammapy.irf import Background3D, FoVAlignment
from gammapy.maps import MapAxis

from baccmod import (BackgroundCollectionZenith, BackgroundCollectionZenithSplitAzimuth,
                     BaccmodValueError, Grid3DAcceptanceMapCreator, RadialAcceptanceMapCreator)
from observations import make_observation

ENERGY = MapAxis.from_energy_bounds(0.1, 10, 5, per_decade=True, unit="TeV", name="energy")
OFFSET = MapAxis.from_bounds(0, 2, 4, unit="deg", name="offset")
CREATORS = [RadialAcceptanceMapCreator, Grid3DAcceptanceMapCreator]


def unreadable_runs():
    """Runs without a site: reading one would raise MissingLocationError."""
    return [make_observation(1, location=None)]


def good_model(creator):
    shape = (ENERGY.nbin,) + creator._spec.accumulator().spatial_shape
    return creator._spec.wrap(np.linspace(1.0, 2.0, np.prod(shape)).reshape(shape) * 1e-8)


def radec(model):
    return Background3D(axes=model.axes, data=model.data, unit=model.unit,
                        fov_alignment=FoVAlignment.RADEC)


#: base_model containers holding one RADEC model, and how the message names it.
RADEC_BASES = {
    "model": (lambda m: radec(m), r"base_model is RADEC-aligned"),
    "collection": (lambda m: BackgroundCollectionZenith({30.0: radec(m)}),
                   r"base_model \(zenith 30.0 deg\) is RADEC-aligned"),
    "split": (lambda m: BackgroundCollectionZenithSplitAzimuth(
        west=BackgroundCollectionZenith({40.0: radec(m)})),
              r"base_model \(west side, zenith 40.0 deg\) is RADEC-aligned"),
}


@pytest.mark.parametrize("container", sorted(RADEC_BASES))
def test_a_radec_base_model_is_refused_for_altaz_models(container):
    creator = Grid3DAcceptanceMapCreator(ENERGY, OFFSET)
    make, match = RADEC_BASES[container]
    with pytest.raises(BaccmodValueError, match=match) as error:
        creator.create_acceptance_map_per_observation(unreadable_runs(),
                                                      base_model=make(good_model(creator)))
    assert "ALTAZ-aligned Background3D" in str(error.value)


#: Unusable rates in a base model given as a plain IRF, and what the message says.
BAD_RATES = {
    "nan": (lambda data: data.flat.__setitem__(3, np.nan), "1 non-finite rates"),
    "inf": (lambda data: data.flat.__setitem__(5, -np.inf), "1 non-finite rates"),
    "negative": (lambda data: data.flat.__setitem__(7, -1e-9), "1 negative rates"),
    "all zero": (lambda data: data.fill(0.0), "only zero rates"),
}


@pytest.mark.parametrize("kind", sorted(BAD_RATES))
@pytest.mark.parametrize("creator_class", CREATORS)
def test_a_base_model_with_unusable_rates_is_refused(creator_class, kind):
    creator = creator_class(ENERGY, OFFSET)
    model = good_model(creator)
    spoil, what = BAD_RATES[kind]
    spoil(model.data)
    with pytest.raises(BaccmodValueError, match=f"base_model has {what}"):
        creator.create_acceptance_map_per_observation(unreadable_runs(), base_model=model)


@pytest.mark.parametrize("creator_class", CREATORS)
def test_a_base_model_that_is_not_a_rate_is_refused(creator_class):
    creator = creator_class(ENERGY, OFFSET)
    model = good_model(creator)
    counts = type(model)(axes=model.axes, data=model.data, unit="s-1",
                         **({"fov_alignment": model.fov_alignment}
                            if isinstance(model, Background3D) else {}))
    with pytest.raises(BaccmodValueError, match=r"base_model has unit s-1, not a background "
                                                r"rate \(s-1 MeV-1 sr-1"):
        creator.create_acceptance_map_per_observation(unreadable_runs(), base_model=counts)


def test_a_base_model_in_other_rate_units_gives_the_same_models():
    creator = RadialAcceptanceMapCreator(ENERGY, OFFSET)
    model = good_model(creator)
    in_tev = type(model)(axes=model.axes, data=model.data * 1e6, unit="s-1 TeV-1 sr-1")
    runs = [make_observation(2)]
    expected = creator.create_acceptance_map_per_observation(runs, base_model=model)[2]
    got = creator.create_acceptance_map_per_observation(runs, base_model=in_tev)[2]
    np.testing.assert_allclose(got.quantity.to_value(expected.unit), expected.data, rtol=1e-12)
