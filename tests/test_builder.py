"""Every cell type and head builds, trains a step, and round-trips through .keras with identical predictions."""
import dataclasses

import numpy as np
import pytest

from common.config import ConfigError, ModelSpec

keras = pytest.importorskip("keras")
from common.builder import PAD_VALUE, NanMaskedLoss, PinballLoss, build_model  # noqa: E402

N, T, F, S = 8, 6, 3, 2
HEADS = {
    "regression": dict(n_targets=2),
    "forecast": dict(horizon=3, n_targets=2),
    "binary": {},
    "multiclass": dict(n_classes=3),
    "sequence": dict(n_targets=1),
    "quantile": dict(horizon=2, n_targets=1, quantiles=(0.1, 0.5, 0.9)),
}


def targets(spec, rng):
    return {"regression": lambda: rng.normal(size=(N, 2)), "forecast": lambda: rng.normal(size=(N, 3, 2)),
            "binary": lambda: rng.integers(0, 2, (N, 1)), "multiclass": lambda: rng.integers(0, 3, (N,)),
            "sequence": lambda: rng.normal(size=(N, T, 1)), "quantile": lambda: rng.normal(size=(N, 2, 1))}[spec.head]()


def expected_shape(spec):
    return {"regression": (N, 2), "forecast": (N, 3, 2), "binary": (N, 1), "multiclass": (N, 3),
            "sequence": (N, T, 1), "quantile": (N, 2, 1, 3)}[spec.head]


def save(model, path):
    """Save as a trained model is saved: with its optimizer built (an unbuilt one reloads with a Keras warning)."""
    if not model.optimizer.built:  # building a LossScaleOptimizer twice adds variables a reload then skips
        model.optimizer.build(model.trainable_variables)
    model.save(path)


def round_trip(model, inputs, tmp_path):
    before = model.predict(inputs, verbose=0)
    path = tmp_path / "m.keras"
    save(model, path)
    after = keras.saving.load_model(path).predict(inputs, verbose=0)
    np.testing.assert_array_equal(before, after)
    return before


@pytest.mark.parametrize("cell", ["lstm", "gru", "simple_rnn"])
@pytest.mark.parametrize("head", list(HEADS))
def test_cell_and_head_build_train_and_round_trip(cell, head, tmp_path):
    rng = np.random.default_rng(0)
    spec = ModelSpec(cell=cell, units=(4,), head=head, **HEADS[head])
    model = build_model(spec, F, T)
    X = rng.normal(size=(N, T, F)).astype("float32")
    model.fit(X, targets(spec, rng).astype("float32"), epochs=1, batch_size=N, verbose=0)
    assert round_trip(model, X, tmp_path).shape == expected_shape(spec)


@pytest.mark.parametrize("options", [
    dict(units=(4, 3), bidirectional=True, dropout=0.1),
    dict(conv_filters=4, conv_kernel=3, conv_pool=2, bidirectional=True),
    dict(masking=True, units=(4, 4)),
    dict(static_join="step"),
    dict(static_join="head", head_units=5),
])
def test_trunk_options_round_trip(options, tmp_path):
    rng = np.random.default_rng(1)
    spec = ModelSpec(**options)
    n_static = S if spec.static_join != "none" else 0
    model = build_model(spec, F, None if spec.masking else T, n_static=n_static)
    X = rng.normal(size=(N, T, F)).astype("float32")
    if spec.masking:
        X[:3, :2] = PAD_VALUE
    inputs = {"sequence": X, "static": rng.normal(size=(N, S)).astype("float32")} if n_static else X
    model.fit(inputs, rng.normal(size=(N, 1)).astype("float32"), epochs=1, verbose=0)
    round_trip(model, inputs, tmp_path)


