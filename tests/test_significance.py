"""The paired bootstrap of the LSTM's difference from each baseline (common.significance)."""

import numpy as np
import pytest

from common.domain import Prepared
from common.significance import block_resample, compare_to_baselines, markdown


def prep_of(y, metrics=("rmse",), **kw):
    y = np.asarray(y, dtype=float)
    return Prepared(X_train=None, y_train=y, X_val=None, y_val=y, X_test=None, y_test=y, metrics=metrics,
                    data_label="test", **kw)


def test_block_resample_draws_runs_of_consecutive_samples_within_each_group():
    rng = np.random.default_rng(0)
    idx = block_resample(np.zeros(100, int), 10, rng)
    assert len(idx) == 100 and idx.min() >= 0 and idx.max() < 100
    runs = idx.reshape(10, 10)
    assert (np.diff(runs, axis=1) == 1).all()  # each block: 10 consecutive samples
    groups = np.repeat([0, 1, 2], [30, 50, 20])
    idx = block_resample(groups, 7, rng)
    assert [int((groups[idx] == g).sum()) for g in (0, 1, 2)] == [30, 50, 20]  # each group keeps its size and
    assert (np.sort(idx[groups[idx] == 2]) >= 80).all()  # draws only its own samples


def test_a_model_far_better_than_a_baseline_is_said_so_and_equal_models_are_within_noise():
    rng = np.random.default_rng(1)
    y = rng.normal(size=(400, 1))
    good = y + 0.1 * rng.normal(size=y.shape)
    bad = y + 1.0 * rng.normal(size=y.shape)
    twin = y + 0.1 * rng.normal(size=y.shape)
    got = compare_to_baselines(prep_of(y), {"lstm": good, "bad": bad, "twin": twin}, "lstm", ["bad", "twin"])
    rows = {r["baseline"]: r for r in got["rows"]}
    assert rows["bad"]["difference"] < 0 and rows["bad"]["high"] < 0 and rows["bad"]["verdict"] == "LSTM better"
    assert rows["twin"]["low"] < 0 < rows["twin"]["high"] and rows["twin"]["verdict"] == "within noise"
    assert got["metric"] == "rmse" and got["resamples"] == 1000 and "400 test samples" in got["unit"]
    text = markdown(got)
    assert "| bad |" in text and "LSTM better" in text and "95%" in text
    again = compare_to_baselines(prep_of(y), {"lstm": good, "bad": bad, "twin": twin}, "lstm", ["bad", "twin"])
    assert again == got  # a fixed seed: the same intervals on every run


def test_greater_is_better_metrics_turn_the_verdict_around_and_groups_are_scored_as_the_table_scores_them():
    rng = np.random.default_rng(2)
    groups = np.repeat(["a", "b", "c"], 200)
    y = rng.gamma(2.0, size=(600, 1))
    good, bad = y + 0.05 * rng.normal(size=y.shape), y + 1.5 * rng.normal(size=y.shape)
    prep = prep_of(y, metrics=("nse",), metric_groups=groups, bootstrap_block=30)
    got = compare_to_baselines(prep, {"lstm": good, "base": bad}, "lstm", ["base"])
    row = got["rows"][0]
    from common.experiment import score

    assert row["difference"] == pytest.approx(score(prep, good)["nse"] - score(prep, bad)["nse"])
    assert row["low"] > 0 and row["verdict"] == "LSTM better"  # NSE: higher is better
    assert "blocks of 30" in got["unit"] and "within each entity (3 entities; 600 test samples)" in got["unit"]


def test_a_metric_that_is_nan_gives_no_interval():
    y = np.ones((50, 1))  # constant truth: NSE undefined
    got = compare_to_baselines(prep_of(y, metrics=("nse",)), {"lstm": y, "b": y + 1}, "lstm", ["b"])
    assert np.isnan(got["rows"][0]["difference"]) and got["rows"][0]["verdict"] == "undefined"


