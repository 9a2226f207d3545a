"""The rolling-origin datasets: how each real series becomes a ``RollingData`` (target, covariates, rules).

Defaults per dataset (all overridable through ``[data]``): look-back, horizon (and the shorter horizons also
scored), number of origins and their spacing, the target transform and the rule for missing targets in inputs.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd

from common.domain import DataError

from .rolling import RollingData
from .sources import (BIKE_CALENDAR, BIKE_WEATHER, calendar_features, calendar_resolution, read_bike_hourly,
                      read_daily_or_weekly)


@dataclass(frozen=True)
class RollingSetting:
    lookback: int
    horizon: int
    sub_horizons: tuple[int, ...]
    origins: int
    origin_step: int
    train_stride: int
    refit_every: int  # 0: fit once before the first origin
    transform: str
    fill: str
    season: int  # MASE
    seasons: tuple[int, ...]  # seasonal naive
    instance_norm: str = "mean"  # the benchmark LSTM's: window mean (noisy hourly/daily values) or last value


SETTINGS = {
    # hourly: a week of history, 168 h ahead (24 h scored too), one origin a week through 2012 (every season),
    # models refitted at mid-year (the first half of 2012 is forecast from 2011 alone)
    "bike_sharing_uci": RollingSetting(168, 168, (24,), 52, 168, 3, 26, "log1p", "zero", 24, (24, 168)),
    # daily: 26 weeks of history, 64 days ahead (7 and 28 scored too), one origin a week over the last half year
    "wikipedia_pageviews_peyton_manning": RollingSetting(182, 64, (7, 28), 26, 7, 1, 0, "log", "ffill", 7, (7,)),
    # weekly: two years of history, 13 weeks ahead (4 scored too), every week of the last five years (three
    # seasons before COVID-19, two during), models refitted every year
    "cdc_ilinet": RollingSetting(104, 13, (4,), 260, 1, 1, 52, "log", "ffill", 52, (52,), "last"),
}


def _bikes(opt, path=None) -> RollingData:
    from common.download import dataset_dir

    path = path or dataset_dir("bike_sharing_uci") / "hour.csv"
    frame, note = read_bike_hourly(path)
    absent = frame["cnt"].isna()
    by_day = frame[list(BIKE_CALENDAR)].groupby(frame.index.normalize()).transform(lambda s: s.ffill().bfill())
    weather = frame[list(BIKE_WEATHER)].ffill().bfill()
    known = pd.concat([calendar_features(frame.index, "h"), by_day], axis=1)
    if opt.weather not in ("observed", "past"):
        raise DataError(f"data.weather must be 'observed' or 'past', not {opt.weather!r}")
    if opt.weather == "observed":
        known = pd.concat([known, weather], axis=1)
        how = ("weather over the forecast hours = the observed weather (an oracle standing in for a weather "
               "forecast)")
    else:
        how = "weather known only up to the origin"
    label = (f"UCI bike sharing, Washington D.C. 2011-2012, hourly rentals (real; {note}: they are unobserved "
             f"targets, 0 in the inputs with a missing flag); {how}")
    return RollingData(frame["cnt"], known, label, 0, (), past=None if opt.weather == "observed" else weather,
                       notes=[f"{int(absent.sum())} absent hours: weather carried forward, targets unobserved"])


def _pageviews(opt, path=None) -> RollingData:
    from common.download import dataset_dir

    path = path or dataset_dir("wikipedia_pageviews_peyton_manning") / "example_wp_peyton_manning.csv"
    frame, note = read_daily_or_weekly(path, "ds", "y", "D")
    label = (f"Wikipedia daily page views of 'Peyton Manning', 2007-12..2016-01 (real; {note}: unobserved "
             "targets, last value carried forward in the inputs); modelled on the log scale")
    return RollingData(frame["y"], calendar_features(frame.index, "D"), label, 0, (), calendar_freq="D")


def _ilinet(opt, path=None) -> RollingData:
    from common.download import dataset_dir

    path = path or dataset_dir("cdc_ilinet") / "ILINet.csv"
    frame, note = read_daily_or_weekly(path, "DATE", ["% WEIGHTED ILI", "NUM. OF PROVIDERS"], "W-SUN")
    y = frame["% WEIGHTED ILI"].where(frame["NUM. OF PROVIDERS"] != 0)  # no provider reported: not an observation
    silent = int((frame["NUM. OF PROVIDERS"] == 0).sum())
    label = (f"CDC ILINet national % weighted ILI, weekly 1997-10..2022-10 with real dates (real; {note}, and "
             f"{silent} off-season weeks of 1998-2002 with 0 reporting providers and ILI 0: all unobserved targets, "
             "last value carried forward in the inputs); modelled on the log scale")
    return RollingData(y, calendar_features(frame.index, "W"), label, 0, (), calendar_freq="W-SUN")


def _csv(opt) -> RollingData:
    from .series import csv_format, load_series_csv, require_csv_options

    require_csv_options(opt)
    target = opt.target or opt.columns[-1]
    if target not in opt.columns:
        raise DataError(f"data.target {target!r} is not one of data.columns {list(opt.columns)}")
    frame, rep = load_series_csv(opt.path, opt.date_column, opt.columns, opt.freq, opt.duplicates, "keep",
                                 opt.date_format, **csv_format(opt))
    others = [c for c in opt.columns if c != target]
    past = frame[others].ffill().bfill() if others else None
    freq = calendar_resolution(opt.freq)
    actions = rep.actions + (["other columns carried forward over gaps"] if others and rep.missing_values else [])
    calendar = calendar_features(frame.index, freq)
    if rep.local_times is not None:  # hour, weekday and season as the people behind the series lived them
        calendar = calendar_features(rep.local_times, freq).set_axis(frame.index)
        actions.append("calendar features in each row's local time")
    actions.append("calendar features: " + ", ".join(sorted({c.rsplit("_", 1)[0] for c in calendar.columns})))
    label = f"user CSV {opt.path}, target {target}" + (f" ({'; '.join(actions)})" if actions else "")
    return RollingData(frame[target], calendar, label, opt.season, (opt.season,) if opt.season > 1 else (),
                       past=past, calendar_freq="" if rep.local_times is not None else opt.freq)


READERS = {"bike_sharing_uci": _bikes, "wikipedia_pageviews_peyton_manning": _pageviews, "cdc_ilinet": _ilinet}


def rolling_series(dataset: str, opt, path=None) -> RollingData:
    """The series of ``dataset`` as read from its registered file (a CSV: ``data.path``), or from ``path`` in the
    same layout; the setting's rules (season, transform, fill) are applied by ``rolling_data``."""
    if dataset == "csv":
        return _csv(dataclasses.replace(opt, path=str(path)) if path is not None else opt)
    return READERS[dataset](opt, path)


def rolling_data(dataset: str, opt) -> tuple[RollingData, RollingSetting]:
    """The series of ``dataset`` (or the user's CSV) with its setting, options applied."""
    if dataset == "csv":
        data = rolling_series(dataset, opt)
        base = RollingSetting(4 * max(opt.season, 7), 12, (), 10, 1, 1, 0, "none", "ffill", opt.season, data.seasons)
    else:
        data, base = rolling_series(dataset, opt), SETTINGS[dataset]
        data.season, data.seasons, data.key = base.season, base.seasons, (dataset, "rolling")
    data.transform = opt.transform or base.transform
    data.fill = opt.fill or base.fill
    data.sub_horizons = base.sub_horizons
    setting = dataclasses.replace(
        base, lookback=opt.lookback or base.lookback, horizon=opt.horizon or base.horizon,
        origins=opt.origins or base.origins, origin_step=opt.origin_step or base.origin_step,
        train_stride=opt.train_stride or base.train_stride,
        refit_every=base.refit_every if opt.refit_every < 0 else opt.refit_every, transform=data.transform, fill=data.fill)
    return data, setting