@pytest.mark.parametrize("kind", ["last", "mean"])
@pytest.mark.parametrize("head", ["forecast", "quantile"])
def test_instance_normalisation_round_trips_and_is_shift_equivariant(kind, head, tmp_path):
    rng = np.random.default_rng(3)
    spec = ModelSpec(units=(4,), head=head, horizon=3, n_targets=2, instance_norm=kind)
    model = build_model(spec, F, T)
    X = rng.normal(size=(N, T, F)).astype("float32")
    before = round_trip(model, X, tmp_path)
    shifted = model.predict(X + 5.0, verbose=0)  # a level shift of the window moves the forecast with it
    np.testing.assert_allclose(shifted, before + 5.0, atol=1e-4)
    with pytest.raises(Exception, match="forecast or quantile head"):
        ModelSpec(instance_norm=kind)


@pytest.mark.parametrize("kind, independent", [("last", False), ("meanstd", True)])
def test_reference_input_gives_the_model_the_removed_level(kind, independent, tmp_path):
    rng = np.random.default_rng(6)
    spec = ModelSpec(units=(4,), head="forecast", horizon=3, n_targets=F if independent else 2, instance_norm=kind,
                     channel_independent=independent, reference_input=True)
    model = build_model(spec, F, T)
    X = rng.normal(size=(N, T, F)).astype("float32")
    before = round_trip(model, X, tmp_path)
    shifted = model.predict(X + 5.0, verbose=0)  # the level now reaches the trunk: no longer shift-equivariant
    assert np.abs(shifted - (before + 5.0)).max() > 1e-3
    zero = build_model(dataclasses.replace(spec, zero_head=True), F, T)  # still forecasts the reference at start
    ref = X[:, -1:, :spec.n_targets] if kind == "last" else X[:, :, :spec.n_targets].mean(axis=1, keepdims=True)
    np.testing.assert_allclose(zero.predict(X, verbose=0), np.repeat(ref, 3, axis=1), atol=1e-5)
    with pytest.raises(Exception, match="reference_input"):
        ModelSpec(head="forecast", reference_input=True)


@pytest.mark.parametrize("head", ["forecast", "quantile"])
def test_meanstd_normalisation_is_shift_and_scale_equivariant(head, tmp_path):
    rng = np.random.default_rng(5)
    spec = ModelSpec(units=(4,), head=head, horizon=3, n_targets=F, channel_independent=True, instance_norm="meanstd")
    model = build_model(spec, F, T)
    X = rng.normal(size=(N, T, F)).astype("float32")
    before = round_trip(model, X, tmp_path)
    moved = model.predict(3.0 * X + 5.0, verbose=0)  # (x - mean) / std is unchanged; the forecast follows a*x + b
    np.testing.assert_allclose(moved, 3.0 * before + 5.0, rtol=1e-4, atol=1e-3)


def test_meanstd_normalisation_of_a_constant_window_is_finite():
    spec = ModelSpec(units=(4,), head="forecast", horizon=2, n_targets=F, channel_independent=True,
                     instance_norm="meanstd", zero_head=True)
    model = build_model(spec, F, T)
    X = np.full((2, T, F), 7.0, "float32")  # std 0: the 1e-5 variance floor keeps it finite
    np.testing.assert_allclose(model.predict(X, verbose=0), 7.0, atol=1e-5)  # zero head: forecasts the mean


@pytest.mark.parametrize("head, skip", [("forecast", False), ("quantile", False), ("forecast", True)])
def test_channel_independent_model_treats_each_channel_alike(head, skip, tmp_path):
    rng = np.random.default_rng(4)
    spec = ModelSpec(units=(4,), head=head, horizon=3, n_targets=F, channel_independent=True, instance_norm="last",
                     linear_skip=skip)
    model = build_model(spec, F, T)
    X = rng.normal(size=(N, T, F)).astype("float32")
    out = round_trip(model, X, tmp_path)
    assert out.shape[:3] == (N, 3, F)
    swapped = model.predict(X[:, :, ::-1], verbose=0)  # shared weights: permuting channels permutes forecasts
    np.testing.assert_allclose(swapped, out[:, :, ::-1], atol=1e-5)
    single = model.predict(np.repeat(X[:, :, :1], F, axis=2), verbose=0)
    np.testing.assert_allclose(single[:, :, 0], out[:, :, 0], atol=1e-5)  # a channel's forecast sees only itself


