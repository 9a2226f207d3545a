"""Social time series: long-horizon benchmark (ILI, exchange rate) under the published protocol, and rolling-origin probabilistic forecasts (bikes, page views, ILINet); offline default: statsmodels macrodata.

Datasets: ``ili_national_illness`` and ``exchange_rate`` (real; the LTSF protocol of Autoformer/DLinear/
PatchTST), ``bike_sharing_uci``, ``wikipedia_pageviews_peyton_manning`` and ``cdc_ilinet`` (real; rolling-origin
evaluation with 10/50/90% quantiles, see ``rolling.py``), ``macrodata`` (US quarterly macro rates shipped inside
statsmodels: offline, real but packaged), ``csv`` (your own file: ``data.path``, ``data.date_column``,
``data.columns``, ``data.freq``, ``data.target``; ``data.protocol = "rolling"`` for rolling origins).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from common import baselines as B
from common.config import ModelSpec, RunConfig, TrainSpec, option
from common.domain import DataError, Domain, Prepared, describe_missing

from .forecast import new_inputs
from .linear import HoltOnTarget, LinearForecaster, MeanReversion
from .ltsf import LTSFData, prepare_ltsf, read_ltsf_csv
from .rolling import prepare_rolling
from .rolling_sets import SETTINGS as ROLLING
from .rolling_sets import rolling_data

PUBLISHED = Path(__file__).with_name("published.csv")
BENCHMARKS = {  # dataset -> (file, target, season for MASE / seasonal naive, default look-back, horizons)
    "ili_national_illness": ("national_illness.csv", "OT", 52, 104, (24, 36, 48, 60)),
    "exchange_rate": ("exchange_rate.csv", "OT", 1, 96, (96, 192, 336, 720)),
}
MACRO_COLUMNS = ("tbilrate", "infl", "realint", "unemp")


LTSF = (*BENCHMARKS, "macrodata", "csv")  # the long-horizon protocol's sets
ROLLING_SETS = (*ROLLING, "csv")  # rolling origin (a csv with data.protocol = "rolling")
CSV = ("csv",)


@dataclass(frozen=True)
class SocialOptions:
    """The ``[data]`` options; ``option(datasets=...)`` names the datasets one applies to (setting it for another
    dataset is an error)."""

    lookback: int = 0  # 0: the dataset's default (ILI 104, exchange rate 96, macrodata 16, csv 24)
    horizon: int = 0  # 0: the dataset's first benchmark horizon (ILI 24, exchange rate 96, macrodata 4, csv 12)
    # b > 0: score only the first floor(n/b)*b test windows, as a drop_last test loader with batch b does (the
    # published Repeat rows for ILI are reproduced exactly with b = 32); 0: every window
    test_drop_last: int = option(0, datasets=LTSF)
    path: str = option("", datasets=CSV)  # the file
    date_column: str = option("date", datasets=CSV)
    date_format: str = option("", datasets=CSV)  # strftime codes, e.g. "%d/%m/%Y"; "unix"; "": see series.parse_dates
    sep: str = option(",", datasets=CSV)  # the field separator, e.g. ";" or "\t"
    decimal: str = option(".", datasets=CSV)  # the decimal mark, e.g. ","
    thousands: str = option("", datasets=CSV)  # the thousands separator, e.g. "." in 1.234,5 (empty: none)
    encoding: str = option("utf-8", datasets=CSV)  # the file's text encoding, e.g. "cp1252" or "latin-1"
    # cell values that mark a missing value, beside pandas' own (empty, NA, NaN, null, ...), e.g. [".", "-999"]
    na_values: tuple[str, ...] = option((), datasets=CSV)
    columns: tuple[str, ...] = option((), datasets=CSV)  # the channels (all predicted)
    # channel reported separately (mse_target, mae_target); default: the last column
    target: str = option("", datasets=LTSF)
    freq: str = option("", datasets=CSV)  # pandas offset alias, e.g. "D", "h", "W-SUN"
    season: int = option(1, min=1, datasets=CSV)  # season for MASE and seasonal naive
    duplicates: str = option("error", datasets=CSV)  # error | mean
    gaps: str = option("error", datasets=CSV)  # error | interpolate (the benchmark protocol needs complete rows)
    protocol: str = option("", datasets=CSV)  # ltsf (default) | rolling
    # rolling origin; 0 or "": the dataset's default (see rolling_sets.SETTINGS)
    origins: int = option(0, datasets=ROLLING_SETS)  # number of forecast origins
    origin_step: int = option(0, datasets=ROLLING_SETS)  # rows between origins
    train_stride: int = option(0, datasets=ROLLING_SETS)  # rows between training windows
    transform: str = option("", datasets=ROLLING_SETS)  # none | log | log1p (target)
    fill: str = option("", datasets=ROLLING_SETS)  # ffill | zero: missing targets in the inputs
    # k > 0: refit every model before each block of k origins; 0: fit once; -1: the dataset's default
    refit_every: int = option(-1, min=-1, datasets=ROLLING_SETS)
    # bike_sharing_uci: observed (over the forecast hours: an oracle) | past
    weather: str = option("observed", datasets=("bike_sharing_uci",))


def _data(cfg: RunConfig, opt: SocialOptions) -> tuple[LTSFData, int, int]:
    dataset = cfg.dataset or "ili_national_illness"
    if dataset in BENCHMARKS:
        from common.download import dataset_dir

        file, target, season, lookback, horizons = BENCHMARKS[dataset]
        frame = read_ltsf_csv(dataset_dir(dataset) / file)
        h = opt.horizon or horizons[0]
        label = {"ili_national_illness": "ILI (CDC ILINet, LTSF benchmark file; real)",
                 "exchange_rate": "exchange rates of 8 countries (LTSF benchmark file; real)"}[dataset]
        return LTSFData(frame, opt.target or target, season, label, (dataset, f"H{h}")), opt.lookback or lookback, h
    if dataset == "macrodata":
        from statsmodels.datasets import macrodata

        raw = macrodata.load_pandas().data
        frame = raw[list(MACRO_COLUMNS)].astype(float)
        frame.index = [f"{int(y)}Q{int(q)}" for y, q in zip(raw["year"], raw["quarter"])]
        label = ("US quarterly macro rates 1959-2009 (statsmodels' packaged macrodata, offline; "
                 "not a published benchmark)")
        return LTSFData(frame, opt.target or "unemp", 4, label), opt.lookback or 16, opt.horizon or 4
    if dataset == "csv":
        from .series import csv_format, load_series_csv, require_csv_options

        require_csv_options(opt)
        if opt.gaps == "keep":
            raise DataError("data.gaps = 'keep' is not available here: every look-back window needs complete rows")
        frame, rep = load_series_csv(opt.path, opt.date_column, opt.columns, opt.freq, opt.duplicates, opt.gaps,
                                     opt.date_format, **csv_format(opt))
        if frame.isna().any().any():
            raise DataError(f"{opt.path}: {describe_missing(frame)}; set data.gaps = 'interpolate'")
        label = f"user CSV {opt.path}" + (f" ({'; '.join(rep.actions)})" if rep.actions else "")
        return LTSFData(frame, opt.target or opt.columns[-1], opt.season, label), \
            opt.lookback or 24, opt.horizon or 12
    raise DataError(f"social has datasets {', '.join(sorted([*BENCHMARKS, *ROLLING, 'macrodata', 'csv']))}, "
                    f"not {dataset!r}")


def _is_rolling(cfg: RunConfig, opt: SocialOptions) -> bool:
    if opt.protocol not in ("", "ltsf", "rolling"):
        raise DataError(f"data.protocol must be 'ltsf' or 'rolling', not {opt.protocol!r}")
    return cfg.dataset in ROLLING or (cfg.dataset == "csv" and opt.protocol == "rolling")


def prepare(cfg: RunConfig, opt: SocialOptions) -> Prepared:
    if _is_rolling(cfg, opt):
        data, s = rolling_data(cfg.dataset, opt)
        prep = prepare_rolling(data, s.lookback, s.horizon, s.origins, s.origin_step, train_stride=s.train_stride,
                               refit_every=s.refit_every)
        off = [k for k in ("channel_independent", "linear_skip") if getattr(cfg.model, k)]
        if off:  # the decoder reads covariates for one target: these options have no meaning there
            prep.model_overrides = {**prep.model_overrides, **{k: False for k in off}}
            prep.audit.notes.append(f"model.{' and model.'.join(off)} turned off: not used by the rolling-origin decoder")
        return _with_season_note(prep, cfg, opt)
    data, lookback, horizon = _data(cfg, opt)
    if opt.test_drop_last < 0:
        raise DataError("data.test_drop_last must be >= 0")
    prep = prepare_ltsf(data, lookback, horizon, opt.test_drop_last)
    return _with_season_note(prep, cfg, opt)


def _with_season_note(prep: Prepared, cfg: RunConfig, opt: SocialOptions) -> Prepared:
    from .series import season_note

    note = season_note(opt.freq, opt.season) if cfg.dataset == "csv" else ""
    if note:
        prep.audit.notes.append(note)
    return prep


def baselines(prep: Prepared, cfg: RunConfig) -> dict:
    if prep.extra.get("protocol") == "rolling":
        from .rolling_baselines import ETSOnWindow, LagGBM, WindowMedian

        seasons = prep.extra["seasons"]
        out = {"naive (last value)": B.LastValue(target_index=0)}
        out.update({f"seasonal naive (season {m})": B.SeasonalNaive(season=m, target_index=0) for m in seasons})
        if cfg.dataset == "wikipedia_pageviews_peyton_manning":
            out["median of the last 7 weeks"] = WindowMedian(49)
        out[f"ETS (damped trend{', season %d' % seasons[0] if seasons else ''})"] = ETSOnWindow(seasons[0] if seasons else 1)
        out["gradient boosting on lags"] = LagGBM(seasons=seasons or (1,), seed=cfg.training.seed)
        return out
    channels = list(range(prep.y_train.shape[-1]))
    out = {"Repeat (last value)": B.LastValue(target_index=channels)}
    season, lookback = prep.extra["season"], prep.extra["lookback"]
    if season > 1 and lookback >= season:
        out[f"seasonal naive (season {season})"] = B.SeasonalNaive(season=season, target_index=channels)
    out.update({"Linear (ridge)": LinearForecaster("linear"), "NLinear-style (ridge)": LinearForecaster("nlinear"),
                "DLinear-style (ridge)": LinearForecaster("dlinear"),
                "Mean reversion (a * last + b per channel and step)": MeanReversion(),
                "Holt damped ETS on the target (others repeat)": HoltOnTarget(prep.extra["target_index"])})
    return out


def lstm(units=(64,), instance_norm: str = "last", dropout: float = 0.1, channel_independent: bool = False,
         linear_skip: bool = False) -> ModelSpec:
    return ModelSpec(units=units, dropout=dropout, head="forecast", instance_norm=instance_norm,
                     channel_independent=channel_independent, linear_skip=linear_skip)


def default_config(profile: str = "quick") -> RunConfig:
    if profile == "quick":
        return RunConfig(domain="social", dataset="macrodata", profile="quick", model=lstm(units=(32,)),
                         training=TrainSpec(epochs=60, batch_size=16, patience=10, lr_schedule="plateau"))
    return RunConfig(domain="social", dataset="ili_national_illness", profile="full",
                     model=lstm(units=(32,), dropout=0.3, channel_independent=True, linear_skip=True,
                                instance_norm="meanstd"),
                     training=TrainSpec(epochs=100, batch_size=32, patience=15, lr_schedule="plateau", seeds=5),
                     data={"horizon": 24})


def rolling_config(dataset: str, seeds: int = 1) -> RunConfig:
    """The LSTM setting of the rolling-origin benchmark: encoder-decoder with a 10/50/90% quantile head,
    instance normalisation by the window mean (the level of the look-back period; ILINet: the last value), the 10-90% band
    recalibrated on the validation windows (conformalized quantile regression)."""
    norm = ROLLING[dataset].instance_norm if dataset in ROLLING else "mean"
    return RunConfig(domain="social", dataset=dataset, profile="full",
                     model=ModelSpec(units=(64,), dropout=0.1, head="quantile", instance_norm=norm),
                     training=TrainSpec(epochs=40, batch_size=64, patience=6, lr_schedule="plateau", seeds=seeds,
                                        conformal=True))


def exchange_config(seeds: int = 5) -> RunConfig:
    """The exchange-rate setting: the long-horizon LSTM with its forecast head started at zero, so the untrained
    model is Repeat (instance norm "last"); a trained model replaces it only when it beats Repeat on the validation
    windows by more than one standard error (daily exchange rates are close to a random walk). About 5000 windows
    of 8 channels: an epoch is an eighth of a pass (``training.epoch_split``), so early stopping waits 15 eighths
    instead of 15 passes (H192, seed 0: 25 epochs, 3.1 passes, instead of 23 passes)."""
    base = default_config("full")
    model = dataclasses.replace(base.model, zero_head=True, instance_norm="last")
    return dataclasses.replace(base, dataset="exchange_rate", model=model,
                               training=dataclasses.replace(base.training, batch_size=128, seeds=seeds, epoch_split=8),
                               data={"horizon": 96})


def dataset_config(dataset: str, profile: str) -> RunConfig | None:
    """The rolling-origin datasets start from ``rolling_config`` (one seed with the quick profile), the exchange
    rate from ``exchange_config``, ILI from the full profile's model, macrodata from the quick one's."""
    quick = profile == "quick"
    if dataset == "exchange_rate":
        cfg = exchange_config(seeds=1 if quick else 5)
    elif dataset in ROLLING:
        cfg = rolling_config(dataset, seeds=1 if quick else 3)
    elif dataset == "ili_national_illness":  # the full profile's model; one seed when quick
        cfg = default_config("full")
        cfg = dataclasses.replace(cfg, training=dataclasses.replace(cfg.training, seeds=1 if quick else 5))
    elif dataset == "macrodata":  # the offline set keeps its own look-back and horizon under either profile
        cfg = default_config("quick")
    else:
        return None
    return dataclasses.replace(cfg, profile=profile)


def smoke_config() -> RunConfig:
    return RunConfig(domain="social", dataset="macrodata", model=lstm(units=(4,)),
                     training=TrainSpec(epochs=1, batch_size=64))


def plots(prep: Prepared, est, predictions: dict, run_dir: Path) -> list[Path]:
    if prep.extra.get("protocol") == "rolling":
        from .rolling_plots import band_plot

        return [band_plot(prep, est, predictions, run_dir)]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    k = prep.extra["target_index"]
    inv = prep.original_units
    mid = len(prep.y_test) // 2
    fig, ax = plt.subplots(figsize=(9, 4))
    L, H = prep.extra["lookback"], prep.extra["horizon"]
    ax.plot(np.arange(L), inv(prep.X_test[mid])[:, k], "k-", lw=1, label="look-back")
    ax.plot(np.arange(L, L + H), inv(prep.y_test[mid])[:, k], "k--", lw=1, label="truth")
    for name, pred in predictions.items():
        if name.startswith("lstm_seed") or name in ("Repeat (last value)", "DLinear-style (ridge)"):
            ax.plot(np.arange(L, L + H), inv(np.asarray(pred)[mid])[:, k], lw=1, label=name)
    ax.set_xlabel("step (window in the middle of the test period)")
    ax.set_ylabel(prep.extra["columns"][k])
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = run_dir / "forecast.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return [path]


DOMAIN = Domain(name="social", description=__doc__.splitlines()[0],
                datasets=("ili_national_illness", "exchange_rate", *ROLLING),
                options=SocialOptions, default_config=default_config, prepare=prepare, baselines=baselines,
                smoke_config=smoke_config, published=PUBLISHED, generated=False, plots=plots,
                dataset_config=dataset_config, new_inputs=new_inputs)
