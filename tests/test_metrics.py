import math

import numpy as np
import pytest

from common.metrics import GREATER_IS_BETTER, METRICS, compute

Y = [3.0, -0.5, 2.0, 7.0]
P = [2.5, 0.0, 2.0, 8.0]


def test_registry_is_complete_and_documented():
    expected = {"rmse", "mae", "mse", "mape", "smape", "mase", "nse", "kge", "accuracy", "mcc", "sensitivity",
                "specificity", "auroc", "auprc", "f1", "pinball", "coverage", "phm08"}
    assert expected <= set(METRICS) and set(METRICS) == set(GREATER_IS_BETTER)
    for name, fn in METRICS.items():
        assert fn.__doc__ and ":" in fn.__doc__, f"{name} needs a docstring with its formula"
        assert "Reference:" in fn.__doc__, f"{name} needs a docstring with a reference"


@pytest.mark.parametrize("name, value", [
    ("mse", 0.375), ("rmse", math.sqrt(0.375)), ("mae", 0.5),
    ("mape", 100 * (0.5 / 3 + 0.5 / 0.5 + 0 + 1 / 7) / 4),
    ("smape", 100 * (2 * 0.5 / 5.5 + 2 * 0.5 / 0.5 + 0 + 2 * 1 / 15) / 4),
    ("nse", 1 - 1.5 / 29.1875),
])
def test_regression_by_hand(name, value):
    assert METRICS[name](Y, P) == pytest.approx(value)


def test_nan_targets_are_ignored():
    assert METRICS["mae"]([1.0, np.nan, 3.0], [2.0, 100.0, 3.0]) == pytest.approx(0.5)


def test_mase_by_hand():
    # training diffs |2-1|,|4-2|,|3-4| -> mean 4/3; MAE 0.5 -> 0.375
    assert METRICS["mase"](Y, P, y_train=[1, 2, 4, 3], season=1) == pytest.approx(0.375)
    assert METRICS["mase"]([1, 2], [1, 3], y_train=[0, 0, 1, 1, 3, 3], season=2) == pytest.approx(0.5 / 1.5)


def test_mase_is_undefined_when_the_seasonal_naive_is_exact_up_to_rounding():
    """Before: an exactly periodic training series left float rounding (1e-16) as the scale, and MASE 2e13."""
    t = np.arange(24 * 20)
    x = 5 + np.sin(2 * np.pi * t / 24)
    assert 0 < np.abs(x[24:] - x[:-24]).mean() < 1e-12
    assert math.isnan(METRICS["mase"]([5.0, 6.0], [5.5, 6.0], y_train=x, season=24))
    assert math.isnan(METRICS["mase"]([5.0, 6.0], [5.5, 6.0], y_train=np.full(10, 3.0), season=1))
    assert METRICS["mase"]([5.0, 6.0], [5.5, 6.0], y_train=x, season=1) == pytest.approx(
        0.25 / np.abs(np.diff(x)).mean())


def test_mase_per_channel_and_target_channel_metrics_by_hand():
    train = np.array([[1, 0], [2, 0], [4, 2], [3, 2]], dtype=float)  # channel diffs: mean 4/3 and 2/3
    y = np.array([[[1.0, 1.0]], [[2.0, 2.0]]])  # (windows, horizon, channels)
    p = np.array([[[1.5, 1.0]], [[2.5, 3.0]]])  # MAE 0.5 and 0.5
    assert METRICS["mase"](y, p, y_train=train, season=1) == pytest.approx((0.375 + 0.75) / 2)
    assert METRICS["mse_target"](y, p, target_index=-1) == pytest.approx(0.5)
    assert METRICS["mae_target"](y, p, target_index=0) == pytest.approx(0.5)


def test_kge_by_hand():
    t, p = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 4.0, 6.0, 8.0])
    # r = 1, alpha = 2, beta = 2 -> 1 - sqrt(2)
    assert METRICS["kge"](t, p) == pytest.approx(1 - math.sqrt(2))
    assert METRICS["kge"](t, t) == pytest.approx(1.0)


def test_phm08_by_hand():
    # d = -13 -> e - 1 ; d = +10 -> e - 1 ; d = 0 -> 0
    assert METRICS["phm08"]([50, 50, 50], [37, 60, 50]) == pytest.approx(2 * (math.e - 1))


def test_pinball_and_coverage_by_hand():
    # y = 1; quantiles 0.1/0.5/0.9 predicted 0, 1, 3 -> losses 0.1*1, 0, 0.1*2 -> mean 0.1
    assert METRICS["pinball"]([1.0], [[0.0, 1.0, 3.0]], quantiles=(0.1, 0.5, 0.9)) == pytest.approx(0.1)
    assert METRICS["coverage"]([1.0, 5.0], [[0.0, 2.0], [0.0, 2.0]]) == pytest.approx(0.5)


