import json

import numpy as np
import pytest

from common.config import ModelSpec, TrainSpec

pytest.importorskip("keras")
from common.training import LSTMEstimator, TrainingDiverged, conformal_offsets, environment_record  # noqa: E402


def data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5, 2)).astype("float32")
    return X, X[:, -1, :1] * 2.0


def fit_interrupted(est, epoch: int, *args):
    """``est.fit(*args)`` stopped by a KeyboardInterrupt at the end of ``epoch`` (0-based), as Ctrl-C would stop it."""
    import keras

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, e, logs=None):
            if e == epoch:
                raise KeyboardInterrupt

    original_fit = keras.Model.fit

    def fit_with_interrupt(self, *a, **kw):
        kw["callbacks"] = [*kw["callbacks"], Interrupt()]
        return original_fit(self, *a, **kw)

    keras.Model.fit = fit_with_interrupt
    try:
        with pytest.raises(KeyboardInterrupt):
            est.fit(*args)
    finally:
        keras.Model.fit = original_fit


def test_same_seed_same_predictions():
    X, y = data()
    spec, train = ModelSpec(units=(4,)), TrainSpec(epochs=2, batch_size=16)
    a = LSTMEstimator(spec, train, seed=3).fit(X, y, X[:16], y[:16]).predict(X)
    b = LSTMEstimator(spec, train, seed=3).fit(X, y, X[:16], y[:16]).predict(X)
    np.testing.assert_array_equal(a, b)


def test_epoch_split_makes_shorter_epochs_that_walk_through_every_window():
    X, y = data(n=70)  # 5 batches of 16 per pass (the last one of 6), 2 per epoch with epoch_split = 3
    spec, train = ModelSpec(units=(4,)), TrainSpec(epochs=4, batch_size=16, epoch_split=3, patience=10)
    est = LSTMEstimator(spec, train, seed=1).fit(X, y, X[:16], y[:16])
    assert len(est.history["loss"]) == 4 and int(est.model.optimizer.iterations.numpy()) == 4 * 2
    again = LSTMEstimator(spec, train, seed=1).fit(X, y, X[:16], y[:16])
    np.testing.assert_array_equal(est.predict(X), again.predict(X))  # deterministic
    from common.training import _window_stream

    stream = _window_stream(np.arange(70.0)[:, None], np.arange(70.0), None, batch_size=16, seed=0)
    seen = [b[1].numpy() for b in stream.take(10)]  # two passes: each window once per pass, reshuffled
    first, second = np.concatenate(seen[:5]), np.concatenate(seen[5:])
    assert sorted(first) == sorted(second) == list(range(70)) and list(first) != list(second)
    with pytest.raises(Exception, match="training.epoch_split"):
        TrainSpec(epoch_split=0)


def test_divergence_is_a_clear_error():
    X, y = data()
    y = y.copy()
    y[0, 0] = np.inf
    with pytest.raises(TrainingDiverged, match="learning_rate"):
        LSTMEstimator(ModelSpec(units=(4,)), TrainSpec(epochs=3)).fit(X, y)


def test_early_stopping_restores_best_and_writes_history(tmp_path):
    X, y = data()
    est = LSTMEstimator(ModelSpec(units=(4,)), TrainSpec(epochs=30, patience=2, lr_schedule="plateau"),
                        run_dir=tmp_path / "seed0")
    est.fit(X, y, X[:16], y[:16])
    hist = (tmp_path / "seed0" / "history.csv").read_text().splitlines()
    assert hist[0].startswith("epoch") and len(hist) - 1 == len(est.history["loss"])
    assert not (tmp_path / "seed0" / "backup").exists()


@pytest.mark.parametrize("ema", [0.0, 0.9])
def test_final_model_is_the_best_validation_epoch_with_and_without_weight_averaging(ema):
    rng = np.random.default_rng(0)  # noise targets: validation loss turns up early, so training stops early
    X, y = rng.normal(size=(96, 5, 2)).astype("float32"), rng.normal(size=(96, 1)).astype("float32")
    est = LSTMEstimator(ModelSpec(units=(16,), ema=ema, learning_rate=0.02), TrainSpec(epochs=30, patience=3, batch_size=16))
    est.fit(X[:64], y[:64], X[64:], y[64:])
    assert est.model.optimizer.use_ema is (ema > 0)
    val = est.history["val_loss"]
    assert int(np.argmin(val)) < len(val) - 1  # the last epoch is not the best one
    final = float(np.mean((est.predict(X[64:]) - y[64:]) ** 2))
    assert final == pytest.approx(min(val), rel=1e-4)


