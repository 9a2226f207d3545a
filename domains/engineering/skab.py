"""SKAB (Skoltech Anomaly Benchmark) outlier detection under the upstream protocol.

Per file: the first 400 rows train (assumed fault-free), the rest test; a StandardScaler fitted on the 400
training rows; windows of 10 steps; a model's residual on each window is assigned to the window's last row;
threshold = 1.5 x the 99th percentile of the training residuals; a row is flagged when its residual exceeds
the threshold. F1, false-alarm rate (FAR = FP / (FP + TN)) and missed-alarm rate (MAR = FN / (FN + TP)) are
computed over the test parts of all files together, on the ``anomaly`` labels.

Our LSTM detectors' residual is the window's mean squared error. The autoencoder is also scored as upstream's
LSTM-AE notebook scores it: residual = sum over sensors of the mean absolute error over the window's steps, and a
row is flagged only when every window ending at it or in the next 8 rows is above the threshold, as in upstream's
``anomalous_data_indices`` loop (the last 8 test rows are never flagged; upstream's loop also leaves the 10 rows
before those unflagged, which we do not copy).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from common.domain import DataError, count_of, describe_missing, first_non_finite, user_folder
from common.metrics import f1, sensitivity, specificity
from common.splits import Standardizer
from common.windows import make_windows

FEATURES = ["Accelerometer1RMS", "Accelerometer2RMS", "Current", "Pressure", "Temperature", "Thermocouple",
            "Voltage", "Volume Flow RateRMS"]
N_TRAIN, WINDOW, FACTOR, QUANTILE = 400, 10, 1.5, 0.99
PUBLISHED = {"Conv-AE": (0.78, 13.55, 28.02), "MSET": (0.78, 39.73, 14.13), "T-squared+Q (PCA)": (0.76, 26.62, 24.92),
             "LSTM-AE": (0.74, 29.96, 25.92), "T-squared": (0.66, 19.21, 42.6), "LSTM-VAE": (0.56, 9.13, 55.03),
             "Vanilla LSTM": (0.54, 12.54, 59.53), "Vanilla AE": (0.39, 2.59, 75.15), "MSCRED": (0.36, 49.94, 69.88),
             "Isolation forest": (0.29, 2.56, 82.89)}
CITATION = "SKAB leaderboard, Katser & Kozitsin 2020 (github.com/waico/SKAB README)"


def read_skab(path: str | Path, labels: bool = True) -> pd.DataFrame:
    """One SKAB CSV (``;``-separated, CRLF or LF, ``datetime`` index); names the file on any problem. With
    ``labels`` the ``anomaly`` column must be there and hold only 0 and 1 (the anomaly-free file has none)."""
    path = Path(path)
    try:
        header = pd.read_csv(path, sep=";", nrows=0).columns
    except (ValueError, pd.errors.ParserError) as err:
        raise DataError(f"{path}: not a SKAB file ({err})") from None
    if "datetime" not in header:
        line = ";".join(header)
        shown = line if len(line) <= 70 else line[:70] + "..."
        comma = "," in line and ";" not in line
        raise DataError(f"{path}: not a SKAB file: no 'datetime' column in its header {shown!r}"
                        + ("; SKAB files are ';'-separated, and this header is ','-separated" if comma else ""))
    try:
        df = pd.read_csv(path, sep=";", index_col="datetime", parse_dates=True)
    except (ValueError, pd.errors.ParserError) as err:
        raise DataError(f"{path}: not a SKAB file ({err})") from None
    if not isinstance(df.index, pd.DatetimeIndex):
        stamps = pd.to_datetime(pd.Series(df.index), errors="coerce", format="mixed")
        row = int(stamps.isna().to_numpy().argmax())
        raise DataError(f"{path}: datetime {df.index[row]!r} at data row {row + 1} is not a date and time")
    step = np.diff(df.index.to_numpy())
    if (step <= np.timedelta64(0)).any():
        row = int((step <= np.timedelta64(0)).argmax()) + 1
        raise DataError(f"{path}: datetime at data row {row + 1} ({df.index[row]}) is not after data row {row} "
                        f"({df.index[row - 1]}); rows must be in time order, each time once")
    missing = [c for c in FEATURES if c not in df.columns]
    if missing:
        raise DataError(f"{path}: missing columns {missing}")
    values = df[FEATURES].apply(pd.to_numeric, errors="coerce")
    bad = first_non_finite(df[FEATURES], values)
    if bad:
        row, col, shown = bad
        raise DataError(f"{path}: column {col!r} at {df.index[row]}: {shown} is not a finite number")
    if values.isna().any().any():
        raise DataError(f"{path}: {describe_missing(values)}; SKAB files have none")
    df[list(FEATURES)] = values
    if labels:
        if "anomaly" not in df.columns:
            raise DataError(f"{path}: no 'anomaly' column (the 0/1 labels the test part is scored on)")
        label = pd.to_numeric(df["anomaly"], errors="coerce")
        bad = ~label.isin([0, 1]).to_numpy()
        if bad.any():
            row = int(bad.argmax())
            value = df["anomaly"].iloc[row]
            shown = repr(value) if isinstance(value, str) else "empty" if pd.isna(value) else f"{float(value):g}"
            raise DataError(f"{path}: 'anomaly' at {df.index[row]} (data row {row + 1}) is {shown}; labels must be "
                            "0 or 1")
        df["anomaly"] = label.astype(int)
    return df


def anomaly_files(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    files = sorted(p for p in folder.rglob("*.csv") if p.parent.name != "anomaly-free")
    if not files:
        raise DataError(f"{folder}: no SKAB files found")
    return files


def _forecaster_errors(units: int, epochs: int, seed: int):
    def fn(train, test):
        from common.builder import build_model
        from common.config import ModelSpec
        from common.training import set_seed

        X, y = make_windows(train, WINDOW, 1)
        set_seed(seed)
        model = build_model(ModelSpec(units=(units,), head="forecast", horizon=1, n_targets=train.shape[1]),
                            train.shape[1], WINDOW)
        model.fit(X, y, epochs=epochs, batch_size=32, verbose=0)
        full = np.vstack([train[-WINDOW:], test])
        Xt, yt = make_windows(full, WINDOW, 1)
        return model.predict(X, verbose=0) - y, model.predict(Xt, verbose=0) - yt  # errors; one window per test row
    return fn


def _autoencoder_errors(units: int, epochs: int, seed: int):
    def fn(train, test):
        import keras

        from common.training import set_seed

        X, _ = make_windows(train, WINDOW, 0)
        set_seed(seed)
        f = train.shape[1]
        model = keras.Sequential([keras.Input((WINDOW, f)), keras.layers.LSTM(units),
                                  keras.layers.RepeatVector(WINDOW), keras.layers.LSTM(units, return_sequences=True),
                                  keras.layers.Dense(f)])
        model.compile(optimizer="adam", loss="mse")
        model.fit(X, X, epochs=epochs, batch_size=32, verbose=0)
        full = np.vstack([train[-(WINDOW - 1):], test])
        Xt, _ = make_windows(full, WINDOW, 0)
        return model.predict(X, verbose=0) - X, model.predict(Xt, verbose=0) - Xt
    return fn


def _isolation_forest(seed: int):
    def fn(train, test):
        from sklearn.ensemble import IsolationForest

        X, _ = make_windows(train, WINDOW, 0)
        Xt, _ = make_windows(np.vstack([train[-(WINDOW - 1):], test]), WINDOW, 0)
        model = IsolationForest(random_state=seed).fit(X.reshape(len(X), -1))
        # its own rule: anomalous where the decision function is negative (the 1.5 x quantile rule is for
        # residuals, which start at 0; isolation scores do not)
        return (-model.decision_function(X.reshape(len(X), -1)), -model.decision_function(Xt.reshape(len(Xt), -1)),
                0.0)
    return fn


def _pca_t2_q(kind: str):
    """Hotelling's T^2 and the Q (squared prediction error) statistic of a PCA fitted on training windows
    (components explaining 95% of the variance); ``kind`` = "T2", "Q" or "T2+Q" (each scaled by its training
    99th percentile, then summed)."""
    def fn(train, test):
        from sklearn.decomposition import PCA

        X, _ = make_windows(train, WINDOW, 0)
        Xt, _ = make_windows(np.vstack([train[-(WINDOW - 1):], test]), WINDOW, 0)
        X, Xt = X.reshape(len(X), -1), Xt.reshape(len(Xt), -1)
        pca = PCA(n_components=0.95, svd_solver="full").fit(X)

        def stats(A):
            z = pca.transform(A)
            t2 = np.sum(z ** 2 / pca.explained_variance_, axis=1)
            q = np.sum((A - pca.inverse_transform(z)) ** 2, axis=1)
            return t2, q
        t2, q = stats(X)
        t2t, qt = stats(Xt)
        if kind == "T2":
            return t2, t2t
        if kind == "Q":
            return q, qt
        s1, s2 = np.quantile(t2, QUANTILE), np.quantile(q, QUANTILE)
        return t2 / s1 + q / s2, t2t / s1 + qt / s2
    return fn


def mean_squared(errors: np.ndarray) -> np.ndarray:
    """Per window: the mean of the squared errors over its steps and sensors (our LSTM detectors' residual)."""
    return np.mean(np.asarray(errors) ** 2, axis=(1, 2))


def summed_mean_abs(errors: np.ndarray) -> np.ndarray:
    """Per window: the sum over sensors of the mean absolute error over its steps (upstream's LSTM-AE residual)."""
    return np.sum(np.mean(np.abs(np.asarray(errors)), axis=1), axis=1)


def flag(residuals: np.ndarray, threshold: float, rule: str = "last") -> np.ndarray:
    """0/1 per test row. ``last``: the window ending at the row is above the threshold. ``all`` (upstream's LSTM-AE
    rule): the windows ending at the row and at each of the next WINDOW - 2 rows are all above it."""
    above = np.asarray(residuals) > threshold
    if rule == "last":
        return above.astype(int)
    out = np.zeros(len(above), int)
    if len(above) >= WINDOW - 1:
        out[:len(above) - WINDOW + 2] = np.lib.stride_tricks.sliding_window_view(above, WINDOW - 1).all(axis=1)
    return out


UPSTREAM_AE = " (upstream LSTM-AE scoring)"


def detectors(profile: str, seed: int = 0) -> dict:
    """name -> (detector, scorings): a detector maps (train rows, test rows) to training and test residuals (or
    errors per window, which a scoring's statistic turns into residuals); a scoring, keyed by the suffix of its row
    name, is (statistic or None, flag rule)."""
    epochs = {"smoke": 1, "quick": 15, "full": 40}[profile]
    ours = {"": (mean_squared, "last")}
    return {"LSTM autoencoder": (_autoencoder_errors(32, epochs, seed),
                                 {**ours, UPSTREAM_AE: (summed_mean_abs, "all")}),
            "LSTM forecaster": (_forecaster_errors(32, epochs, seed), ours),
            "Isolation forest": (_isolation_forest(seed), {"": (None, "last")}),
            "PCA T-squared+Q": (_pca_t2_q("T2+Q"), {"": (None, "last")})}


def evaluate(files: list[Path], detector, scorings: dict) -> dict:
    """Run one detector over every file; score the concatenated test parts once per scoring: {suffix: metrics}."""
    truth, flags = [], {key: [] for key in scorings}
    for path in files:
        df = read_skab(path)
        if len(df) <= N_TRAIN + WINDOW:
            raise DataError(f"{path}: {count_of(len(df), 'row')}, too short for {N_TRAIN} training rows plus a window")
        values = df[FEATURES].to_numpy(float)
        sc = Standardizer().fit(values[:N_TRAIN], names=FEATURES, label=str(path))  # this file's training part only
        train, test = sc.transform(values[:N_TRAIN]), sc.transform(values[N_TRAIN:])
        out_tr, out_te, *fixed = detector(train, test)
        for key, (statistic, rule) in scorings.items():
            res_tr, res_te = (statistic(out_tr), statistic(out_te)) if statistic else (out_tr, out_te)
            threshold = fixed[0] if fixed else FACTOR * np.quantile(res_tr, QUANTILE)
            flags[key].append(flag(res_te, threshold, rule))
        truth.append(df["anomaly"].to_numpy()[N_TRAIN:])
    y, results = np.concatenate(truth), {}
    for key, parts in flags.items():
        p = np.concatenate(parts)
        results[key] = {"f1": f1(y, p), "far_percent": 100 * (1 - specificity(y, p)),
                        "mar_percent": 100 * (1 - sensitivity(y, p)), "test_rows": int(len(y)), "files": len(files)}
    return results


def training_anomalies(files: list[Path], folder: Path) -> dict[str, int]:
    """Files (by their path under ``folder``) whose training rows, the first N_TRAIN, which the protocol takes as
    fault-free, carry anomaly labels; with the count."""
    counts = {p.relative_to(folder).as_posix(): int(read_skab(p)["anomaly"].iloc[:N_TRAIN].sum()) for p in files}
    return {name: n for name, n in counts.items() if n}


NO_TEST_ANOMALY = (f"the test rows (after the first {N_TRAIN} of each file) hold no anomaly: F1 is 0 for any alarm and "
                   "MAR is undefined (nan); only FAR says something")


def anomaly_free_test_notes(files: list[Path]) -> list[str]:
    """[NO_TEST_ANOMALY] when no file has an anomaly label in its test rows, else []."""
    return [] if any(read_skab(p)["anomaly"].iloc[N_TRAIN:].any() for p in files) else [NO_TEST_ANOMALY]


def _mean_row(model: str, runs: list[dict], source: str) -> dict:
    """A table row: F1, FAR and MAR averaged over the seeds' runs, and the F1's sd when there are several."""
    f1s = [r["f1"] for r in runs]
    return {"model": model, "source": source, "F1": round(float(np.mean(f1s)), 3),
            **({"F1 sd": round(float(np.std(f1s, ddof=1)), 3)} if len(runs) > 1 else {}),
            "FAR %": round(float(np.mean([r["far_percent"] for r in runs])), 2),
            "MAR %": round(float(np.mean([r["mar_percent"] for r in runs])), 2)}


def run(profile: str, out: Path, seed: int = 0, data_dir: str | None = None, seeds: int = 1):
    """The SKAB comparison: every detector on every anomalous file; writes skab.md / skab.csv. ``data_dir``: your
    own folder of files in the SKAB layout instead of the registered set (the published rows are then SKAB's,
    not your files', and the F1 check gives no verdict). ``seeds``: seeds ``seed`` .. ``seed + seeds - 1``; the
    table gives the mean over them (and the F1's sd), and the check reads the mean."""
    import time

    from common.claims import Claim
    from common.download import dataset_dir, sha256_of

    if data_dir is not None and not isinstance(data_dir, str):
        raise DataError(f"data.data_dir must be a folder path, not {data_dir!r}")
    folder = user_folder(data_dir, "data.data_dir", "the SKAB files") if data_dir else dataset_dir("skab")
    files = anomaly_files(folder)
    if profile == "smoke":
        files = files[:3]
    data = f"your files in {folder}" if data_dir else "SKAB v0.9, the registered set"
    runs, times = {}, {}
    for k in range(seed, seed + seeds):
        for name, (det, scorings) in detectors(profile, k).items():
            t0 = time.perf_counter()
            for key, r in evaluate(files, det, scorings).items():
                runs.setdefault(name + key, []).append(r)
            times[name] = round(times.get(name, 0) + time.perf_counter() - t0, 1)
    source = f"this run, {count_of(len(files), 'file')}"
    source += f", mean of seeds {seed}-{seed + seeds - 1}" if seeds > 1 else ""
    rows = [_mean_row(model, rs, source) for model, rs in runs.items()]
    best_lstm = max(np.mean([r["f1"] for r in rs]) for model, rs in runs.items() if model.startswith("LSTM"))
    calm = anomaly_free_test_notes(files)
    notes = [f"{name}: {n} of its {N_TRAIN} training rows are labelled anomalous (the protocol trains on them as "
             "fault-free)" for name, n in training_anomalies(files, folder).items()] + calm
    cited = f"published on SKAB, not on your files: {CITATION}" if data_dir else f"published: {CITATION}"
    for name, (f, far, mar) in PUBLISHED.items():
        rows.append({"model": name, "source": cited, "F1": f, **({"F1 sd": ""} if seeds > 1 else {}), "FAR %": far,
                     "MAR %": mar})
    table, protocol = pd.DataFrame(rows), " ".join(__doc__.split("\n\n")[1:3]).replace("\n", " ")
    (out / "skab.md").write_text("# SKAB outlier detection (test parts, all anomalous files)\n\n"
                                 + f"Data: {data}, {count_of(len(files), 'file')}.\n\nProtocol: {protocol.strip()}\n\n"
                                 + "".join(f"- {n}\n" for n in notes) + ("\n" if notes else "")
                                 + table.to_markdown(index=False) + "\n", encoding="utf-8")
    table.to_csv(out / "skab.csv", index=False)
    return Claim("skab", "An LSTM detector reaches F1 >= 0.78 on SKAB (the Conv-AE level of the leaderboard).",
                 {"data": data, "notes": notes, "rows": rows, "seconds": times, "protocol": protocol,
                  "files": {p.relative_to(folder).as_posix(): sha256_of(p) for p in files}},
                 None if data_dir else bool(best_lstm >= 0.78),
                 ("" if not data_dir else f"your files ({folder}), no verdict: ")
                 + "".join(f"{n}; " for n in calm)
                 + "; ".join(f"{r['model']} F1 {r['F1']} FAR {r['FAR %']}% MAR {r['MAR %']}%" for r in rows
                             if r["source"].startswith("this run")),
                 [str(out / "skab.md")])
