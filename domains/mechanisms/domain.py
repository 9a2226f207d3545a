"""Mechanisms: the source text's claims about why LSTMs remember, each turned into an experiment that runs,
plots and checks itself (``--experiment NAME|all``). The default experiment (for ``train``/``run`` and the
conformance test) is long-range memory as a plain classification task with baselines."""
from __future__ import annotations

from dataclasses import dataclass

from common import baselines as B
from common.config import ModelSpec, RunConfig, TrainSpec, option
from common.domain import DataError, Domain, Prepared
from common.evaluation import audit
from common.splits import Standardizer

from .experiments import EXPERIMENTS, run_experiments
from .tasks import long_range


@dataclass(frozen=True)
class MechanismsOptions:
    T: int = option(40, min=2)
    n: int = option(2048, min=16)
    noise: float = 1.0
    seed: int = 0


def prepare(cfg: RunConfig, opt: MechanismsOptions) -> Prepared:
    if (cfg.dataset or "long_range") != "long_range":
        raise DataError(f"mechanisms has one dataset, 'long_range' (generated); its other tasks are named "
                        f"experiments (--experiment NAME), not datasets; got {cfg.dataset!r}")
    # independent draws for train, validation and test (different seeds), so no sample is shared
    x_tr, y_tr = long_range(opt.n, opt.T, seed=opt.seed, noise=opt.noise)
    x_va, y_va = long_range(max(64, opt.n // 4), opt.T, seed=opt.seed + 1, noise=opt.noise)
    x_te, y_te = long_range(1000, opt.T, seed=opt.seed + 2, noise=opt.noise)
    rows = x_tr.reshape(-1, x_tr.shape[-1])
    scaler = Standardizer().fit(rows)
    scale = lambda a: scaler.transform(a).astype("float32")  # noqa: E731
    rep = audit(train_samples=x_tr, test_samples=x_te, val_samples=x_va)
    chrono = cfg.model.chrono_init
    if chrono and chrono < opt.T:  # the memory task's length is set apart from the model's initialisation
        rep.notes.append(f"model.chrono_init = {chrono} starts the LSTM's memories at up to {chrono} steps, but the "
                         f"label is set at step 0 of {opt.T} (data.T): model.chrono_init = {opt.T} spans the task")
    return Prepared(
        X_train=scale(x_tr), y_train=y_tr, X_val=scale(x_va), y_val=y_va, X_test=scale(x_te), y_test=y_te,
        metrics=("accuracy", "mcc", "auroc"),
        data_label=f"generated (simulated) long-range memory task, label set at step 0 of {opt.T}",
        model_overrides={"head": "binary"}, scalers={"inputs": scaler.to_dict()}, scaler_fit_rows={"inputs": rows},
        split={"kind": "generated", "note": "train, validation and test drawn independently with different seeds"},
        audit=rep)


def baselines(prep: Prepared, cfg: RunConfig) -> dict:
    return {"majority class": B.MajorityClass(),
            "logistic on all steps (sees step 0 directly)": B.logistic_on_lags(),
            "logistic on the last 10 steps (no memory)": B.logistic_on_lags(n_lags=10)}


def default_config(profile: str = "quick") -> RunConfig:
    quick = profile == "quick"
    T = 40 if quick else 100  # the memory task's length; the full run's chrono initialisation spans it
    # full at 1e-3, as the full experiments (runner.learning_rate): at 1e-2 both of seeds 0 / 1 stayed at chance
    # (test accuracy 0.498 / 0.491); at 1e-3 seed 1 learned the task (1.0) and seed 0 did not (0.491), and with chrono
    # initialisation over the task's 100 steps both did (1.0 / 1.0, as in the memory experiment)
    return RunConfig(domain="mechanisms", dataset="long_range", profile=profile,
                     model=ModelSpec(units=(16,) if quick else (32,), learning_rate=1e-2 if quick else 1e-3,
                                     chrono_init=0 if quick else T),
                     # long plateaus precede the jump in accuracy on this task: patience spans the whole run
                     training=TrainSpec(epochs=15 if quick else 40, batch_size=32, patience=15 if quick else 40,
                                        seeds=1 if quick else 5),
                     data={"T": T} if quick else {"T": T, "n": 8192})


def smoke_config() -> RunConfig:
    return RunConfig(domain="mechanisms", dataset="long_range", model=ModelSpec(units=(4,)),
                     training=TrainSpec(epochs=1), data={"T": 12, "n": 128})


DOMAIN = Domain(name="mechanisms", description=__doc__.splitlines()[0], datasets=(), options=MechanismsOptions,
                default_config=default_config, prepare=prepare, baselines=baselines, smoke_config=smoke_config,
                generated=True, experiments=EXPERIMENTS, run_experiments=run_experiments,
                experiments_in_main_job=True)