def test_interrupted_run_resumes_from_its_backup(tmp_path):
    X, y = data()
    run_dir = tmp_path / "seed0"
    est = LSTMEstimator(ModelSpec(units=(4,)), TrainSpec(epochs=4, patience=10), run_dir=run_dir)
    fit_interrupted(est, 1, X, y)
    assert (run_dir / "backup").exists()
    resumed = LSTMEstimator(ModelSpec(units=(4,)), TrainSpec(epochs=4, patience=10), run_dir=run_dir).fit(X, y)
    assert len(resumed.history["loss"]) == 2, "only the two remaining epochs run after a resume"
    epochs = [line.split(",")[0] for line in (run_dir / "history.csv").read_text().splitlines()[1:]]
    assert epochs == ["0", "1", "2", "3"]


def test_a_resumed_run_keeps_the_best_epoch_found_before_the_interruption(tmp_path):
    """Before: Keras keeps EarlyStopping's best value, patience count and best weights in memory only, so a run
    resumed from its backup restarted them: it could stop later than patience allows and ended on the best epoch
    after the resume, discarding a better epoch found before Ctrl-C."""
    rng = np.random.default_rng(0)  # noise targets: validation loss is best within the first epochs, then rises
    X, y = rng.normal(size=(96, 5, 2)).astype("float32"), rng.normal(size=(96, 1)).astype("float32")
    spec, train = ModelSpec(units=(16,), learning_rate=0.02), TrainSpec(epochs=30, patience=3, batch_size=16,
                                                                         lr_schedule="plateau")
    run_dir = tmp_path / "seed0"

    def val_losses():
        rows = [r.split(",") for r in (run_dir / "history.csv").read_text().splitlines()]
        return [float(r[rows[0].index("val_loss")]) for r in rows[1:]]

    fit_interrupted(LSTMEstimator(spec, train, run_dir=run_dir), 6, X[:64], y[:64], X[64:], y[64:])
    before = val_losses()
    best_before = int(np.argmin(before))
    assert best_before < 6, before  # the premise: the best epoch lies before the interruption
    resumed = LSTMEstimator(spec, train, run_dir=run_dir).fit(X[:64], y[:64], X[64:], y[64:])
    val = val_losses()
    assert len(val) <= best_before + 1 + train.patience, "patience counts the epochs before the interruption too"
    final = float(np.mean((resumed.predict(X[64:]) - y[64:]) ** 2))
    assert final == pytest.approx(min(val), rel=1e-4) and min(val) == pytest.approx(min(before), rel=1e-6)
    assert not (run_dir / "backup").exists()


def test_quantile_head_predicts_median_and_all_quantiles():
    X, y = data()
    est = LSTMEstimator(ModelSpec(units=(4,), head="quantile", quantiles=(0.1, 0.5, 0.9)), TrainSpec(epochs=1))
    est.fit(X, y[:, None, :])
    q = est.predict_quantiles(X)
    assert q.shape == (64, 1, 1, 3)
    np.testing.assert_array_equal(est.predict(X), q[..., 1])


def test_conformal_offsets_by_hand():
    q = np.zeros((5, 2, 3))
    q[..., 1], q[..., 2] = 0.5, 1.0  # every interval is [0, 1]
    y = np.array([[0.5, 0.4], [1.5, 0.6], [2.0, 0.5], [-1.0, 0.45], [0.2, np.nan]])
    # step 0: scores max(lo - y, y - hi) = -0.5, 0.5, 1, 1, -0.2; rank ceil(6 * 0.8) = 5 of 5 -> 1.0 (widen)
    # step 1: scores -0.4, -0.4, -0.5, -0.45 (the missing target left out); rank min(4, ceil(5 * 0.8)) = 4 -> -0.4
    np.testing.assert_allclose(conformal_offsets(q, y, 0.8), [1.0, -0.4])


def test_conformal_calibration_moves_only_the_outer_quantiles_and_keeps_their_order(tmp_path):
    X, y = data()
    spec = ModelSpec(units=(4,), head="quantile", quantiles=(0.1, 0.5, 0.9))
    plain = LSTMEstimator(spec, TrainSpec(epochs=1)).fit(X, y[:, None, :], X[:16], 5 * y[:16, None, :])
    cal = LSTMEstimator(spec, TrainSpec(epochs=1, conformal=True)).fit(X, y[:, None, :], X[:16], 5 * y[:16, None, :])
    a, b = plain.predict_quantiles(X), cal.predict_quantiles(X)
    np.testing.assert_allclose(a[..., 1], b[..., 1], atol=1e-6)  # same seed, same weights: the median is unchanged
    assert (b[..., 0] <= b[..., 1]).all() and (b[..., 1] <= b[..., 2]).all()
    inside = lambda q, t: np.mean((t >= q[..., 0]) & (t <= q[..., 2]))  # noqa: E731
    assert inside(b[:16], 5 * y[:16, None, :]) >= 0.8  # calibrated on those validation windows
    cal.save(tmp_path / "model.keras")
    assert (tmp_path / "conformal_offsets.json").is_file()
    with pytest.raises(ValueError, match="needs validation windows"):
        LSTMEstimator(spec, TrainSpec(epochs=1, conformal=True)).fit(X, y[:, None, :])


