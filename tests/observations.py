"""Small in-memory gammapy observations for API tests (no files)."""
import numpy as np
from astropy import units as u
from astropy.coordinates import EarthLocation, SkyCoord
from astropy.table import Table
from astropy.time import Time
from gammapy.data import GTI, EventList, FixedPointingInfo, Observation, ObservationMetaData

HESS = EarthLocation(lon=16.5002 * u.deg, lat=-23.2717 * u.deg, height=1835 * u.m)
START = Time("2023-07-01T23:00:00", scale="utc")


def make_observation(obs_id=1, n_events=2000, duration=600.0, pointing=(329.7, -30.2),
                     location=HESS, energy_range=(0.2, 5.0), gti=None, event_offset_s=0.0,
                     deadtime_fraction=0.1, seed=0):
    """A tracked run with events spread uniformly within ~2 deg of the pointing."""
    rng = np.random.default_rng(seed)
    center = SkyCoord(*pointing, unit="deg")
    radius = np.rad2deg(np.arccos(1 - rng.uniform(0, 1 - np.cos(np.deg2rad(2.2)), n_events)))
    sky = center.directional_offset_by(rng.uniform(0, 360, n_events) * u.deg, radius * u.deg)
    energy = np.exp(rng.uniform(*np.log(energy_range), n_events))
    times = np.sort(rng.uniform(0, duration, n_events)) + event_offset_s
    ref = START.tt
    table = Table({"EVENT_ID": np.arange(n_events), "TIME": ref + times * u.s,
                   "RA": sky.ra.to(u.deg), "DEC": sky.dec.to(u.deg), "ENERGY": energy * u.TeV})
    table.meta["OBS_ID"] = obs_id
    start, stop = gti if gti is not None else (0.0, duration)
    meta = ObservationMetaData(deadtime_fraction=deadtime_fraction, location=location)
    return Observation(obs_id=obs_id, meta=meta, events=EventList(table),
                       gti=GTI.create(start * u.s, stop * u.s, reference_time=ref),
                       pointing=FixedPointingInfo(fixed_icrs=center), location=location)
