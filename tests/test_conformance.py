"""One conformance suite, parametrized over every registered domain (scikit-learn's check_estimator idea)."""
import numpy as np
import pandas as pd
import pytest

from common.config import RunConfig, options_outside_dataset, validate_options
from common.domain import Domain, Prepared
from common.evaluation import LeakageReport
from common.registry import load_registry
from common.splits import Standardizer
from domains import DOMAINS, get_domain
from tests import demo_domain

NAMES = [*DOMAINS, "demo (test fixture)"]


@pytest.fixture(params=NAMES)
def domain(request) -> Domain:
    return demo_domain.DOMAIN if request.param.startswith("demo") else get_domain(request.param)


@pytest.fixture
def smoke(domain):
    cfg = domain.smoke_config()
    return cfg, domain.prepare(cfg, validate_options(domain.options, cfg.data, domain.name))


def test_datasets_are_registered(domain):
    registry = load_registry()
    for ds in domain.datasets:
        assert ds in registry, f"{domain.name} uses unregistered dataset {ds}"
        assert registry[ds].domain == domain.name
    assert domain.datasets or domain.generated, "a domain without registered data must be labelled generated"


@pytest.mark.parametrize("profile", ["quick", "full"])
def test_default_config_validates(domain, profile):
    cfg = domain.default_config(profile)
    assert isinstance(cfg, RunConfig) and cfg.domain == domain.name and cfg.profile == profile
    validate_options(domain.options, cfg.data, domain.name)
    # every option a shipped config sets is one its dataset uses (a saved config fed back to the CLI must load)
    shipped = [cfg, domain.smoke_config()]
    if domain.dataset_config:
        import dataclasses

        named = {d for f in dataclasses.fields(domain.options) for d in f.metadata.get("datasets", ())}
        shipped += [c for ds in sorted(named | set(domain.datasets))
                    for c in [domain.dataset_config(ds, profile)] if c is not None]
    for c in shipped:
        assert options_outside_dataset(domain.options, c.data, c.dataset) == [], c


@pytest.mark.parametrize("profile", ["quick", "full"])
def test_the_printed_config_loads_back_as_the_same_config(domain, profile, tmp_path):
    """What ``lstm-suite config`` prints for every domain's defaults is a config file that gives the same run."""
    from common.config import config_text, load_config

    cfg = domain.default_config(profile)
    path = tmp_path / "c.toml"
    path.write_text(config_text(cfg), encoding="utf-8")
    assert load_config(path) == cfg


def test_prepare_splits_and_scalers(smoke):
    cfg, prep = smoke
    assert isinstance(prep, Prepared) and isinstance(prep.audit, LeakageReport)
    assert prep.data_label, "every result must say what data it came from"
    assert prep.split.get("kind") in {"chronological", "grouped", "stratified", "periods", "generated"}
    for X, y in ((prep.X_train, prep.y_train), (prep.X_val, prep.y_val), (prep.X_test, prep.y_test)):
        seq = X["sequence"] if isinstance(X, dict) else X
        assert len(seq) == len(y) > 0
    if prep.split["kind"] == "chronological":  # target periods in time order, never overlapping
        t = prep.split["targets"]
        assert t["train"][1] <= t["val"][0] and t["val"][1] <= t["test"][0]
    # the saved scaler is exactly the one refitted on the training rows, and only those
    assert prep.scalers or prep.unscaled_reason, "no scaler: say why in Prepared.unscaled_reason"
    assert set(prep.scaler_fit_rows) == set(prep.scalers)
    for name, rows in prep.scaler_fit_rows.items():
        refit = Standardizer().fit(rows)
        saved = Standardizer.from_dict(prep.scalers[name])
        np.testing.assert_allclose(saved.mean, refit.mean, err_msg=name)
        np.testing.assert_allclose(saved.scale, refit.scale, err_msg=name)


# the key columns predictions.csv carries so a user can join the predictions to the data (mechanisms and the test
# fixture use generated samples without identity)
TEST_KEYS = {"genomics": {"id"}, "engineering": {"engine"}, "environmental": {"origin"}, "social": {"origin"}}


