"""Experiments on the gates themselves, read from gate traces of trained models:
3 trigger word (the "information ballet"), 4 leaky integrator bound, 7 output gate and sensor reliability."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from common.config import ModelSpec
from common.gate_plots import plot_gate_heatmaps, plot_mean_gates
from common.gates import trace_model, trace_recurrent_layer

from .runner import LEARNED, Claim, binary_accuracy, fit, learning_rate, pick
from .tasks import FlagKalman, ReliabilityWeighted, SensorAverage, long_range, sensor_fusion, trigger_task


def _ratio(a, b):
    return float(a / b) if b > 0 else float("inf")


def run_trigger(profile: str, out: Path, seed: int = 0) -> Claim:
    n, T, epochs, units = pick(profile, (512, 20, 2, 4), (2048, 30, 12, 8), (8192, 60, 30, 16))
    lr = learning_rate(profile)
    train = trigger_task(n, T, seed=seed)
    test = trigger_task(1000, T, seed=seed + 999)
    model = fit(ModelSpec(units=(units,), head="binary", learning_rate=lr), train.x, train.y, epochs=epochs, seed=seed,
                batch_size=32)
    acc = binary_accuracy(model, test.x, test.y)
    tr = trace_model(model, test.x)["lstm_0"]
    g = tr.gates
    pos = np.flatnonzero(test.trigger_pos >= 0)
    p = test.trigger_pos[pos]
    # the unit that carries the answer: its final cell state separates the classes best
    c_end = g["c"][:, -1]
    corr = np.nan_to_num([abs(np.corrcoef(c_end[:, u], test.y[:, 0])[0, 1]) for u in range(units)])
    key = int(np.argmax(corr))
    steps = np.arange(T)
    at_trig = steps[None, :] == p[:, None]
    after = (steps[None, :] > p[:, None]) & (steps[None, :] < T)
    last = np.broadcast_to(steps[None, :] == T - 1, at_trig.shape)

    def stats(gate_vals):  # gate_vals: (len(pos), T)
        return gate_vals[at_trig].mean(), gate_vals[~at_trig].mean()

    out_m = {}
    for label, sel in (("key_unit", key), ("mean_of_units", None)):
        i = g["i"][pos][..., key] if sel is not None else g["i"][pos].mean(-1)
        f = g["f"][pos][..., key] if sel is not None else g["f"][pos].mean(-1)
        o = g["o"][pos][..., key] if sel is not None else g["o"][pos].mean(-1)
        i_at, i_else = stats(i)
        out_m[label] = {"input_gate_at_trigger": float(i_at), "input_gate_elsewhere": float(i_else),
                        "input_ratio": _ratio(i_at, i_else), "forget_gate_after_trigger": float(f[after].mean()),
                        "output_gate_last_step": float(o[last].mean()), "output_gate_other_steps": float(o[~last].mean()),
                        "output_ratio": _ratio(o[last].mean(), o[~last].mean())}
    k = out_m["key_unit"]
    checks = {"input gate opens at the trigger": k["input_ratio"] > 1.5,
              "forget gate stays near 1 across the gap": k["forget_gate_after_trigger"] > 0.9,
              "output gate opens at the end": k["output_ratio"] > 1.0}
    sample = int(pos[0])
    figs = [plot_mean_gates(tr, test.x[:, :, 0], out / "trigger_mean_gates.png", sample=sample,
                            marks={"trigger": int(test.trigger_pos[sample])}, input_label="trigger token",
                            title=f"Trigger task: gates averaged over units (test accuracy {acc:.2f})"),
            plot_gate_heatmaps(tr, out / "trigger_heatmaps.png", sample=sample,
                               title=f"Trigger at step {test.trigger_pos[sample]}: gate activity per unit")]
    summary = (f"accuracy {acc:.3f}; key unit {key}: input gate {k['input_gate_at_trigger']:.2f} at the trigger vs "
               f"{k['input_gate_elsewhere']:.2f} elsewhere (x{k['input_ratio']:.1f}), forget gate "
               f"{k['forget_gate_after_trigger']:.3f} after it, output gate {k['output_gate_last_step']:.2f} at the "
               f"end vs {k['output_gate_other_steps']:.2f} (x{k['output_ratio']:.2f}); " +
               ", ".join(f"{c}: {'yes' if v else 'no'}" for c, v in checks.items()))
    learned = acc >= LEARNED
    if not learned:  # the gates of a model at chance show nothing about how an LSTM solves the task
        summary = (f"the LSTM did not learn the task (test accuracy {acc:.3f} < {LEARNED:g}), so its gates cannot "
                   f"show the claim; {summary}")
    return Claim("trigger_word",
                 "On the trigger task the input gate opens at the trigger, the forget gate stays near 1 across the gap "
                 "(> 0.9 here), and the output gate opens at the end (measured on the unit whose final cell state best "
                 f"separates the classes, and averaged over units); read only when the LSTM learns the task (test "
                 f"accuracy >= {LEARNED:g}), undecided otherwise.",
                 {"T": T, "units": units, "test_accuracy": acc, "key_unit": key, "key_unit_corr": float(corr[key]),
                  **out_m, "checks": checks}, all(checks.values()) if learned else None, summary,
                 [str(f) for f in figs])


def run_leaky(profile: str, out: Path, seed: int = 0) -> Claim:
    import keras

    T, n_train, epochs = pick(profile, (100, 256, 1), (500, 1024, 8), (2000, 4096, 15))
    lr = learning_rate(profile)
    rng = np.random.default_rng(seed)
    f_values = np.array([0.5, 0.9, 0.99])
    layer = keras.layers.LSTM(3, return_sequences=True)
    layer.build((None, T, 1))
    kernel = rng.normal(scale=0.5, size=(1, 12)).astype("float32")
    rec = rng.normal(scale=0.3, size=(3, 12)).astype("float32")
    bias = np.zeros(12, "float32")
    kernel[:, 3:6] = 0.0  # forget gate: constant, set by its bias alone
    rec[:, 3:6] = 0.0
    bias[3:6] = np.log(f_values / (1 - f_values))
    layer.set_weights([kernel, rec, bias])
    constructed = {}
    for name, x in (("random input", rng.uniform(-1, 1, size=(8, T, 1))), ("constant input", np.ones((8, T, 1)))):
        tr = trace_recurrent_layer(layer, x.astype("float32"))
        ig = np.abs(tr.gates["i"] * tr.gates["g"]).max(axis=(0, 1))
        f_max = tr.gates["f"].max(axis=(0, 1))
        bound = ig / (1 - f_max)
        c_max = np.abs(tr.gates["c"]).max(axis=(0, 1))
        constructed[name] = {"f": f_max.tolist(), "bound": bound.tolist(), "max_abs_c": c_max.tolist(),
                             "tightness": (c_max / bound).tolist(), "holds": bool((c_max <= bound * (1 + 1e-5)).all())}
    x, y = long_range(n_train, 50, seed=seed)
    model = fit(ModelSpec(units=(8,), head="binary", learning_rate=lr), x, y, epochs=epochs, seed=seed, batch_size=32)
    tr = trace_model(model, long_range(256, 50, seed=seed + 1)[0])["lstm_0"]
    ig = np.abs(tr.gates["i"] * tr.gates["g"]).max(axis=(0, 1))
    f_max = tr.gates["f"].max(axis=(0, 1))
    c_max = np.abs(tr.gates["c"]).max(axis=(0, 1))
    bound = ig / (1 - f_max)
    trained = {"f_max": f_max.tolist(), "bound": bound.tolist(), "max_abs_c": c_max.tolist(),
               "holds": bool((c_max <= bound * (1 + 1e-5)).all())}
    fig = out / "leaky_integrator.png"
    _plot_leaky(layer, T, f_values, fig)
    held = all(v["holds"] for v in constructed.values()) and trained["holds"]
    tight = constructed["constant input"]["tightness"]
    summary = (f"constructed f={f_values.tolist()}: bound holds on random and constant input; constant input reaches "
               f"{', '.join(f'{t:.3f}' for t in tight)} of the bound; trained LSTM (8 units): bound holds in "
               f"{int(np.sum(c_max <= bound * (1 + 1e-5)))}/8 units (f_max up to {f_max.max():.3f})")
    return Claim("leaky_integrator",
                 "With a forget gate f < 1 the cell state is a leaky integrator and stays bounded: "
                 "|c_t| <= max|i g| / (1 - f_max).",
                 {"constructed": constructed, "trained": trained}, held, summary, [str(fig)])


def _plot_leaky(layer, T, f_values, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tr = trace_recurrent_layer(layer, np.ones((1, T, 1), "float32"))
    fig, ax = plt.subplots(figsize=(7, 4))
    for u, f in enumerate(f_values):
        ig = abs(tr.gates["i"][0, :, u] * tr.gates["g"][0, :, u]).max()
        line, = ax.plot(np.abs(tr.gates["c"][0, :, u]), label=f"|c| with f = {f}")
        ax.axhline(ig / (1 - f), color=line.get_color(), ls="--", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("time step (constant input)")
    ax.set_ylabel("|c_t| (dashed: max|i g| / (1 - f))")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run_reliability(profile: str, out: Path, seed: int = 0) -> Claim:
    n, T, epochs, units = pick(profile, (256, 40, 1, 4), (1024, 80, 15, 16), (4096, 150, 40, 32))
    lr = learning_rate(profile)
    train = sensor_fusion(n, T, seed=seed)
    test = sensor_fusion(500, T, seed=seed + 999)
    model = fit(ModelSpec(units=(units,), head="sequence", learning_rate=lr), train.x, train.y, epochs=epochs, seed=seed,
                batch_size=32)
    pred = model.predict(test.x, verbose=0)
    rmse = {"LSTM": float(np.sqrt(np.mean((pred - test.y) ** 2)))}
    for name, b in (("average of sensors", SensorAverage()), ("reliability-weighted", ReliabilityWeighted()),
                    ("Kalman with flags", FlagKalman())):
        rmse[name] = float(np.sqrt(np.mean((b.fit(train.x, train.y).predict(test.x) - test.y) ** 2)))
    tr = trace_model(model, test.x)["lstm_0"]
    o = tr.gates["o"]
    rel = test.reliable.mean(axis=-1)  # fraction of sensors reliable at each step
    both_bad = (~test.reliable).all(axis=-1)
    mean_o = o.mean(axis=-1)
    corr_mean = float(np.corrcoef(mean_o.ravel(), rel.ravel())[0, 1])
    per_unit = np.array([np.corrcoef(o[..., u].ravel(), rel.ravel())[0, 1] for u in range(units)])
    o_bad, o_good = float(mean_o[both_bad].mean()), float(mean_o[rel == 1].mean())
    sample = int(np.argmax(both_bad.sum(axis=1)))
    figs = [plot_mean_gates(tr, test.x[:, :, 2:4].sum(-1), out / "reliability_gates.png", sample=sample,
                            input_label="reliable sensors", title="Sensor fusion: gates vs number of reliable sensors"),
            plot_gate_heatmaps(tr, out / "reliability_heatmaps.png", sample=sample)]
    held = corr_mean > 0.1
    summary = (f"corr(mean output gate, reliable fraction) = {corr_mean:.3f}; units with positive corr "
               f"{int((per_unit > 0).sum())}/{units} (strongest {per_unit[np.argmax(np.abs(per_unit))]:.3f}); mean o "
               f"{o_good:.3f} with both sensors reliable vs {o_bad:.3f} with none; RMSE LSTM {rmse['LSTM']:.3f}, "
               f"Kalman {rmse['Kalman with flags']:.3f}, weighted {rmse['reliability-weighted']:.3f}, "
               f"average {rmse['average of sensors']:.3f}")
    return Claim("output_gate_reliability",
                 "The output gate closes when the sensors are unreliable (here: correlation between the mean output "
                 "gate and the fraction of reliable sensors above 0.1).",
                 {"T": T, "units": units, "rmse": rmse, "corr_mean_output_gate": corr_mean,
                  "corr_per_unit": per_unit.tolist(), "mean_o_all_reliable": o_good, "mean_o_none_reliable": o_bad},
                 held, summary, [str(f) for f in figs])