def test_mean_error_metrics_take_a_fast_path_that_gives_what_scoring_each_resample_gives():
    """MSE, RMSE and MAE of a resample follow from per-sample sums and counts (missing targets masked); the slow path
    scores every resample with the table's ``score``. Both must give the same intervals."""
    from common import significance

    rng = np.random.default_rng(3)
    y = rng.normal(size=(300, 4, 2))
    y[rng.random(y.shape) < 0.1] = np.nan  # masked targets: samples hold different counts
    a, b = y + 0.3 * rng.normal(size=y.shape), y + 0.35 * rng.normal(size=y.shape)
    for metric in ("mse", "rmse", "mae"):
        prep = prep_of(y, metrics=(metric,), bootstrap_block=5, to_report_units=lambda v: 2 * v + 1)
        fast = compare_to_baselines(prep, {"l": a, "b": b}, "l", ["b"], resamples=200)
        slow = compare_to_baselines(prep, {"l": a, "b": b}, "l", ["b"], resamples=200, fast=False)
        numbers = ("difference", "low", "high")
        assert [fast["rows"][0][k] for k in numbers] == pytest.approx([slow["rows"][0][k] for k in numbers],
                                                                      rel=1e-9), metric
    assert significance.FAST_METRICS == ("mse", "rmse", "mae", "nse")


@pytest.mark.parametrize("metric", ["nse", "mse", "rmse", "mae"])
def test_per_entity_medians_take_the_fast_path_and_give_what_scoring_each_resample_gives(metric, monkeypatch):
    """Before: a metric per entity (the median NSE over basins) scored every resample with ``score``, about 0.1 s a
    resample at 50 basins and quadratic in the basins through ``groups == g``: a 531-basin run would have spent
    most of an hour on the check. Per entity, a resample's NSE follows from sums over its samples too."""
    from common import significance

    rng = np.random.default_rng(6)
    groups = np.repeat(["b", "a", "c", "d"], [120, 80, 1, 60])  # "c": one sample, NaN in every resample
    y = rng.gamma(2.0, size=(261, 2))
    y[rng.random(y.shape) < 0.1] = np.nan
    y[200:261:2, :] = np.nan  # "d": only its odd samples observed
    a, b = y + 0.3 * rng.normal(size=y.shape), y + 0.5 * rng.normal(size=y.shape)
    prep = prep_of(y, metrics=(metric,), metric_groups=groups, bootstrap_block=7, to_report_units=lambda v: 3 * v)
    slow = compare_to_baselines(prep, {"l": a, "b": b}, "l", ["b"], resamples=150, fast=False)
    scored = []
    monkeypatch.setattr(significance, "_scored", lambda *args: scored.append(1) or 0.0)  # the slow path's scoring
    fast = compare_to_baselines(prep, {"l": a, "b": b}, "l", ["b"], resamples=150)
    assert not scored and fast["resamples"] == 150
    numbers = ("difference", "low", "high")
    assert [fast["rows"][0][k] for k in numbers] == pytest.approx([slow["rows"][0][k] for k in numbers], rel=1e-9)


def test_groups_found_once_give_the_same_resamples_as_before():
    from common.significance import group_members

    groups = np.array(["x", "y", "x", "z", "y", "x"])
    assert [m.tolist() for m in group_members(groups)] == [[0, 2, 5], [1, 4], [3]]  # first-seen order
    one, two = np.random.default_rng(7), np.random.default_rng(7)
    np.testing.assert_array_equal(block_resample(groups, 2, one), block_resample(groups, 2, two,
                                                                                  group_members(groups)))


def test_the_slow_path_keeps_to_a_time_budget_by_drawing_fewer_resamples(monkeypatch):
    from common import significance

    y = np.random.default_rng(4).random((100, 1))
    prep = prep_of(y, metrics=("auroc",))
    monkeypatch.setattr(significance, "BUDGET_S", 0.0)  # no time: the floor of resamples
    got = compare_to_baselines(prep, {"l": y, "b": 1 - y}, "l", ["b"])
    assert got["resamples"] == significance.MIN_RESAMPLES