def test_linear_skip_adds_a_linear_map_of_the_window():
    spec = ModelSpec(units=(4,), head="forecast", horizon=2, n_targets=F, linear_skip=True)
    model = build_model(spec, F, T)
    assert model.get_layer("linear_skip").kernel.shape == (T * F, 2 * F)
    with pytest.raises(Exception, match="forecast head"):
        ModelSpec(linear_skip=True)


@pytest.mark.parametrize("input_noise", [0.0, 0.5])
def test_masking_ignores_padded_steps(input_noise):
    spec = ModelSpec(units=(3,), masking=True, input_noise=input_noise)
    model = build_model(spec, F, None)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(1, 4, F)).astype("float32")
    padded = np.concatenate([np.full((1, 5, F), PAD_VALUE, "float32"), x], axis=1)
    np.testing.assert_allclose(model.predict(x, verbose=0), model.predict(padded, verbose=0), atol=1e-5)


def test_input_noise_acts_in_training_only_and_round_trips(tmp_path):
    spec = ModelSpec(units=(4,), input_noise=0.5)
    model = build_model(spec, F, T)
    assert model.get_layer("input_noise").stddev == 0.5 and spec.cudnn_eligible
    X = np.random.default_rng(3).normal(size=(N, T, F)).astype("float32")
    quiet = np.asarray(model(X, training=False))
    np.testing.assert_array_equal(quiet, np.asarray(model(X, training=False)))
    assert np.abs(np.asarray(model(X, training=True)) - quiet).max() > 1e-3
    np.testing.assert_allclose(round_trip(model, X, tmp_path), quiet, atol=1e-6)
    with pytest.raises(Exception, match="model.input_noise"):
        ModelSpec(input_noise=-0.1)


def test_forget_gate_bias_starts_at_one_and_cudnn_settings_by_default():
    model = build_model(ModelSpec(units=(4,)), F, T)
    layer = model.get_layer("lstm_0")
    bias = layer.cell.bias.numpy()
    np.testing.assert_array_equal(bias[4:8], 1.0)  # Keras gate order i, f, c, o
    np.testing.assert_array_equal(np.r_[bias[:4], bias[8:]], 0.0)
    assert layer.use_cudnn == "auto" and layer.recurrent_dropout == 0 and not layer.unroll
    assert layer.cell.activation.__name__ == "tanh" and layer.cell.recurrent_activation.__name__ == "sigmoid"


def test_static_features_need_a_join():
    with pytest.raises(ConfigError, match="static_join"):
        build_model(ModelSpec(), F, T, n_static=2)
    with pytest.raises(ConfigError, match="no static features"):
        build_model(ModelSpec(static_join="head"), F, T)


def test_sequences_too_short_for_the_conv_front_end_are_a_config_error():
    # a 1-step sequence behind pooling of 4 used to fail inside Keras ("output size would be zero or negative")
    with pytest.raises(ConfigError, match=r"model.conv_pool = 4 needs sequences of at least 4 steps; the data has 1"):
        build_model(ModelSpec(conv_filters=4, conv_kernel=3, conv_pool=4), F, 1)
    assert build_model(ModelSpec(conv_filters=4, conv_kernel=3, conv_pool=4), F, 4).output.shape[-1] == 1
    assert build_model(ModelSpec(conv_filters=4, conv_kernel=3, conv_pool=4), F, None) is not None


def test_nan_masked_loss_ignores_missing_targets():
    loss = NanMaskedLoss("mse")
    y = np.array([[1.0, np.nan], [2.0, 4.0]], "float32")
    p = np.array([[2.0, 100.0], [2.0, 2.0]], "float32")
    # per sample: (1)/1 and (0 + 4)/2 -> mean over batch 1.5
    assert float(loss(y, p)) == pytest.approx(1.5)


