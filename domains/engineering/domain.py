"""Engineering sensors: turbofan remaining useful life (NASA C-MAPSS) under the standard protocol, with a
generated run-to-failure set in the same layout as the offline default, and sensor fusion with unreliable sensors.

Datasets: ``cmapss`` (real, FD001..FD004), ``generated`` (simulated engines), ``fusion`` (simulated sensors)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common import baselines as B
from common.config import ModelSpec, RunConfig, TrainSpec, option
from common.domain import DataError, Domain, Prepared, user_folder

from . import skab
from .baselines import CNN1D, WindowStatsGBM
from .cmapss import INFORMATIVE, SUBSETS, generate_run_to_failure, load_subset
from .fusion import fusion_baselines, fusion_plots, prepare_fusion
from .new_engines import new_inputs
from .rul import prepare_rul

PUBLISHED = Path(__file__).with_name("published.csv")
CMAPSS, RUL = ("cmapss",), ("cmapss", "generated")  # RUL: the remaining-useful-life sets


@dataclass(frozen=True)
class EngineeringOptions:
    """The ``[data]`` options; ``option(datasets=...)`` names the datasets one applies to (setting it for another
    dataset is an error)."""

    subset: str = option("FD001", datasets=CMAPSS)  # FD001..FD004
    # a folder holding train_/test_/RUL_<subset>.txt in NASA's layout (overrides the registry)
    data_dir: str = option("", datasets=CMAPSS)
    window: int = option(30, datasets=RUL)
    rul_max: float = option(125.0, min=1, datasets=RUL)
    clip_test_rul: bool = option(False, datasets=RUL)  # many papers score the unclipped true RUL (FD001 reaches 145)
    sensors: tuple[str, ...] = option(tuple(INFORMATIVE), datasets=RUL)
    condition_norm: str = option("auto", datasets=RUL)  # auto | on | off: scale per operating condition (FD002/FD004)
    # add the operating condition (one-hot) to the inputs when there are several
    condition_inputs: bool = option(False, datasets=RUL)
    # causal exponential smoothing of the scaled sensors per engine (weight of the newest cycle, in (0, 1]; 0 = off)
    smoothing: float = option(0.0, datasets=RUL)
    val_fraction: float = option(0.2, max=0.9, datasets=RUL)
    seed: int = 0
    generated_engines: int = option(80, min=4, datasets=("generated",))
    fusion_sequences: int = option(1024, min=10, datasets=("fusion",))  # number of training sequences
    fusion_length: int = option(80, min=2, datasets=("fusion",))


def prepare(cfg: RunConfig, opt: EngineeringOptions) -> Prepared:
    if opt.condition_norm not in ("auto", "on", "off"):
        raise DataError(f"data.condition_norm must be auto, on or off, not {opt.condition_norm!r}")
    if not 0.0 <= opt.smoothing <= 1.0:
        raise DataError(f"data.smoothing must be in [0, 1] (0 = off), not {opt.smoothing}")
    if opt.window < 2:
        raise DataError("data.window must be at least 2")
    dataset = cfg.dataset or "cmapss"
    if dataset == "fusion":
        return prepare_fusion(opt.fusion_sequences, opt.fusion_length, opt.seed)
    if dataset == "generated":
        data = generate_run_to_failure(n_train=opt.generated_engines, n_test=max(10, opt.generated_engines // 2),
                                       seed=opt.seed)
        label = "generated (simulated) run-to-failure engines in the C-MAPSS layout, not real data"
    elif dataset == "cmapss":
        if opt.subset not in SUBSETS:
            raise DataError(f"data.subset must be one of {SUBSETS}, not {opt.subset!r}")
        if opt.data_dir:
            folder = user_folder(opt.data_dir, "data.data_dir", f"train_{opt.subset}.txt")
        elif opt.subset == "FD003":
            raise DataError("FD003 is not in the registered mirror; put NASA's train_FD003.txt, test_FD003.txt and "
                            "RUL_FD003.txt in a folder and set data.data_dir to it")
        else:
            from common.download import dataset_dir

            folder = dataset_dir("cmapss")
        data = load_subset(folder, opt.subset)
        label = _user_folder_label(folder, opt.subset) if opt.data_dir else f"NASA C-MAPSS {opt.subset} (real)"
    else:
        raise DataError(f"engineering has datasets 'cmapss', 'generated' and 'fusion', not {dataset!r}")
    unknown = sorted(set(opt.sensors) - set(data.train.columns))
    if unknown:
        raise DataError(f"data.sensors: unknown columns {unknown}")
    if not opt.sensors:
        raise DataError("data.sensors: at least one sensor column is needed")
    longest = int(data.train.groupby("unit").size().max())
    if opt.window > longest:
        raise DataError(f"data.window {opt.window} is longer than every training engine (the longest has {longest} "
                        "cycles): each would give one left-padded window at RUL 0")
    return prepare_rul(data, sensors=opt.sensors, window=opt.window, rul_max=opt.rul_max,
                       clip_test_rul=opt.clip_test_rul, condition_norm=opt.condition_norm,
                       val_fraction=opt.val_fraction, seed=opt.seed, label=label,
                       condition_inputs=opt.condition_inputs, smoothing=opt.smoothing,
                       repeat_padding=bool(cfg.model.conv_filters))


def _user_folder_label(folder: Path, subset: str) -> str:
    """Whose files a ``data.data_dir`` folder holds: NASA's (every file matches the registered sha256) or the
    user's own, so the published rows beside them are read for what they are."""
    from common.download import sha256_of
    from common.registry import get_dataset

    registered = {f.path: f.sha256 for f in get_dataset("cmapss").files}
    names = [f"{part}_{subset}.txt" for part in ("train", "test", "RUL")]
    if not all(n in registered for n in names):
        return (f"your C-MAPSS-layout files {subset} in {folder} ({subset} has no registered copy to check them "
                f"against: the published rows are for NASA's {subset})")
    differ = [n for n in names if sha256_of(folder / n) != registered[n]]
    if not differ:
        return f"NASA C-MAPSS {subset} (real; the registered files, read from {folder})"
    listed = differ[0] if len(differ) == 1 else f"{', '.join(differ[:-1])} and {differ[-1]}"
    return (f"your C-MAPSS-layout files {subset} in {folder} (not NASA's registered {subset} files: {listed} "
            f"{'differs' if len(differ) == 1 else 'differ'} by sha256, so the published rows are for other data)")