def test_each_test_sample_is_identified(smoke):
    cfg, prep = smoke
    assert set(prep.test_keys) >= TEST_KEYS.get(cfg.domain, set())
    for name, values in prep.test_keys.items():
        assert len(values) == len(prep.y_test) and not any(v is None or v != v for v in values), name
    positions = int(np.prod(np.shape(prep.y_test)[1:]))
    assert not prep.target_names or len(prep.target_names) == positions, "one name per position of a test sample"
    if cfg.domain in TEST_KEYS:
        assert len(set(zip(*prep.test_keys.values()))) == len(prep.y_test), "the keys identify each test sample"


def test_baselines_fit_and_predict(smoke):
    cfg, prep = smoke
    models = (demo_domain.DOMAIN if cfg.domain == "demo" else get_domain(cfg.domain)).baselines(prep, cfg)
    assert models, "every domain needs baselines"
    for name, model in models.items():
        pred = model.fit(prep.X_train, prep.y_train).predict(prep.X_test)
        assert np.asarray(pred).shape[0] == len(prep.y_test), name
        assert np.isfinite(np.asarray(pred, dtype=float)).all(), name


@pytest.mark.slow
def test_one_epoch_train_writes_a_complete_run_directory(domain, tmp_path):
    pytest.importorskip("keras")
    from common.config import apply_overrides
    from common.experiment import REQUIRED_RUN_FILES, run_experiment

    cfg = apply_overrides(domain.smoke_config(), {"out": str(tmp_path), "training.epochs": 1})
    res = run_experiment(cfg, domain, run_name="conformance", log=lambda m: None)
    for name in REQUIRED_RUN_FILES:
        assert (res.run_dir / name).is_file(), name
    assert (res.run_dir / "seed0" / "model.keras").is_file() and (res.run_dir / "seed0" / "history.csv").is_file()
    assert all(np.isfinite(s["mean"]) for s in res.lstm.values())
    assert list(res.table["model"])[0].startswith("LSTM")
    import json

    report = (res.run_dir / "comparison.md").read_text()  # what `lstm-suite compare` prints
    for note in json.loads((res.run_dir / "leakage.json").read_text())["notes"]:
        assert note in report
    # the LSTM against each baseline with the test set's sampling noise: significance.json and a section of the report
    sig = json.loads((res.run_dir / "significance.json").read_text())
    assert [r["baseline"] for r in sig["rows"]] == list(res.baselines) and sig["lstm"] == "lstm_seed0"
    assert sig["metric"] == list(res.lstm)[0] and "paired bootstrap interval" in report
    assert all(r["verdict"] in ("LSTM better", "baseline better", "within noise", "undefined") for r in sig["rows"])
    predictions = pd.read_csv(res.run_dir / "predictions.csv")  # sample, its keys, position, target name, y_true
    keys = list(predictions.columns[1:predictions.columns.get_loc("position")])
    assert predictions.columns[0] == "sample" and set(keys) >= TEST_KEYS.get(cfg.domain, set())
    assert list(predictions.columns[len(keys) + 1:len(keys) + 4]) == ["position", "target", "y_true"]
    assert predictions["target"].notna().all() and predictions[keys].notna().all().all()
    for path in res.run_dir.rglob("*.json"):  # strict JSON (jq, JavaScript, R): undefined values are null, not NaN
        json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(f"{path.name} holds {c}"))
    from common.reproduce import reproduce_run  # `lstm-suite reproduce`: the saved models give the recorded results

    again = reproduce_run(res.run_dir, domain=domain, log=lambda m: None)
    assert again.reproduced, again.problems


