"""Windows cut on demand from one array of daily rows (``common.lazy_windows.WindowView``): the same values as the
window arrays they stand for, read a chunk or a batch at a time, so a regional model over many basins trains without
building every window (CAMELS' 531 basins: about 34 GB of float32 windows of 365 days)."""
import numpy as np
import pytest

from common.domain import DataError
from common.lazy_windows import WindowView


def make_view(n_rows=50, features=3, length=7, n=20, seed=0):
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(n_rows, features)).astype(np.float32)
    starts = rng.integers(0, n_rows - length + 1, size=n)
    return WindowView(rows, starts, length), np.stack([rows[s:s + length] for s in starts])


def test_a_window_view_indexes_like_the_arrays_it_stands_for():
    view, expected = make_view()
    assert view.shape == expected.shape and len(view) == 20 and view.dtype == np.float32 and view.ndim == 3
    np.testing.assert_array_equal(np.asarray(view), expected)
    np.testing.assert_array_equal(np.asarray(view, dtype="float64"), expected.astype("float64"))
    np.testing.assert_array_equal(view[3], expected[3])
    np.testing.assert_array_equal(view[-1], expected[-1])
    np.testing.assert_array_equal(view[2:9:3], expected[2:9:3])
    np.testing.assert_array_equal(view[:4], expected[:4])
    np.testing.assert_array_equal(view[[4, 0, 4]], expected[[4, 0, 4]])
    mask = np.arange(20) % 3 == 0
    np.testing.assert_array_equal(view[mask], expected[mask])
    np.testing.assert_array_equal(view[:, -2:, 1], expected[:, -2:, 1])
    np.testing.assert_array_equal(np.concatenate(list(view.chunks(6))), expected)
    assert view.full_nbytes == expected.nbytes and view.nbytes == view.rows.nbytes + view.starts.nbytes
    covered = view.covered_rows()  # every daily row some window takes, once
    assert len(covered) == len(np.unique(np.concatenate([np.arange(s, s + 7) for s in view.starts])))
    np.testing.assert_array_equal(covered.min(axis=0), expected.reshape(-1, 3).min(axis=0))
    np.testing.assert_array_equal(covered.max(axis=0), expected.reshape(-1, 3).max(axis=0))


def test_a_window_view_refuses_windows_outside_its_rows_and_arrays_too_large_to_build(monkeypatch):
    from common import windows

    rows = np.zeros((10, 2), np.float32)
    with pytest.raises(ValueError, match="window starts must lie in 0..6"):
        WindowView(rows, np.array([0, 7]), 4)
    with pytest.raises(ValueError, match="length"):
        WindowView(rows, np.array([0]), 0)
    view, _ = make_view()
    monkeypatch.setattr(windows, "physical_memory", lambda: 1000)
    monkeypatch.setattr(windows, "cgroup_memory_limit", lambda: None)
    with pytest.raises(DataError, match=r"the windows \(20 samples x 7 steps x 3 inputs, float32\) take"):
        np.asarray(view)
    assert view[:2].shape == (2, 7, 3)  # a chunk is still fine