def baselines(prep: Prepared, cfg: RunConfig) -> dict:
    if prep.extra.get("task") == "fusion":
        return fusion_baselines(prep)
    quick = cfg.profile == "quick"
    return {"constant (mean training RUL)": B.MeanBaseline(),
            "ridge on the last window": B.ridge_on_lags(alpha=10.0),
            "gradient boosting on window statistics": WindowStatsGBM(max_iter=150 if quick else 300),
            "1-D CNN (Babu et al. 2016 style)": CNN1D(epochs=10 if quick else 40)}


def default_config(profile: str = "quick") -> RunConfig:
    if profile == "quick":  # the offline default: generated engines
        # learning rate 3e-3 and up to 40 epochs chosen by validation loss (best epoch, seeds 0 / 1 / 2): 15 epochs at
        # 1e-3 ended while it still fell (0.0080 at the cap, seed 0); 40 at 1e-3: 0.0056 / 0.0042 / 0.0045; 40 at 3e-3:
        # 0.0044 / 0.0025 / 0.0032, early stopping after 33 / 39 / 31 epochs
        return RunConfig(domain="engineering", dataset="generated", profile="quick",
                         model=ModelSpec(units=(32,), dropout=0.1, learning_rate=0.003),
                         training=TrainSpec(epochs=40, batch_size=128, patience=4, lr_schedule="plateau"))
    # input_noise 0.3 chosen on FD001 by validation loss (scaled MSE, best epoch, mean over seeds 0-4): 0 -> 0.01357,
    # 0.15 -> 0.01311, 0.3 -> 0.01266 (lower for 4 of the 5 seeds), 0.6 -> 0.01298
    return RunConfig(domain="engineering", dataset="cmapss", profile="full",
                     model=ModelSpec(units=(64,), dropout=0.1, head_units=32, input_noise=0.3),
                     training=TrainSpec(epochs=80, batch_size=128, patience=12, lr_schedule="plateau", seeds=5),
                     data={"subset": "FD001"})