def test_environment_record_is_json():
    rec = environment_record(seed=7)
    assert rec["seed"] == 7 and rec["packages"]["keras"] and "devices" in rec
    json.dumps(rec)


def test_environment_record_names_the_code_commit_of_a_git_checkout():
    """Before: only the package version (0.1.0 for every commit) said which code made a run."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.returncode != 0:
        pytest.skip("not a git checkout")
    code = environment_record()["code"]
    assert code["commit"] == head.stdout.strip() and isinstance(code["uncommitted_changes"], bool)


def test_run_directory_lock_refuses_a_live_second_run_and_takes_over_a_stale_one(tmp_path):
    import os

    from common.experiment import RunDirectoryBusy, run_lock

    with run_lock(tmp_path):
        with pytest.raises(RunDirectoryBusy, match=str(os.getpid())):
            with run_lock(tmp_path):
                pass
    assert not (tmp_path / ".lock").exists()
    (tmp_path / ".lock").write_text("999999999")  # a process that no longer exists (an interrupted run)
    with run_lock(tmp_path):
        assert (tmp_path / ".lock").read_text() == str(os.getpid())


def test_zero_head_starts_at_repeat_and_is_kept_when_no_epoch_beats_it():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(96, 6, 1)).astype("float32")
    repeat = np.repeat(X[:, -1:, :], 3, axis=1)  # (n, horizon 3, 1)
    noisy = repeat + rng.normal(0, 1.0, size=repeat.shape).astype("float32")  # training targets: Repeat + noise
    spec = ModelSpec(units=(4,), head="forecast", horizon=3, instance_norm="last", zero_head=True, learning_rate=0.05)
    est = LSTMEstimator(spec, TrainSpec(epochs=3, batch_size=16, patience=3))
    est.fit(X[:64], noisy[:64], X[64:], repeat[64:])  # validation targets are exactly Repeat: nothing beats it
    assert est.history["kept_initial"] == [1.0]
    gain, se = est.history["validation_gain_over_reference"]
    assert gain <= se
    np.testing.assert_allclose(est.predict(X), repeat, atol=1e-6)
    # without validation there is nothing to choose on: the trained weights stay
    est2 = LSTMEstimator(spec, TrainSpec(epochs=3, batch_size=16)).fit(X[:64], noisy[:64])
    assert "kept_initial" not in est2.history and np.abs(est2.predict(X) - repeat).max() > 1e-3


def test_zero_head_needs_instance_norm():
    from common.config import ConfigError

    with pytest.raises(ConfigError, match="zero_head"):
        ModelSpec(head="forecast", zero_head=True)


def test_reference_gain_by_hand():
    from common.training import reference_gain

    y = np.zeros((5, 1, 1))  # horizon 1: every window is its own block
    ref = np.ones((5, 1, 1))  # squared error 1 in every window
    trained = np.array([0.0, 1.0, 0.0, 1.0, np.nan])[:, None, None]  # gains 1, 0, 1, 0; window 5 unscored
    mean, se = reference_gain(ref, trained, y)
    assert mean == pytest.approx(0.5) and se == pytest.approx(np.std([1, 0, 1, 0], ddof=1) / 2)
    assert reference_gain(ref, trained, y, absolute=True)[0] == pytest.approx(0.5)
    # horizon 2: blocks of two windows; gains 1, 0 | 0, 0 | 1 give block means 0.5, 0, 1
    y2, ref2 = np.zeros((5, 2, 1)), np.ones((5, 2, 1))
    trained2 = np.array([0.0, 1.0, 1.0, 1.0, 0.0])[:, None, None] * np.ones((5, 2, 1))
    mean, se = reference_gain(ref2, trained2, y2)
    assert mean == pytest.approx(0.4) and se == pytest.approx(np.std([0.5, 0.0, 1.0], ddof=1) / np.sqrt(3))
    assert reference_gain(ref2[:2], ref2[:2], y2[:2])[1] == np.inf  # fewer than two blocks


def test_in_workers_returns_results_in_call_order():
    from common.training import in_workers

    calls = [(7, 2), (9, 4), (5, 5), (1, 3)]
    assert in_workers(divmod, calls, jobs=2) == in_workers(divmod, calls, jobs=1) == [divmod(*c) for c in calls]


def test_written_json_is_strict_with_undefined_values_as_null(tmp_path):
    """Before: a 1-seed run's metrics.json held `NaN` (its sd), which jq, JavaScript and R's jsonlite reject."""
    from common.training import write_json

    obj = {"sd": float("nan"), "inf": float("inf"), "f32": np.float32("nan"), "arr": np.array([1.5, np.nan]),
           "nested": [{"x": (np.inf, 2)}], "ok": np.int64(3), "path": tmp_path}
    write_json(tmp_path / "m.json", obj)
    back = json.loads((tmp_path / "m.json").read_text(), parse_constant=lambda c: pytest.fail(f"holds {c}"))
    assert back == {"sd": None, "inf": None, "f32": None, "arr": [1.5, None], "nested": [{"x": [None, 2]}], "ok": 3,
                    "path": str(tmp_path)}


def test_progress_written_to_a_file_or_pipe_is_one_plain_line_per_epoch(monkeypatch, capsys):
    """Before: Keras' progress bar (ANSI colour codes, a line per update) went into logs such as `... > train.log`."""
    monkeypatch.delenv("CI", raising=False)  # the tests set it to silence training; a user's shell does not
    X, y = data()
    LSTMEstimator(ModelSpec(units=(4,)), TrainSpec(epochs=2, batch_size=16), seed=0).fit(X, y, X[:16], y[:16])
    out = capsys.readouterr().out  # captured: not a terminal
    assert "\x1b[" not in out and "━" not in out, out[:300]
    assert out.count(" - val_loss:") == 2 and out.count("\n") == 4 and "Epoch 2/2" in out