def test_a_baseline_far_better_than_the_lstm_is_said_so():
    rng = np.random.default_rng(5)
    y = rng.normal(size=(400, 1))
    good, bad = y + 0.1 * rng.normal(size=y.shape), y + 1.0 * rng.normal(size=y.shape)
    got = compare_to_baselines(prep_of(y), {"lstm": bad, "good": good}, "lstm", ["good"])
    assert got["rows"][0]["low"] > 0 and got["rows"][0]["verdict"] == "baseline better"


def test_forecast_windows_that_share_targets_are_resampled_together(tmp_path):
    """Stride-1 windows of horizon H share H - 1 target steps: the long-horizon protocol resamples blocks of H;
    a basin's days come in blocks of 30 (daily flow errors are autocorrelated)."""
    import pandas as pd

    from domains.social.ltsf import LTSFData, prepare_ltsf
    from tests.test_basin_csv import config, prepare, write_basin

    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(300, 2)), columns=["a", "b"])
    assert prepare_ltsf(LTSFData(frame, "b", 1, "x"), 24, 12).bootstrap_block == 12
    write_basin(tmp_path / "alpha.csv")
    assert prepare(config([tmp_path / "alpha.csv"])).bootstrap_block == 30


def test_one_line_sums_up_the_verdicts_for_the_console():
    from common.significance import summary_line

    sig = {"metric": "rmse", "rows": [{"baseline": "a", "verdict": "LSTM better"},
                                      {"baseline": "b", "verdict": "within noise"},
                                      {"baseline": "c", "verdict": "LSTM better"},
                                      {"baseline": "d", "verdict": "baseline better"},
                                      {"baseline": "e", "verdict": "undefined"}]}
    assert summary_line(sig) == ("rmse, 95% paired bootstrap over the test set: LSTM better than a, c; "
                                 "within noise of b; baseline better: d; undefined for e")


def test_a_first_metric_with_forecast_step_variants_gets_an_interval_at_every_step():
    """Beijing PM2.5's first metric is rmse@h1 while its targets are at 6 h and 24 h: the other steps of the same
    metric get their own intervals (``more``); the first metric's stay at the top level (the main job reads them)."""
    from common.significance import compare_all, significance_metrics

    rng = np.random.default_rng(6)
    y = rng.normal(size=(300, 3, 1))
    steps = {"h1": 0, "h6": 1, "h24": 2}
    prep = prep_of(y, metrics=("rmse@h1", "mae@h1", "rmse@h6", "mae@h6", "rmse@h24"), step_labels=steps,
                   bootstrap_block=24)
    assert significance_metrics(prep) == ["rmse@h1", "rmse@h6", "rmse@h24"]
    assert significance_metrics(prep_of(y, metrics=("mae", "smape", "mae@h24"), step_labels={"h24": slice(0, 2)})) \
        == ["mae", "mae@h24"]
    assert significance_metrics(prep_of(y, metrics=("mse", "mae@original"))) == ["mse"]
    worse = y + np.array([0.1, 0.5, 2.0])[None, :, None] * rng.normal(size=y.shape)
    got = compare_all(prep, {"l": y + 0.05 * rng.normal(size=y.shape), "b": worse}, "l", ["b"], resamples=200)
    assert got["metric"] == "rmse@h1" and [m["metric"] for m in got["more"]] == ["rmse@h6", "rmse@h24"]
    assert got["more"][1]["rows"][0]["verdict"] == "LSTM better"
    text = markdown(got)
    assert text.count("| baseline | LSTM - baseline |") == 3 and "rmse@h24" in text
    from common.significance import summary_line

    assert summary_line(got).count("95% paired bootstrap") == 3