def test_batches_cover_every_window_once_per_pass_reshuffled_each_pass():
    pytest.importorskip("keras")
    from common.window_batches import WindowBatches

    view, expected = make_view(n=23)
    y = np.arange(23, dtype=np.float32)[:, None]
    w = np.linspace(1, 2, 23)
    static = np.arange(46, dtype=np.float32).reshape(23, 2)
    batches = WindowBatches({"sequence": view, "static": static}, y, w, batch_size=5, seed=3, shuffle=True)
    assert batches.per_pass == 5 and batches.num_batches is None  # endless: fit takes steps_per_epoch of them
    first = [batches.indices(i) for i in range(5)]
    second = np.concatenate([batches.indices(i) for i in range(5, 10)])
    assert [len(i) for i in first] == [5, 5, 5, 5, 3]
    assert sorted(np.concatenate(first)) == list(range(23)) and sorted(second) == list(range(23))
    assert not np.array_equal(np.concatenate(first), second)
    again = WindowBatches({"sequence": view, "static": static}, y, w, batch_size=5, seed=3, shuffle=True)
    np.testing.assert_array_equal(again.indices(7), batches.indices(7))  # seeded
    x, yb, wb = batches[6]
    idx = batches.indices(6)
    np.testing.assert_array_equal(x["sequence"], expected[idx])
    np.testing.assert_array_equal(x["static"], static[idx])
    np.testing.assert_array_equal(yb, y[idx])
    np.testing.assert_allclose(wb, w[idx])
    ordered = WindowBatches(view, None, None, batch_size=10)  # predict / validation: in order, one pass
    assert ordered.num_batches == 3 and ordered[2][0].shape == (3, 7, 3)
    np.testing.assert_array_equal(ordered[1][0], expected[10:20])


@pytest.mark.parametrize("epoch_split", [1, 2])
def test_the_estimator_trains_on_a_window_view_and_predicts_as_on_the_arrays(epoch_split):
    pytest.importorskip("keras")
    from common.config import ModelSpec, TrainSpec
    from common.training import LSTMEstimator

    rng = np.random.default_rng(0)
    rows = rng.normal(size=(300, 2)).astype(np.float32)
    starts = np.arange(0, 280)
    view = WindowView(rows, starts, 20)
    y = rows[starts + 19, :1] + 0.5 * rows[starts + 10, 1:]
    static = rng.normal(size=(280, 3)).astype(np.float32)
    X = {"sequence": view, "static": static}
    arrays = {"sequence": np.asarray(view), "static": static}
    est = LSTMEstimator(ModelSpec(units=(4,), head="regression", static_join="head"),
                        TrainSpec(epochs=2, batch_size=32, patience=5, epoch_split=epoch_split), seed=0)
    est.fit(X, y, X_val={"sequence": WindowView(rows, starts[:50], 20), "static": static[:50]}, y_val=y[:50])
    assert len(est.history["loss"]) == 2 and np.isfinite(est.history["val_loss"]).all()
    np.testing.assert_allclose(est.predict(X), est.predict(arrays), rtol=1e-5, atol=1e-6)


def test_forcing_features_of_a_window_view_equal_those_of_the_arrays():
    from domains.environmental.baselines import forcing_features

    view, expected = make_view(n_rows=400, length=40, n=50)
    static = np.arange(100.0).reshape(50, 2)
    inputs = ("prcp", "tmax", "tmin")
    got = forcing_features({"sequence": view, "static": static}, inputs, lags=7, chunk=16)
    np.testing.assert_allclose(got, forcing_features({"sequence": expected, "static": static}, inputs, lags=7))


def test_the_extrapolation_note_reads_the_training_range_of_a_window_view():
    from common.predict import extrapolation_note

    view, expected = make_view()
    new = expected[:3].copy()
    new[0, 0, 1] = 100.0
    note = extrapolation_note(view, new, names=("a", "b", "c"))
    assert note is not None and note == extrapolation_note(expected, new, names=("a", "b", "c"))


def test_the_extrapolation_note_reads_new_windows_cut_on_demand_a_chunk_at_a_time(monkeypatch):
    from common import windows
    from common.predict import extrapolation_note

    view, expected = make_view(n=30)
    rows = view.rows.copy()
    rows[3, 2] = 50.0  # beyond the range: every window that takes row 3
    new_view = WindowView(rows, np.arange(0, 40), 7)
    new = np.asarray(new_view)
    want = extrapolation_note(expected, new, names=("a", "b", "c"))
    assert want is not None and "in 4 of 40 samples" in want
    monkeypatch.setattr(windows, "physical_memory", lambda: 1000)  # the new windows are never built at once
    monkeypatch.setattr(windows, "cgroup_memory_limit", lambda: None)
    assert extrapolation_note(view, new_view, names=("a", "b", "c")) == want