def test_classification_by_hand():
    y = [1, 1, 1, 0, 0, 0, 0, 1]
    s = [0.9, 0.8, 0.3, 0.2, 0.6, 0.1, 0.4, 0.7]  # TP=3 FN=1 TN=3 FP=1
    r = compute(["accuracy", "sensitivity", "specificity", "f1", "mcc"], y, s)
    assert r == pytest.approx({"accuracy": 0.75, "sensitivity": 0.75, "specificity": 0.75, "f1": 0.75, "mcc": 0.5})
    # AUROC: positives {.9,.8,.3,.7} vs negatives {.2,.6,.1,.4}: 4+4+4+2 = 14 of 16 pairs ordered
    assert METRICS["auroc"](y, s) == pytest.approx(14 / 16)
    # AP: ranks .9(+) .8(+) .7(+) .6(-) .4(-) .3(+) ... -> (1 + 1 + 1 + 4/6) / 4
    assert METRICS["auprc"](y, s) == pytest.approx((3 + 4 / 6) / 4)


def test_multiclass_accuracy_uses_argmax():
    assert METRICS["accuracy"]([0, 2, 1], [[0.8, 0.1, 0.1], [0.1, 0.2, 0.7], [0.5, 0.4, 0.1]]) == pytest.approx(2 / 3)


def test_unknown_metric_is_named():
    with pytest.raises(KeyError, match="nsee"):
        compute(["nsee"], [1], [1])


def test_smape_of_a_missing_forecast_is_nan_not_zero():
    from common.metrics import METRICS

    assert np.isnan(METRICS["smape"]([1.0, 2.0], [np.nan, np.nan]))
    assert METRICS["smape"]([0.0, 2.0], [0.0, 2.0]) == 0.0


def test_mean_sd_leaves_out_the_sd_of_a_single_seed():
    """Before: benchmark tables of a one-seed run read '1.909 ± nan' (the sample sd of one value)."""
    from common.evaluation import mean_sd

    assert mean_sd({"mean": 1.90912, "sd": float("nan"), "n": 1}, ".3f") == "1.909 (1 seed)"
    assert mean_sd({"mean": 1.90912, "sd": 0.0512, "n": 5}, ".3f") == "1.909 ± 0.051"
    assert mean_sd({"mean": 0.75, "sd": 0.0063, "n": 5}, ".4f") == "0.7500 ± 0.0063"


def test_a_benchmark_table_with_blank_number_cells_raises_no_pandas_warning():
    """Before: the social benchmark's report ended with pandas' Pandas4Warning ('str' is not supported as a fill
    value for float64 dtype; a future pandas will raise), after an hour of runs, because its mean rows have no
    'minutes'."""
    import warnings

    from common.evaluation import rows_table

    rows = [{"H": 24, "LSTM MSE": "1.909 ± 0.111", "minutes": 4.0}, {"H": "mean", "LSTM MSE": "1.922"}]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = rows_table(rows)
    assert table["minutes"].tolist() == [4.0, ""] and list(table.columns) == ["H", "LSTM MSE", "minutes"]
    assert "| mean | 1.922" in table.to_markdown(index=False).replace("  ", " ").replace("  ", " ")


def test_seed_summary_keeps_an_infinite_metric_infinite():
    """Before: a diverged seed's PHM08 score (exp overflows to inf) was summarised as NaN, "undefined", in the
    comparison table; a mean over seeds that includes inf is inf."""
    import warnings

    import pandas as pd

    from common.evaluation import comparison_table, summarize_seeds

    assert summarize_seeds([{"phm08": float("inf")}])["phm08"]["mean"] == float("inf")
    table = comparison_table(summarize_seeds([{"phm08": float("inf")}]), {"ridge": {"phm08": float("-inf")}},
                             pd.DataFrame(columns=["model", "citation", "metric", "value"]), ["phm08"])
    assert list(table["phm08"]) == ["inf", "-inf"]
    assert summarize_seeds([{"phm08": 3.0}, {"phm08": float("inf")}])["phm08"]["mean"] == float("inf")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # all seeds undefined: NaN, without numpy's "mean of empty slice" warning
        assert np.isnan(summarize_seeds([{"mcc": float("nan")}, {"mcc": float("nan")}])["mcc"]["mean"])


def test_phm08_of_a_diverged_prediction_is_inf_without_a_numpy_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert METRICS["phm08"](np.array([10.0, 20.0]), np.array([1e5, 20.0])) == float("inf")