def dataset_config(dataset: str, profile: str) -> RunConfig | None:
    """``fusion`` starts from the quick model with up to 150 epochs: at 40 its validation loss still fell at the cap
    (0.0196, seed 0); with 150 early stopping ends at epoch 94 (best 89, 0.0131), 37 s on 2 cores."""
    if dataset == "fusion":
        quick = default_config("quick")
        return dataclasses.replace(quick, dataset="fusion", profile=profile, data={},
                                   training=dataclasses.replace(quick.training, epochs=150))
    return None


def smoke_config() -> RunConfig:
    return RunConfig(domain="engineering", dataset="generated", model=ModelSpec(units=(4,)),
                     training=TrainSpec(epochs=1, batch_size=256), data={"generated_engines": 12, "window": 15})


def plots(prep: Prepared, est, predictions: dict, run_dir: Path) -> list[Path]:
    if prep.extra.get("task") == "fusion":
        return fusion_plots(prep, est, predictions, run_dir)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scale = prep.extra["rul_max"]
    true = np.asarray(prep.y_test).ravel() * scale
    order = np.argsort(true)
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(true[order], "k.-", lw=1, label="true RUL")
    for name, pred in predictions.items():
        if name.startswith("lstm_seed") or name.startswith("1-D CNN"):
            ax.plot(np.asarray(pred).ravel()[order] * scale, ".", ms=4, label=name)
    ax.set_xlabel("test engine (sorted by true RUL)")
    ax.set_ylabel("RUL (cycles)")
    ax.legend(fontsize=8)
    first = run_dir / "rul_per_engine.png"
    fig.tight_layout()
    fig.savefig(first, dpi=110)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(9, 4))
    for unit, d in prep.extra["life"].items():
        line, = ax.plot(d["cycle"], d["true"], "--", lw=1)
        ax.plot(d["cycle"], np.minimum(d["true"], scale), ":", color=line.get_color(), lw=1)
        ax.plot(d["cycle"], est.predict(d["X"]).ravel() * scale, color=line.get_color(), label=f"engine {unit}")
    ax.set_xlabel("cycle")
    ax.set_ylabel(f"RUL (dashed: true, dotted: clipped at {scale:g}, solid: LSTM)")
    ax.legend(fontsize=8)
    second = run_dir / "rul_over_life.png"
    fig.tight_layout()
    fig.savefig(second, dpi=110)
    plt.close(fig)
    return [first, second]


EXPERIMENTS = {"skab": skab.run}


def run_experiments(names, profile, out, seed: int = 0, log=print, run_name=None, data_dir=None, seeds=1):
    """SKAB takes ``data_dir`` (``--set data.data_dir=DIR``: your own folder of files in the SKAB layout) and
    ``seeds`` (``--seeds N``)."""
    import shlex
    from functools import partial

    from common.claims import run_named
    from common.config import ConfigError

    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise ConfigError(f"--seeds must be a positive whole number, not {seeds!r}")
    registry = {**EXPERIMENTS, "skab": partial(skab.run, data_dir=data_dir, seeds=seeds)}
    flags = (f" --seeds {seeds}" if seeds != 1 else "") + \
        (f" --set {shlex.quote(f'data.data_dir={data_dir}')}" if data_dir else "")
    return run_named(registry, names, profile, out, domain="engineering", seed=seed, run_name=run_name, log=log,
                     title="Engineering experiments", settings=flags, user_data={"data_dir": data_dir})


DOMAIN = Domain(name="engineering", description=__doc__.splitlines()[0], datasets=("cmapss", "skab"),
                options=EngineeringOptions, default_config=default_config, prepare=prepare, baselines=baselines,
                smoke_config=smoke_config, published=PUBLISHED, generated=True, plots=plots,
                experiments=EXPERIMENTS, run_experiments=run_experiments,
                experiment_settings=("data_dir", "seeds"), dataset_config=dataset_config, new_inputs=new_inputs)
