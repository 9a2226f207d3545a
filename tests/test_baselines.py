import numpy as np
import pytest

from common import baselines as B


def test_seasonal_naive_by_hand():
    X = np.arange(10.0).reshape(1, 10, 1)
    pred = B.SeasonalNaive(season=4).fit(X, np.zeros((1, 6, 1))).predict(X)[0, :, 0]
    # next values repeat the last season [6, 7, 8, 9]
    assert pred.tolist() == [6, 7, 8, 9, 6, 7]
    with pytest.raises(ValueError, match="look-back of at least 12"):
        B.SeasonalNaive(season=12).fit(X, np.zeros((1, 1)))


def test_mean_and_majority():
    X = np.zeros((4, 3, 1))
    assert B.MeanBaseline().fit(X, np.array([[1.0], [3.0], [np.nan], [2.0]])).predict(X).ravel().tolist() == [2.0] * 4
    maj = B.MajorityClass().fit(X, np.array([1, 1, 0, 1])).predict(X)
    assert maj.shape == (4, 1) and (maj >= 0.5).all()


@pytest.mark.parametrize("make", [B.ridge_on_lags, B.gbm_on_lags])
def test_lag_models_learn_a_linear_rule_and_keep_target_shape(make):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 4, 2))
    y = np.stack([X[:, -1, 0] + X[:, -2, 1], 2 * X[:, -1, 0]], axis=1)[:, :, None]  # (n, 2 horizons, 1 target)
    y[0, 0, 0] = np.nan  # missing targets are dropped from fitting, not filled
    model = make().fit(X, y)
    pred = model.predict(X)
    assert pred.shape == y.shape
    assert np.nanmean((pred - y) ** 2) < 0.2 * np.nanvar(y)


def test_logistic_on_lags_and_dict_inputs():
    rng = np.random.default_rng(1)
    X = {"sequence": rng.normal(size=(200, 3, 1)), "static": rng.normal(size=(200, 2))}
    y = (X["static"][:, 0] > 0).astype(int)
    p = B.logistic_on_lags().fit(X, y).predict(X)
    assert p.shape == (200, 1) and ((p[:, 0] > 0.5) == y).mean() > 0.9


def test_padded_steps_are_filled_with_the_first_real_step():
    from common.windows import PAD_VALUE

    X = np.array([[[PAD_VALUE, PAD_VALUE], [1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0], [9.0, 10.0]]])
    seq = B.sequence_of(X)
    assert seq[0].tolist() == [[1, 2], [1, 2], [3, 4]] and seq[1].tolist() == X[1].tolist()