def test_pinball_loss_matches_the_metric():
    from common.metrics import pinball

    rng = np.random.default_rng(3)
    y = rng.normal(size=(6, 2)).astype("float32")
    p = np.sort(rng.normal(size=(6, 2, 3)), axis=-1).astype("float32")
    assert float(PinballLoss((0.1, 0.5, 0.9))(y, p)) == pytest.approx(pinball(y, p, quantiles=(0.1, 0.5, 0.9)), rel=1e-5)


def test_forget_bias_sets_only_the_forget_gate_and_survives_saving(tmp_path):
    import keras

    from common.builder import build_model
    from common.config import ModelSpec

    model = build_model(ModelSpec(units=(3,), forget_bias=3.0), 2, 5)
    bias = model.get_layer("lstm_0").cell.bias.numpy()
    np.testing.assert_allclose(bias, [0, 0, 0, 3, 3, 3, 0, 0, 0, 0, 0, 0])
    save(model, tmp_path / "m.keras")
    assert keras.saving.load_model(tmp_path / "m.keras").get_layer("lstm_0").cell.bias.shape == (12,)


def test_chrono_init_spreads_the_gate_biases_over_log_1_to_t_max_and_survives_saving(tmp_path):
    """Chrono initialisation (Tallec & Ollivier 2018): forget bias log(u), u ~ U(1, T_max - 1) per unit, input bias
    its negative; for a GRU the update gate's bias (in Keras' GRU z keeps the old state). Biases only: the cuDNN
    kernel stays eligible."""
    import keras

    from common.training import set_seed

    set_seed(0)
    spec = ModelSpec(units=(64, 5), chrono_init=100)
    assert spec.cudnn_eligible
    model = build_model(spec, 2, 5)
    bias = model.get_layer("lstm_0").cell.bias.numpy()
    i, f, c, o = np.split(bias, 4)
    assert np.all(f >= 0) and np.all(f <= np.log(99) + 1e-6) and f.std() > 0.5  # spread over units, not one value
    np.testing.assert_allclose(i, -f)
    assert not c.any() and not o.any()
    assert model.get_layer("lstm_1").cell.bias.numpy()[5:10].max() <= np.log(99) + 1e-6
    set_seed(0)
    again = build_model(spec, 2, 5).get_layer("lstm_0").cell.bias.numpy()
    np.testing.assert_array_equal(again, bias)  # the seed decides the draw
    save(model, tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.get_layer("lstm_0").cell.bias.numpy(), bias)

    gru = build_model(ModelSpec(cell="gru", units=(64,), chrono_init=100), 2, 5).get_layer("gru_0").cell.bias.numpy()
    assert gru.shape == (2, 192)  # reset_after: input and recurrent bias rows, gates z, r, h
    z = gru[0, :64]
    assert np.all(z >= 0) and np.all(z <= np.log(99) + 1e-6) and z.std() > 0.5
    assert not gru[0, 64:].any() and not gru[1].any()
    bi = build_model(ModelSpec(units=(4,), chrono_init=30, bidirectional=True), 2, 5)
    assert bi.predict(np.zeros((1, 5, 2), "float32"), verbose=0).shape == (1, 1)


@pytest.mark.parametrize("kwargs, problem", [
    (dict(chrono_init=2), "at least 3"),
    (dict(chrono_init=-1), "at least 3"),
    (dict(chrono_init=50, cell="simple_rnn"), "LSTM or GRU"),
    (dict(chrono_init=50, forget_bias=3.0), "model.forget_bias"),
])
def test_chrono_init_refuses_what_it_cannot_mean(kwargs, problem):
    with pytest.raises(ConfigError, match=rf"model.chrono_init.*{problem}"):
        ModelSpec(**kwargs)


