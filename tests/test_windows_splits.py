import numpy as np
import pytest

from common.splits import (Standardizer, chronological_split, constant_columns, date_split, group_split,
                           stratified_folds)
from common.windows import PAD_VALUE, make_windows, window_ends, windows_by_group


def slow_windows(x, lookback, horizon, start, stop):
    X, Y = [], []
    for t in range(len(x) + 1):
        if t - lookback < 0:
            continue
        rows = [t - 1] if horizon == 0 else list(range(t, t + horizon))
        if rows[-1] >= min(stop, len(x)) or rows[0] < start:
            continue
        X.append(x[t - lookback:t])
        Y.append(x[rows[0]] if horizon == 0 else x[rows])
    return np.array(X), np.array(Y)


@pytest.mark.parametrize("trial", range(25))
def test_make_windows_matches_slow_reference(trial):
    rng = np.random.default_rng(trial)
    n, f = rng.integers(5, 60), rng.integers(1, 4)
    x = rng.normal(size=(n, f))
    lookback, horizon = int(rng.integers(1, 8)), int(rng.integers(0, 5))
    start = int(rng.integers(0, n // 2))
    stop = int(rng.integers(start, n + 1))
    X, Y = make_windows(x, lookback, horizon, start=start, stop=stop)
    Xr, Yr = slow_windows(x, lookback, horizon, start, stop)
    assert X.shape[0] == Xr.shape[0]
    if len(Xr):
        np.testing.assert_array_equal(X, Xr)
        np.testing.assert_array_equal(Y, Yr)


def test_test_window_count_follows_the_long_horizon_protocol():
    n, lookback, horizon = 966, 36, 24  # ILI-sized series
    s = chronological_split(n, 0.7, 0.2, lookback)
    assert (s.n_train, s.n_test, s.n_val) == (int(0.7 * n), int(0.2 * n), n - int(0.7 * n) - int(0.2 * n))
    a, b = s.test
    assert (a, b) == (n - s.n_test - lookback, n)
    X, _ = make_windows(np.zeros((n, 1))[a:b], lookback, horizon, start=lookback)
    assert len(X) == s.n_test - horizon + 1


def test_split_targets_never_overlap_and_bad_sizes_fail():
    s = chronological_split(100, lookback=10)
    tr, va, te = (s.targets(k) for k in ("train", "val", "test"))
    assert tr[1] == va[0] and va[1] == te[0] and te[1] == 100
    with pytest.raises(ValueError, match="too short"):
        chronological_split(3)
    with pytest.raises(ValueError, match="look-back"):
        chronological_split(20, lookback=50)


def test_date_split_refuses_overlapping_periods():
    import pandas as pd

    dates = pd.date_range("2000-01-01", periods=10)
    m = date_split(dates, {"train": ("2000-01-01", "2000-01-05"), "test": ("2000-01-06", "2000-01-10")})
    assert m["train"].sum() == 5 and not (m["train"] & m["test"]).any()
    with pytest.raises(ValueError, match="overlap"):
        date_split(dates, {"train": ("2000-01-01", "2000-01-06"), "test": ("2000-01-06", "2000-01-10")})


def test_group_windows_never_cross_entities_and_keep_short_ones():
    rng = np.random.default_rng(0)
    lengths = [12, 3, 7, 1]
    groups = np.repeat(np.arange(4), lengths)
    x = rng.normal(size=(len(groups), 2))
    gw = windows_by_group(x, groups.astype(float), groups, lookback=5)
    assert set(gw.groups) == {0, 1, 2, 3}, "short entities are kept, not dropped"
    real = gw.X[..., 0] != PAD_VALUE
    for i in range(len(gw.X)):
        # every non-padded step of a window belongs to the window's entity
        rows = np.flatnonzero(groups == gw.groups[i])[: gw.ends[i]][-5:]
        np.testing.assert_array_equal(gw.X[i][real[i]], x[rows])
        assert gw.padded[i] == 5 - len(rows) == (~real[i]).sum()
    last = windows_by_group(x, groups.astype(float), groups, lookback=5, last_only=True)
    assert list(last.groups) == [0, 1, 2, 3] and list(last.ends) == lengths
    with pytest.raises(ValueError, match="shorter than the window"):
        windows_by_group(x, x, groups, lookback=5, pad_short=False)
    with pytest.raises(ValueError, match="contiguous"):
        windows_by_group(x[:4], x[:4], np.array([0, 1, 0, 1]), lookback=2)


def test_window_ends_empty_when_series_too_short():
    assert len(window_ends(5, lookback=10, horizon=1)) == 0


def test_group_split_is_disjoint_by_entity():
    groups = np.repeat(np.arange(10), 5)
    tr, va = group_split(groups, 0.2, seed=1)
    assert set(groups[tr]).isdisjoint(groups[va]) and len(set(groups[va])) == 2 and (tr | va).all()


def test_stratified_folds_keep_class_balance():
    y = np.r_[np.zeros(50), np.ones(50)]
    for tr, va in stratified_folds(y, k=5):
        assert len(va) == 20 and y[va].mean() == 0.5 and set(tr).isdisjoint(va)


def test_standardizer_uses_only_the_rows_it_is_given():
    rng = np.random.default_rng(0)
    train, test = rng.normal(size=(50, 3)), rng.normal(100, 5, size=(20, 3))
    a = Standardizer().fit(train)
    b = Standardizer().fit(train)
    b.transform(np.vstack([train, test * 10]))  # applying never refits
    np.testing.assert_array_equal(a.mean, b.mean)
    z = a.transform(train)
    np.testing.assert_allclose(z.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(a.inverse_transform(z), train)
    const = Standardizer().fit(np.c_[np.ones(5), np.arange(5.0)])
    assert np.isfinite(const.transform(np.ones((1, 2)))).all()
    assert Standardizer.from_dict(a.to_dict()).transform(train) == pytest.approx(z)


def test_a_constant_column_whose_std_is_rounding_noise_gets_scale_1():
    """Before: 1000 rows of 14.62 (sensor s5 of C-MAPSS FD001) had a float std of 3.6e-15, not 0, so they were
    divided by it, and a test value of 14.63 became 2.8e12 instead of 0.01."""
    rows = np.c_[np.full(1000, 14.62), np.full(1000, 1.3), np.full(1000, 0.03), np.full(1000, 518.67),
                 np.arange(1000.0) * 1e-9]
    sc = Standardizer().fit(rows)
    np.testing.assert_array_equal(sc.scale[:4], 1.0)
    assert sc.scale[4] == pytest.approx(np.std(np.arange(1000.0) * 1e-9))  # a small but real spread is kept
    np.testing.assert_allclose(sc.transform(np.array([[14.63, 1.3, 0.03, 518.67, 0.0]]))[0, :4], [0.01, 0, 0, 0],
                               atol=1e-9)
    np.testing.assert_array_equal(constant_columns(rows), [True, True, True, True, False])


def test_standardizer_refuses_a_feature_whose_variance_overflows():
    rows = np.c_[np.arange(5.0), [1.0, 2.0, 1e300, 3.0, 4.0]]
    with pytest.raises(ValueError, match=r"column 'b' .*1e\+300"):
        Standardizer().fit(rows, names=["a", "b"])
    with pytest.raises(ValueError, match=r"feature 1 "):
        Standardizer().fit(rows)


def test_the_audit_counts_shared_entities_in_agreement():
    """Before: a single basin said "1 entities in both training and test"."""
    from common.evaluation import audit

    one = audit(train_groups=np.array(["a", "a"]), test_groups=np.array(["a"]), expect_shared_groups=True)
    assert one.notes == ["1 entity in both training and test (a time split within entities)"]
    two = audit(train_groups=np.array(["a", "b"]), test_groups=np.array(["a", "b"]), expect_shared_groups=False)
    assert two.findings == ["2 entities appear in both training and test"]
    one = audit(train_groups=np.array(["a"]), test_groups=np.array(["a"]), expect_shared_groups=False)
    assert one.findings == ["1 entity appears in both training and test"]
    rows = np.arange(6.0).reshape(3, 2)
    one = audit(train_samples=rows, test_samples=rows[:1], val_samples=rows[1:2], train_times=np.array([1, 2]),
                test_times=np.array([2]))
    assert one.findings == ["1 test sample also appears in training", "1 validation sample also appears in training",
                            "1 test target time also occurs in training"]


def test_inputs_far_outside_the_training_range_are_counted_padding_ignored():
    """predict applied a model trained on generated engines to NASA's FD002 file without a word (RUL -51 cycles):
    new inputs far outside what the model saw must be said."""
    from common.predict import extrapolation_note
    from common.windows import PAD_VALUE

    rng = np.random.default_rng(0)
    train = rng.uniform(0, 1, size=(50, 6, 2))  # features range over [0, 1]
    train[0, :2] = PAD_VALUE  # padded steps never widen the range
    same = rng.uniform(0, 1, size=(4, 6, 2))
    assert extrapolation_note(train, same) is None
    near = same.copy()
    near[0, 0, 0] = 1.05  # within a tenth of the range beyond it: ordinary new data
    assert extrapolation_note(train, near) is None
    far = same.copy()
    far[1, :, 1] = 3.0  # 6 values of sample 2, feature 2
    far[2, 0, 0] = -0.5
    far[3, :3] = PAD_VALUE  # a padded new sample is not counted
    note = extrapolation_note(train, far)
    assert note.startswith("7 of 42 input values (16.7%), in 2 of 4 samples and 2 of 2 features, lie beyond the "
                           "range of the training inputs"), note
    assert extrapolation_note({"sequence": train, "static": np.zeros((50, 1))},
                              {"sequence": far, "static": np.zeros((4, 1))}).startswith("7 of 46 input values")


def test_the_extrapolation_note_names_the_features_most_beyond_the_training_range():
    """Before: the note gave counts only ("2 of 14 features"), so the user could not tell which inputs to check."""
    from common.predict import extrapolation_note

    rng = np.random.default_rng(0)
    train = rng.uniform(0, 1, size=(50, 6, 3))
    far = rng.uniform(0, 1, size=(4, 6, 3))
    far[:, :, 2] = 5.0  # every value of the third feature
    far[0, 0, 0] = -1.0  # one value of the first
    note = extrapolation_note(train, far, names=("temp", "flow", "pressure"))
    assert "most often beyond: pressure (100.0% of its values), temp (4.2%)" in note, note
    assert "flow" not in note
    names = {"sequence": ("temp", "flow", "pressure"), "static": ("area",)}
    note = extrapolation_note({"sequence": train, "static": np.zeros((50, 1))},
                              {"sequence": far, "static": np.full((4, 1), 9.0)}, names=names)
    assert "pressure (100.0% of its values), area (100.0%), temp (4.2%)" in note, note


def test_windows_that_cannot_fit_in_memory_are_refused_before_they_are_built(monkeypatch):
    """The windows are built in memory (float32): a set larger than the machine's memory would die in numpy with a
    MemoryError, or swap for hours. It is refused first, with the figures and what to change."""
    from common import windows
    from common.domain import DataError

    monkeypatch.setattr(windows, "physical_memory", lambda: 16e9)
    monkeypatch.setattr(windows, "cgroup_memory_limit", lambda: None)
    windows.check_window_memory(1000, 365, 5, "CAMELS", remedy="use fewer basins")  # 7 MB: fine
    with pytest.raises(DataError, match=r"CAMELS: the windows \(4,600,000 samples x 365 steps x 5 inputs, float32\) "
                                        r"take 33.6 GB; this machine has 16.0 GB of memory: use fewer basins"):
        windows.check_window_memory(4_600_000, 365, 5, "CAMELS", remedy="use fewer basins")
    monkeypatch.setattr(windows, "physical_memory", lambda: None)  # unknown (no sysconf): no check
    windows.check_window_memory(4_600_000, 365, 5, "CAMELS", remedy="")


def test_a_container_memory_limit_below_the_machine_memory_is_the_limit(monkeypatch, tmp_path):
    """In a container (docker --memory, a Kubernetes pod, a batch job's cgroup) the process is killed by the kernel
    at its control group's limit, long before the machine's memory is used: the check takes the smaller one and
    names the file the limit comes from."""
    from common import windows
    from common.domain import DataError

    # cgroup v2: the process's own group (from /proc/self/cgroup), its parents up to the root; "max" is no limit
    (tmp_path / "v2" / "job" / "step").mkdir(parents=True)
    (tmp_path / "v2" / "memory.max").write_text("max\n")
    (tmp_path / "v2" / "job" / "memory.max").write_text(f"{8 * 2**30}\n")
    (tmp_path / "v2" / "job" / "step" / "memory.max").write_text("max\n")
    (tmp_path / "self_v2").write_text("0::/job/step\n")
    limit = windows.cgroup_memory_limit(tmp_path / "v2", tmp_path / "self_v2")
    assert limit == (8 * 2**30, str(tmp_path / "v2" / "job" / "memory.max"))
    # cgroup v1: the memory controller's line; an unlimited group holds a huge number
    (tmp_path / "v1" / "memory" / "docker" / "abc").mkdir(parents=True)
    (tmp_path / "v1" / "memory" / "memory.limit_in_bytes").write_text("9223372036854771712\n")
    (tmp_path / "v1" / "memory" / "docker" / "abc" / "memory.limit_in_bytes").write_text(f"{2**30}\n")
    (tmp_path / "self_v1").write_text("5:cpu:/docker/abc\n4:memory:/docker/abc\n0::/\n")
    limit = windows.cgroup_memory_limit(tmp_path / "v1", tmp_path / "self_v1")
    assert limit == (2**30, str(tmp_path / "v1" / "memory" / "docker" / "abc" / "memory.limit_in_bytes"))
    # inside a container the group's own path is often not mounted: its files are at the mount's root
    (tmp_path / "self_ns").write_text("0::/kubepods/pod1/c1\n")
    (tmp_path / "ns").mkdir()
    (tmp_path / "ns" / "memory.max").write_text("4294967296\n")
    assert windows.cgroup_memory_limit(tmp_path / "ns", tmp_path / "self_ns") == (2**32, str(tmp_path / "ns" /
                                                                                             "memory.max"))
    # no limit anywhere, no cgroup file, or an unreadable value: None (the machine's memory is the limit)
    (tmp_path / "v2" / "job" / "memory.max").write_text("max\n")
    assert windows.cgroup_memory_limit(tmp_path / "v2", tmp_path / "self_v2") is None
    assert windows.cgroup_memory_limit(tmp_path / "missing", tmp_path / "self_v2") is None
    assert windows.cgroup_memory_limit(tmp_path / "v2", tmp_path / "no_such_file") is None
    (tmp_path / "v2" / "job" / "memory.max").write_text("lots\n")
    assert windows.cgroup_memory_limit(tmp_path / "v2", tmp_path / "self_v2") is None

    monkeypatch.setattr(windows, "physical_memory", lambda: 64e9)
    monkeypatch.setattr(windows, "cgroup_memory_limit", lambda: (8e9, "/sys/fs/cgroup/memory.max"))
    windows.check_window_memory(1000, 365, 5, "CAMELS")  # 7 MB: fine
    with pytest.raises(DataError, match=r"take 9.1 GB; this process may use 8.0 GB \(the memory limit of its control "
                                        r"group, /sys/fs/cgroup/memory.max; the machine has 64.0 GB\): use fewer"):
        windows.check_window_memory(1_250_000, 365, 5, "CAMELS", remedy="use fewer basins")
    monkeypatch.setattr(windows, "cgroup_memory_limit", lambda: (128e9, "/sys/fs/cgroup/memory.max"))
    with pytest.raises(DataError, match=r"take 100.0 GB; this machine has 64.0 GB of memory"):  # the smaller one
        windows.check_window_memory(250_000, 100, 1000, "CAMELS")
    monkeypatch.setattr(windows, "physical_memory", lambda: None)  # no sysconf, but a cgroup limit: still checked
    monkeypatch.setattr(windows, "cgroup_memory_limit", lambda: (8e9, "/sys/fs/cgroup/memory.max"))
    with pytest.raises(DataError, match=r"this process may use 8.0 GB \(the memory limit of its control group, "
                                        r"/sys/fs/cgroup/memory.max\)"):
        windows.check_window_memory(1_250_000, 365, 5, "CAMELS")


def test_make_windows_and_windows_by_group_check_the_memory_of_what_they_build(monkeypatch):
    from common import windows
    from common.domain import DataError

    monkeypatch.setattr(windows, "physical_memory", lambda: 1000)
    with pytest.raises(DataError, match=r"the windows \(91 samples x 10 steps x 2 inputs, float64\) take"):
        make_windows(np.zeros((100, 2)), lookback=10, horizon=0)
    with pytest.raises(DataError, match=r"the windows \(82 samples x 10 steps x 2 inputs, float64\) take"):
        windows_by_group(np.zeros((100, 2)), np.zeros(100), np.repeat([1, 2], 50), lookback=10)


def test_on_windows_the_machine_memory_comes_from_global_memory_status(monkeypatch):
    """Windows has no os.sysconf: physical_memory() gave None there, so windows far larger than the machine's memory
    were built until numpy failed or the system paged for hours. It now asks the Windows API (GlobalMemoryStatusEx,
    by ctypes); a fake kernel32 stands in for it here, and elsewhere (no windll, or the call fails) it is None."""
    import ctypes
    import os

    from common import windows

    class Kernel32:
        def __init__(self, ok=True):
            self.ok = ok

        def GlobalMemoryStatusEx(self, ref):  # noqa: N802 (the API's name)
            status = ref._obj
            assert status.dwLength == ctypes.sizeof(status) == 64  # the API refuses a structure of another size
            status.ullTotalPhys = 32 * 2**30
            return int(self.ok)

    assert windows.windows_memory(Kernel32()) == 32 * 2**30
    assert windows.windows_memory(Kernel32(ok=False)) is None
    monkeypatch.delattr(os, "sysconf")
    monkeypatch.setattr(windows, "windows_memory", lambda: 32 * 2**30)
    assert windows.physical_memory() == 32 * 2**30
    if not hasattr(ctypes, "windll"):
        monkeypatch.undo()
        assert windows.windows_memory() is None
