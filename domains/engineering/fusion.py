"""Sensor fusion with unreliable sensors (the source text's output-gate example): data, baselines, gate plot.

The generator and the fusion baselines are shared with the mechanisms package (``domains.mechanisms.tasks``),
so both packages measure the same thing."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from common.domain import Prepared
from common.evaluation import audit
from common.splits import Standardizer
from domains.mechanisms.tasks import FlagKalman, ReliabilityWeighted, SensorAverage, sensor_fusion


def prepare_fusion(n: int, T: int, seed: int) -> Prepared:
    tr, va, te = (sensor_fusion(m, T, seed=seed + k) for k, m in enumerate((n, max(64, n // 4), max(64, n // 4))))
    rows = tr.x[..., :2].reshape(-1, 2)
    sc = Standardizer().fit(rows)

    def scaled(d):  # sensors standardised with training statistics; flags stay 0/1
        x = d.x.copy()
        x[..., :2] = sc.transform(x[..., :2])
        return x.astype("float32")

    return Prepared(
        X_train=scaled(tr), y_train=tr.y, X_val=scaled(va), y_val=va.y, X_test=scaled(te), y_test=te.y,
        metrics=("rmse", "mae"),
        data_label="generated (simulated) two-sensor fusion with switching reliability, not real data",
        model_overrides={"head": "sequence", "n_targets": 1}, scalers={"inputs": sc.to_dict()},
        scaler_fit_rows={"inputs": rows},
        split={"kind": "generated", "note": "independent draws per split"},
        audit=audit(train_samples=tr.x, test_samples=te.x, val_samples=va.x),
        extra={"task": "fusion", "reliable": te.reliable, "raw_test": te.x, "scale": sc.to_dict()})


class _OnRawSensors:
    """Run a fusion baseline on the sensors in their original units (the baselines need no scaling)."""

    def __init__(self, model, scale: dict):
        self.model, self.scale = model, Standardizer.from_dict(scale)

    def _raw(self, X):
        x = np.array(X, dtype=float)
        x[..., :2] = self.scale.inverse_transform(x[..., :2])
        return x

    def fit(self, X, y, **_):
        self.model.fit(self._raw(X), y)
        return self

    def predict(self, X):
        return self.model.predict(self._raw(X))


def fusion_baselines(prep: Prepared) -> dict:
    scale = prep.extra["scale"]
    return {"average of sensors": _OnRawSensors(SensorAverage(), scale),
            "reliability-weighted average": _OnRawSensors(ReliabilityWeighted(), scale),
            "Kalman filter with flags": _OnRawSensors(FlagKalman(), scale)}


def fusion_plots(prep: Prepared, est, predictions: dict, run_dir: Path) -> list[Path]:
    """Output-gate activity against the reliability flags (correlation in ``output_gate.json``)."""
    from common.gate_plots import plot_mean_gates
    from common.gates import trace_model
    from common.training import write_json

    tr = trace_model(est.model, prep.X_test)
    trace = next(iter(tr.values()))
    rel = prep.extra["reliable"].mean(axis=-1)
    mean_o = trace.gates["o"].mean(axis=-1)
    corr = float(np.corrcoef(mean_o.ravel(), rel.ravel())[0, 1])
    write_json(run_dir / "output_gate.json", {"corr_mean_output_gate_vs_reliable_fraction": corr})
    sample = int(np.argmax((~prep.extra["reliable"]).all(-1).sum(1)))
    fig = plot_mean_gates(trace, prep.extra["reliable"].sum(-1), run_dir / "output_gate_vs_reliability.png",
                          sample=sample, input_label="reliable sensors",
                          title=f"Output gate vs sensor reliability (corr over the test set {corr:.2f})")
    return [fig]