def test_a_dry_run_prepares_the_data_and_builds_the_model_without_training_or_writing(domain, tmp_path):
    """``lstm-suite train DOMAIN --dry-run``: the config validated, the data prepared and audited, the model built and
    the baselines named, as a run would, then nothing trained and no run directory written."""
    pytest.importorskip("keras")
    from common.config import apply_overrides
    from common.dry_run import dry_run

    said = []
    cfg = apply_overrides(domain.smoke_config(), {"out": str(tmp_path / "runs")})
    got = dry_run(cfg, domain, log=said.append)
    fold = (got.prep.folds or [got.prep])[0]
    assert len(got.model.predict(fold.X_test, verbose=0)) == len(fold.y_test)  # the model the run would train
    assert got.baselines and not (tmp_path / "runs").exists()
    text = "\n".join(said)
    assert f"[{domain.name}] data: {got.prep.data_label}" in text
    assert f"train {len(fold.y_train)}, validation {len(fold.y_val)}, test {len(fold.y_test)}" in text
    assert f"{got.model.count_params():,} parameters" in text and "nothing trained" in text
    assert "the prepared arrays take" in text  # memory, before a long run on a large data set
    assert "s per epoch on this machine (up to 10 batches timed after a warm-up" in text  # time, likewise
    assert f'domain = "{domain.name}"' in text and "[training] epochs = " in text  # the resolved config


@pytest.mark.parametrize("cell, name", [("gru", "GRU (gru"), ("simple_rnn", "SimpleRNN (simple_rnn")])
def test_the_table_names_the_recurrent_cell_that_was_trained(tmp_path, cell, name):
    """Before: `--set model.cell=gru` was listed as 'LSTM (gru 8)'."""
    pytest.importorskip("keras")
    from common.config import apply_overrides
    from common.experiment import run_experiment

    cfg = apply_overrides(demo_domain.DOMAIN.smoke_config(), {"out": str(tmp_path), "training.epochs": 1,
                                                              "model.cell": cell})
    res = run_experiment(cfg, demo_domain.DOMAIN, run_name=cell, log=lambda m: None)
    assert list(res.table["model"])[0].startswith(name)


def test_several_seeds_add_the_ensemble_of_their_mean_prediction(tmp_path):
    pytest.importorskip("keras")
    import pandas as pd

    from common.config import apply_overrides
    from common.experiment import run_experiment

    domain = demo_domain.DOMAIN
    cfg = apply_overrides(domain.smoke_config(), {"out": str(tmp_path), "training.epochs": 1, "training.seeds": 2})
    res = run_experiment(cfg, domain, run_name="ens", log=lambda m: None)
    assert list(res.table["model"])[1].endswith(", ensemble")
    prep = domain.prepare(cfg, validate_options(domain.options, cfg.data, domain.name))
    frame = pd.read_csv(res.run_dir / "predictions.csv")
    mean = frame[["lstm_seed0", "lstm_seed1"]].mean(axis=1).to_numpy()
    np.testing.assert_allclose(frame["lstm_ensemble"], mean, rtol=1e-6)
    from common.metrics import compute  # predictions.csv is in reporting units already

    plain = [m for m in prep.metrics if "@" not in m and m not in ("pinball", "coverage")]
    expected = compute(plain, frame["y_true"].to_numpy(), mean, **prep.metric_context)
    for m in plain:
        assert res.ensemble[m] == pytest.approx(expected[m], rel=1e-5), m


def test_a_run_directory_resumes_only_the_config_it_was_made_with(tmp_path):
    pytest.importorskip("keras")
    from common.config import ConfigError, apply_overrides
    from common.experiment import _same_config_or_new, run_experiment

    domain = demo_domain.DOMAIN
    cfg = apply_overrides(domain.smoke_config(), {"out": str(tmp_path), "training.epochs": 1})
    first = run_experiment(cfg, domain, run_name="same", log=lambda m: None)
    again = run_experiment(apply_overrides(cfg, {"model.units": [8]}), domain, run_name="same", log=lambda m: None)
    assert again.run_dir == first.run_dir  # every seed had finished: a rerun trains afresh and overwrites
    cfg = apply_overrides(cfg, {"model.units": [8]})
    (first.run_dir / "seed0" / "backup").mkdir()
    (first.run_dir / "seed0" / "backup" / "training_metadata.json").write_text("{}")  # as an interrupted seed leaves
    # that backup of the old model would be restored into the new one: before, this ran on silently
    with pytest.raises(ConfigError, match=r"demo-.*-same was made with another config "
                                          r"\(model.units: \[8\] there, \[16\] now\)"):
        run_experiment(apply_overrides(cfg, {"model.units": [16]}), domain, run_name="same", log=lambda m: None)
    _same_config_or_new(apply_overrides(cfg, {"training.seeds": 2}), first.run_dir)  # more seeds: carried on
    _same_config_or_new(apply_overrides(cfg, {"out": str(tmp_path) + "/."}), first.run_dir)  # the same folder