def test_mixed_precision_trains_with_weight_averaging_resumes_and_saves(tmp_path):
    """``model.precision = "mixed_float16"`` wraps the optimizer in Keras' loss scaling: weight averaging, the
    plateau schedule, the per-epoch backup and resume, and the saved model work through that wrapper."""
    import keras

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(96, 5, 2)).astype("float32"), rng.normal(size=(96, 1)).astype("float32")
    spec = ModelSpec(units=(8,), ema=0.9, learning_rate=0.02, precision="mixed_float16")
    train = TrainSpec(epochs=6, patience=10, batch_size=16, lr_schedule="plateau")
    run_dir = tmp_path / "seed0"

    fit_interrupted(LSTMEstimator(spec, train, run_dir=run_dir), 2, X[:64], y[:64], X[64:], y[64:])
    est = LSTMEstimator(spec, train, run_dir=run_dir).fit(X[:64], y[:64], X[64:], y[64:])
    assert len(est.history["loss"]) == 3, "the three remaining epochs run after the resume"
    assert isinstance(est.model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert est.model.optimizer.inner_optimizer.use_ema
    pred = est.predict(X[64:])
    assert pred.dtype == np.float32 and np.isfinite(pred).all()
    rows = [r.split(",") for r in (run_dir / "history.csv").read_text().splitlines()]
    val = [float(r[rows[0].index("val_loss")]) for r in rows[1:]]
    assert float(np.mean((pred - y[64:]) ** 2)) == pytest.approx(min(val), rel=1e-3)  # the best averaged epoch
    est.save(run_dir / "model.keras")
    loaded = LSTMEstimator.load(run_dir / "model.keras", spec, train)
    np.testing.assert_array_equal(loaded.predict(X[64:]), pred)


def test_a_reference_kept_for_want_of_validation_windows_says_so(tmp_path):
    """With fewer than two blocks of `horizon` validation windows (the exchange rate at H720: 41 windows) the
    standard error is unknown and the reference forecast is always kept: a verdict by rule, not by evidence.
    reference_check.json wrote only `standard_error: null`; it now says why the reference was kept."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 6, 1)).astype("float32")
    y = np.repeat(X[:, -1:, :], 8, axis=1) + rng.normal(0, 1.0, size=(80, 8, 1)).astype("float32")
    spec = ModelSpec(units=(4,), head="forecast", horizon=8, instance_norm="last", zero_head=True)
    LSTMEstimator(spec, TrainSpec(epochs=1, batch_size=16), run_dir=tmp_path / "seed0").fit(
        X[:70], y[:70], X[70:], y[70:])  # 10 validation windows: one block of 8 and a rest of 2 -> two blocks
    check = json.loads((tmp_path / "seed0" / "reference_check.json").read_text())
    assert check["standard_error"] is not None and "note" not in check
    LSTMEstimator(spec, TrainSpec(epochs=1, batch_size=16), run_dir=tmp_path / "seed1").fit(
        X[:74], y[:74], X[74:], y[74:])  # 6 validation windows: less than one block
    check = json.loads((tmp_path / "seed1" / "reference_check.json").read_text())
    assert check["kept"] == "reference (untrained zero head)" and check["standard_error"] is None
    assert check["note"] == ("6 validation windows make fewer than two blocks of 8 (the horizon; windows that far "
                             "apart share no target step): no standard error, so the reference is kept whatever "
                             "the gain"), check