@pytest.mark.parametrize("head", ["forecast", "quantile"])
def test_known_future_inputs_reach_every_forecast_step_through_a_decoder(head, tmp_path):
    spec = ModelSpec(units=(6, 5), head=head, horizon=4, n_targets=1, instance_norm="mean")
    model = build_model(spec, F, T, n_future=2)
    rng = np.random.default_rng(0)
    X = {"sequence": rng.normal(size=(3, T, F)).astype("float32"), "future": rng.normal(size=(3, 4, 2)).astype("float32")}
    out = model.predict(X, verbose=0)
    assert out.shape == ((3, 4, 1, 3) if head == "quantile" else (3, 4, 1))
    assert any(layer.name == "lstm_decoder" for layer in model.layers)
    changed = {**X, "future": X["future"].copy()}
    changed["future"][:, 2:] += 1.0  # a change at steps 3-4 leaves steps 1-2 alone (the decoder reads forward)
    moved = model.predict(changed, verbose=0)
    np.testing.assert_allclose(moved[:, :2], out[:, :2], atol=1e-6)
    assert not np.allclose(moved[:, 2:], out[:, 2:])
    save(model, tmp_path / "m.keras")
    np.testing.assert_allclose(keras.saving.load_model(tmp_path / "m.keras").predict(X, verbose=0), out, atol=1e-6)


def test_known_future_inputs_refuse_unsupported_settings():
    with pytest.raises(ConfigError, match="known-future"):
        build_model(ModelSpec(head="regression"), F, T, n_future=2)
    with pytest.raises(ConfigError, match="known-future"):
        build_model(ModelSpec(head="forecast", horizon=3, bidirectional=True), F, T, n_future=2)


@pytest.mark.parametrize("precision, compute", [("mixed_float16", "float16"), ("mixed_bfloat16", "bfloat16")])
def test_mixed_precision_computes_the_trunk_in_half_precision_and_the_outputs_in_float32(precision, compute, tmp_path):
    """``model.precision`` sets the recurrent trunk's (and Conv1D's, hidden head's) compute dtype; weights, input
    normalisation, outputs and losses stay float32, and the global Keras policy is left as it was."""
    spec = ModelSpec(units=(4, 3), bidirectional=True, conv_filters=4, head_units=5, head="forecast", horizon=2,
                     n_targets=2, instance_norm="last", precision=precision)
    model = build_model(spec, 2, T)
    assert keras.config.dtype_policy().name == "float32"
    for name in ("conv", "bi_lstm_0", "bi_lstm_1", "head_hidden"):
        layer = model.get_layer(name)
        assert layer.compute_dtype == compute and layer.variable_dtype == "float32", name
    for name in ("window_reference", "instance_norm", "output_flat", "output", "denormalised"):
        assert model.get_layer(name).compute_dtype == "float32", name
    scaled = isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert scaled is (precision == "mixed_float16")  # float16 gradients need loss scaling; bfloat16's range does not
    rng = np.random.default_rng(4)
    X = rng.normal(size=(N, T, 2)).astype("float32")
    model.fit(X, rng.normal(size=(N, 2, 2)).astype("float32"), epochs=1, batch_size=N, verbose=0)
    out = round_trip(model, X, tmp_path)
    assert out.dtype == np.float32 and np.isfinite(out).all()
    reloaded = keras.saving.load_model(tmp_path / "m.keras")
    assert reloaded.get_layer("bi_lstm_0").compute_dtype == compute


def test_float32_is_the_default_precision_and_others_are_config_errors():
    model = build_model(ModelSpec(units=(4,)), F, T)
    assert model.get_layer("lstm_0").compute_dtype == "float32"
    assert not isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    with pytest.raises(ConfigError, match="model.precision"):
        ModelSpec(precision="float16")


def test_the_model_name_in_result_tables_says_when_it_computes_in_mixed_precision():
    from common.experiment import describe

    assert describe(ModelSpec(units=(32,))) == "lstm 32"
    assert describe(ModelSpec(units=(32,), precision="mixed_bfloat16")) == "lstm 32 (mixed_bfloat16)"