def test_an_unknown_dataset_is_an_error_naming_it_and_the_choices(domain):
    """Before, mechanisms trained its default task under any --dataset name, and social's message left out its
    rolling-origin sets (`--dataset bikes` did not say that bike_sharing_uci exists)."""
    import dataclasses

    from common.domain import DataError

    cfg = dataclasses.replace(domain.smoke_config(), dataset="no_such_set")
    with pytest.raises(DataError, match="no_such_set") as err:
        domain.prepare(cfg, validate_options(domain.options, {}, domain.name))
    for profile in ("quick", "full"):
        assert domain.default_config(profile).dataset in str(err.value)
    if domain.name == "social":
        for ds in domain.datasets:
            assert ds in str(err.value)


# every --dataset name each domain accepts (user files aside), with the registered data it needs ("" = none)
NAMED_SETS = {
    "genomics": {"ienhancer2l": "ienhancer2l", "generated": "", "long_range": ""},
    "engineering": {"cmapss": "cmapss", "generated": "", "fusion": ""},
    "social": {"ili_national_illness": "ili_national_illness", "exchange_rate": "exchange_rate",
               "bike_sharing_uci": "bike_sharing_uci", "wikipedia_pageviews_peyton_manning":
               "wikipedia_pageviews_peyton_manning", "cdc_ilinet": "cdc_ilinet", "macrodata": ""},
    "environmental": {"camels": "camels_us_sample_nldas", "camels_sacsma": "camels_us_sacsma_13331500",
                      "beijing_pm25": "beijing_pm25_uci", "beijing_multisite": "beijing_multisite_aq", "co2": ""},
    "mechanisms": {"long_range": ""},
}


def test_the_named_sets_table_covers_every_registered_dataset_and_what_list_shows():
    user_files = {"genomics": {"fasta"}, "social": {"csv"}, "environmental": {"streamflow_csv"}}
    for name, sets in NAMED_SETS.items():
        assert set(get_domain(name).datasets) <= {*sets.values(), "skab"}, name  # skab: --experiment skab
        assert set(DOMAINS[name][2]) == set(sets) | user_files.get(name, set()), name
        assert DOMAINS[name][2][0] == get_domain(name).default_config("quick").dataset


@pytest.mark.realdata
@pytest.mark.parametrize("profile", ["quick", "full"])
@pytest.mark.parametrize("name,dataset", [(n, d) for n, sets in NAMED_SETS.items() for d in sets])
def test_every_named_dataset_prepares_and_builds_its_model_under_both_profiles(name, dataset, profile):
    """What `lstm-suite train NAME --dataset DATASET --profile PROFILE` does before training. Found this way:
    environmental camels under the quick profile, social macrodata under the full one (both stopped)."""
    pytest.importorskip("keras")
    import argparse

    from common.cli import _config
    from common.dry_run import dry_run
    from tests.conftest import real_data_or_skip

    if NAMED_SETS[name][dataset]:
        real_data_or_skip(NAMED_SETS[name][dataset])
    domain = get_domain(name)
    cfg = _config(argparse.Namespace(set=[], seeds=None, epochs=None, out=None, dataset=dataset, config=None,
                                     profile=profile), domain)
    assert (cfg.dataset, cfg.profile) == (dataset, profile)
    got = dry_run(cfg, domain, log=lambda m: None)  # what train --dry-run does: prepare, build, name the baselines
    fold = (got.prep.folds or [got.prep])[0]
    out = got.model.predict(fold.X_test, verbose=0, batch_size=4096)
    assert len(out) == len(fold.y_test) and got.baselines


