"""Gate traces are exact: the traced h equals each layer's own output."""
import numpy as np
import pytest

from common.config import ModelSpec

keras = pytest.importorskip("keras")
from common.builder import PAD_VALUE, build_model  # noqa: E402
from common.gates import recurrent_layers, trace_model, trace_recurrent_layer  # noqa: E402

T, F = 7, 3


def layer_outputs(model, x):
    found = recurrent_layers(model)
    outs = keras.Model(model.inputs, [l.output for l in found]).predict(x, verbose=0)
    return dict(zip([l.name for l in found], outs if len(found) > 1 else [outs]))


def check_exact(model, x, atol=1e-5):
    traces = trace_model(model, x)
    for name, out in layer_outputs(model, x).items():
        if f"{name}/forward" in traces:
            fw, bw = traces[f"{name}/forward"], traces[f"{name}/backward"]
            traced = np.concatenate([fw.layer_output(), bw.layer_output()], axis=-1)
        else:
            traced = traces[name].layer_output()
        np.testing.assert_allclose(traced, np.asarray(out, "float32"), atol=atol, rtol=1e-4, err_msg=name)
    return traces


def trained(spec, x, n_features=F, timesteps=T):
    model = build_model(spec, n_features, timesteps)
    rng = np.random.default_rng(0)
    model.fit(x, rng.normal(size=(len(x), 1)).astype("float32"), epochs=2, verbose=0)
    return model


@pytest.fixture
def x():
    return np.random.default_rng(1).normal(size=(6, T, F)).astype("float32")


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("options", [dict(units=(4,)), dict(units=(4, 3)), dict(units=(4,), bidirectional=True),
                                     dict(units=(3, 2), bidirectional=True)])
def test_trace_is_exact(cell, options, x):
    traces = check_exact(trained(ModelSpec(cell=cell, **options), x), x)
    kinds = {t.kind for t in traces.values()}
    assert kinds == {cell}


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_trace_is_exact_with_masked_inputs(cell, bidirectional, x):
    x = x.copy()
    x[:3, :2] = PAD_VALUE  # left-padded samples
    spec = ModelSpec(cell=cell, units=(4, 3), masking=True, bidirectional=bidirectional)
    model = build_model(spec, F, None)
    model.fit(x, np.ones((len(x), 1), "float32"), epochs=1, verbose=0)
    traces = check_exact(model, x)
    first = next(iter(traces.values()))
    gate = "i" if cell == "lstm" else "z"
    assert np.isnan(first.gates[gate][:3, :2]).all() and np.isfinite(first.gates[gate][3:]).all()


def test_lstm_gates_obey_the_cell_equations(x):
    model = trained(ModelSpec(units=(4,)), x)
    tr = trace_model(model, x)["lstm_0"]
    g = tr.gates
    for name in ("i", "f", "o"):
        assert ((g[name] > 0) & (g[name] < 1)).all()
    c_prev = np.concatenate([np.zeros_like(g["c"][:, :1]), g["c"][:, :-1]], axis=1)
    np.testing.assert_allclose(g["c"], g["f"] * c_prev + g["i"] * g["g"], atol=1e-6)
    np.testing.assert_allclose(g["h"], g["o"] * np.tanh(g["c"]), atol=1e-6)


def test_only_recurrent_layers_are_traced():
    model = build_model(ModelSpec(cell="simple_rnn", units=(3,)), F, T)
    with pytest.raises(ValueError, match="no LSTM or GRU"):
        trace_model(model, np.zeros((1, T, F), "float32"))
    with pytest.raises(TypeError):
        trace_recurrent_layer(keras.layers.Dense(2), np.zeros((1, T, F)))


def test_gate_plots_are_written(tmp_path, x):
    from common.gate_plots import plot_gate_heatmaps, plot_mean_gates

    model = build_model(ModelSpec(units=(4,)), F, T)
    tr = trace_model(model, x)["lstm_0"]
    a = plot_gate_heatmaps(tr, tmp_path / "heat.png")
    b = plot_mean_gates(tr, x[..., 0], tmp_path / "mean.png", marks={"trigger": 2})
    assert a.stat().st_size > 5000 and b.stat().st_size > 5000


def test_mean_gate_curves_leave_masked_steps_blank_without_a_warning(tmp_path):
    """Masked (padded) steps hold NaN gates: the mean curve has a gap there. Before: numpy's "Mean of empty slice"
    RuntimeWarning for every such step (seen in a genomics run on sequences of varying length)."""
    import warnings

    from common.gate_plots import plot_mean_gates
    from common.gates import GateTrace

    g = np.full((2, 6, 3), 0.5)
    g[0, 4:] = np.nan  # sample 0 is padded at its last two steps
    tr = GateTrace("lstm", "lstm", "forward", {k: g.copy() for k in ("i", "f", "o", "c", "h")})
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        assert plot_mean_gates(tr, np.zeros((2, 6)), tmp_path / "a.png", sample=0).stat().st_size > 0
        g_all = np.full((2, 6, 3), np.nan)
        tr_all = GateTrace("lstm", "lstm", "forward", {k: g_all.copy() for k in ("i", "f", "o", "c", "h")})
        assert plot_mean_gates(tr_all, np.zeros((2, 6)), tmp_path / "b.png", sample=None).stat().st_size > 0


@pytest.mark.parametrize("precision, atol", [("mixed_float16", 2e-3), ("mixed_bfloat16", 2e-2)])
def test_trace_of_a_mixed_precision_model_matches_to_its_rounding(precision, atol, x):
    """Traces are recomputed in float32 from the (float32) weights; the layer itself computes in half precision,
    so they agree to its rounding (float16 about 3e-4, bfloat16 about 3e-3 on a trained 16-unit layer)."""
    check_exact(trained(ModelSpec(units=(4, 3), precision=precision), x), x, atol=atol)