def test_unnamed_runs_started_in_the_same_second_get_their_own_directories(tmp_path, monkeypatch):
    """Before: the directory was <domain>-<dataset>-<second>, so a sweep launched in parallel (or two quick runs in
    one process) shared it: the second run overwrote the first's files or stopped on its lock."""
    pytest.importorskip("keras")
    import time

    from common.config import apply_overrides
    from common.experiment import run_experiment

    monkeypatch.setattr(time, "strftime", lambda fmt, *a: "20260101-000000")
    cfg = apply_overrides(demo_domain.DOMAIN.smoke_config(), {"out": str(tmp_path), "training.epochs": 1})
    first = run_experiment(cfg, demo_domain.DOMAIN, log=lambda m: None)
    before = (first.run_dir / "comparison.md").read_text(encoding="utf-8")
    second = run_experiment(apply_overrides(cfg, {"training.epochs": 2}), demo_domain.DOMAIN, log=lambda m: None)
    assert first.run_dir.name == "demo-generated-20260101-000000"
    assert second.run_dir.name == "demo-generated-20260101-000000-2"
    assert (first.run_dir / "comparison.md").read_text(encoding="utf-8") == before
    assert 'epochs = 1' in (first.run_dir / "config.toml").read_text(encoding="utf-8")


def test_feature_names_when_given_match_the_inputs(smoke):
    """A domain may name its input features (predict's range note uses them); a name list of another length than
    the inputs' last axis would name the wrong features."""
    _, prep = smoke
    names = prep.feature_names
    if not names:
        pytest.skip("this domain's default data name no features")
    X = prep.X_train
    for key, named in (names.items() if isinstance(names, dict) else [(None, names)]):
        assert len(named) == np.shape(X if key is None else X[key])[-1], key


def test_a_resumed_run_reuses_the_seeds_that_had_finished(tmp_path, monkeypatch):
    """Before: resuming an interrupted run trained every finished seed again from scratch (the same result, at the
    cost of their whole training time); only the interrupted seed resumed from its backup. A rerun that starts
    afresh removes the earlier run's seed folders, so no resume can take an earlier run's model for its own."""
    keras = pytest.importorskip("keras")
    from common.config import apply_overrides
    from common.experiment import run_experiment

    domain = demo_domain.DOMAIN
    cfg = apply_overrides(domain.smoke_config(), {"out": str(tmp_path), "training.epochs": 3, "training.seeds": 2})
    done = run_experiment(cfg, domain, run_name="whole", log=lambda m: None)
    fits, original_fit = [], keras.Model.fit

    class StopInSecondSeed(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if len(fits) == 2 and epoch == 1:
                raise KeyboardInterrupt

    def counted_fit(self, *a, **kw):
        fits.append(kw.get("initial_epoch", 0))
        kw["callbacks"] = [*kw["callbacks"], StopInSecondSeed()]
        return original_fit(self, *a, **kw)

    monkeypatch.setattr(keras.Model, "fit", counted_fit)
    with pytest.raises(KeyboardInterrupt):
        run_experiment(cfg, domain, run_name="cut", log=lambda m: None)
    assert len(fits) == 2  # seed 0 finished, seed 1 stopped after its second epoch
    said = []
    res = run_experiment(cfg, domain, run_name="cut", log=said.append)
    assert len(fits) == 3, "only the interrupted seed trains again"
    assert any("seed 0: finished before the interruption; its saved model is used" in s for s in said), said
    assert any("seed 1: resumes from its backup after epoch 2" in s for s in said), said
    assert res.lstm["rmse"]["values"][0] == pytest.approx(done.lstm["rmse"]["values"][0], rel=1e-6)
    again = run_experiment(cfg, domain, run_name="cut", log=lambda m: None)  # nothing interrupted: trains afresh
    assert len(fits) == 5 and again.lstm["rmse"]["values"] == pytest.approx(res.lstm["rmse"]["values"], rel=1e-5)
    fewer = run_experiment(apply_overrides(cfg, {"training.seeds": 1}), domain, run_name="cut", log=lambda m: None)
    assert not (fewer.run_dir / "seed1").exists(), "a fresh rerun leaves no seed folder of the earlier run"
