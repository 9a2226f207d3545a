"""The shared model builder: a recurrent trunk (optionally behind a Conv1D front-end) and a task head.

Sections: custom layers and losses (serialisable, so ``.keras`` files round-trip), the trunk, the
heads, and ``build_model`` which assembles and compiles the functional model.

Defaults keep Keras' cuDNN kernel eligible on a GPU (tanh/sigmoid activations, no recurrent dropout,
no unrolling); see ``ModelSpec`` for the options that break eligibility.
"""
from __future__ import annotations

import dataclasses

import keras
from keras import layers, ops

from .config import ConfigError, ModelSpec

PAD_VALUE = -99.0  # value of left-padded steps; the Masking layer skips steps equal to it in every feature

# --- serialisable pieces ------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="lstm_suite")
class ForgetGateBias(keras.initializers.Initializer):
    """LSTM bias: zeros except the forget gate's quarter (Keras' gate order i, f, c, o), set to ``value``.
    A larger value makes the initial cell remember longer (NeuralHydrology's ``initial_forget_bias``)."""

    def __init__(self, value: float = 1.0):
        self.value = float(value)

    def __call__(self, shape, dtype=None):
        units = shape[0] // 4
        return ops.concatenate([ops.zeros((units,), dtype=dtype), ops.full((units,), self.value, dtype=dtype),
                                ops.zeros((2 * units,), dtype=dtype)])

    def get_config(self):
        return {"value": self.value}


@keras.saving.register_keras_serializable(package="lstm_suite")
class ChronoBias(keras.initializers.Initializer):
    """Chrono initialisation (Tallec & Ollivier 2018, "Can recurrent neural networks warp time?", ICLR): each unit's
    gate bias is b = log(u), u ~ U(1, t_max - 1), so that its initial memory lasts about u steps and the units
    together span 1 to t_max. LSTM (gate order i, f, c, o): forget bias b, input bias -b. GRU (gates z, r, h; in
    Keras' GRU z keeps the old state): z's bias b in the input-bias row. ``seed``: drawn from Python's ``random``
    (set by ``set_seed``) when not given, as Keras' random initialisers do."""

    def __init__(self, t_max: int, cell: str = "lstm", seed: int | None = None):
        import random

        self.t_max, self.cell = int(t_max), cell
        self.seed = random.randint(1, 10**9) if seed is None else int(seed)

    def __call__(self, shape, dtype=None):
        gates = 4 if self.cell == "lstm" else 3
        units = shape[-1] // gates
        b = ops.log(keras.random.uniform((units,), 1.0, self.t_max - 1.0, seed=self.seed, dtype=dtype))
        if self.cell == "lstm":
            return ops.concatenate([-b, b, ops.zeros((2 * units,), dtype=dtype)])
        row = ops.concatenate([b, ops.zeros((2 * units,), dtype=dtype)])
        return ops.stack([row, ops.zeros_like(row)]) if len(shape) == 2 else row

    def get_config(self):
        return {"t_max": self.t_max, "cell": self.cell, "seed": self.seed}


@keras.saving.register_keras_serializable(package="lstm_suite")
class BroadcastToSteps(layers.Layer):
    """Repeat a static vector ``(batch, k)`` along the time axis of ``sequence`` -> ``(batch, T, k)``."""

    def call(self, static, sequence):
        steps = ops.shape(sequence)[1]
        return ops.repeat(ops.expand_dims(static, 1), steps, axis=1)

    def compute_output_shape(self, static_shape, sequence_shape):
        return (static_shape[0], sequence_shape[1], static_shape[-1])


@keras.saving.register_keras_serializable(package="lstm_suite")
class NanMaskedLoss(keras.losses.Loss):
    """MSE / MAE / Huber that ignores targets equal to NaN (missing observations are never filled).

    loss = sum_i w_i * l(y_i, yhat_i) / max(1, sum_i w_i), with w_i = 0 where y_i is NaN, summed over
    every non-batch axis (``per_step=False``) or over the last axis only (``per_step=True``, for per-step
    sequence outputs, so that Keras can apply a time mask to the per-step values).
    """

    def __init__(self, kind: str = "mse", delta: float = 1.0, per_step: bool = False, name: str | None = None,
                 **kwargs):
        super().__init__(name=name or f"nan_masked_{kind}", **kwargs)
        if kind not in ("mse", "mae", "huber"):
            raise ValueError(f"unknown loss kind {kind!r}")
        self.kind, self.delta, self.per_step = kind, delta, per_step

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        valid = ops.logical_not(ops.isnan(y_true))
        err = ops.where(valid, y_pred - ops.where(valid, y_true, 0.0), 0.0)
        if self.kind == "mse":
            per = ops.square(err)
        elif self.kind == "mae":
            per = ops.abs(err)
        else:
            a = ops.abs(err)
            per = ops.where(a <= self.delta, 0.5 * ops.square(err), self.delta * (a - 0.5 * self.delta))
        w = ops.cast(valid, y_pred.dtype)
        axes = (-1,) if self.per_step else tuple(range(1, len(per.shape)))
        return ops.sum(per, axis=axes) / ops.maximum(ops.sum(w, axis=axes), 1.0) if axes else per

    def get_config(self):
        return {**super().get_config(), "kind": self.kind, "delta": self.delta, "per_step": self.per_step}


@keras.saving.register_keras_serializable(package="lstm_suite")
class PinballLoss(keras.losses.Loss):
    """Quantile (pinball) loss averaged over quantiles: mean_q max(q (y - yhat_q), (q - 1)(y - yhat_q)).

    Predictions carry the quantiles on the last axis; targets lack that axis. NaN targets are ignored.
    Reference: Koenker & Bassett (1978), Econometrica 46(1).
    """

    def __init__(self, quantiles=(0.1, 0.5, 0.9), name: str = "pinball", **kwargs):
        super().__init__(name=name, **kwargs)
        self.quantiles = tuple(float(q) for q in quantiles)

    def call(self, y_true, y_pred):
        y_true = ops.expand_dims(ops.cast(y_true, y_pred.dtype), -1)
        valid = ops.logical_not(ops.isnan(y_true))
        diff = ops.where(valid, y_true, 0.0) - y_pred
        q = ops.convert_to_tensor(self.quantiles, dtype=y_pred.dtype)
        per = ops.where(valid, ops.maximum(q * diff, (q - 1.0) * diff), 0.0)
        w = ops.cast(valid, y_pred.dtype) * ops.ones_like(per)
        axes = tuple(range(1, len(per.shape)))
        return ops.sum(per, axis=axes) / ops.maximum(ops.sum(w, axis=axes), 1.0)

    def get_config(self):
        return {**super().get_config(), "quantiles": list(self.quantiles)}


@keras.saving.register_keras_serializable(package="lstm_suite")
class WindowReference(layers.Layer):
    """The per-window reference of instance normalisation: the last step (``"last"``, as in NLinear) or the
    mean over steps (``"mean"``), shape (batch, 1, features); or the mean and the standard deviation
    (``"meanstd"``, RevIN without its affine weights, Kim et al. 2022), shape (batch, 2, features) with
    std = sqrt(var + 1e-5)."""

    def __init__(self, kind: str = "last", **kwargs):
        super().__init__(**kwargs)
        if kind not in ("last", "mean", "meanstd"):
            raise ValueError(f"unknown instance normalisation {kind!r}")
        self.kind = kind

    def call(self, x):
        if self.kind == "last":
            return x[:, -1:, :]
        mean = ops.mean(x, axis=1, keepdims=True)
        if self.kind == "mean":
            return mean
        return ops.concatenate([mean, ops.sqrt(ops.var(x, axis=1, keepdims=True) + 1e-5)], axis=1)

    def compute_output_shape(self, shape):
        return (shape[0], 2 if self.kind == "meanstd" else 1, shape[-1])

    def get_config(self):
        return {**super().get_config(), "kind": self.kind}


@keras.saving.register_keras_serializable(package="lstm_suite")
class RemoveReference(layers.Layer):
    """The inverse of ``AddReference``: x - reference for a (batch, 1, features) reference, (x - mean) / std for a
    (mean, std) reference of shape (batch, 2, features)."""

    def call(self, x, reference):
        centred = x - reference[:, :1, :]
        return centred / reference[:, 1:2, :] if reference.shape[1] == 2 else centred

    def compute_output_shape(self, x_shape, reference_shape):
        return x_shape


@keras.saving.register_keras_serializable(package="lstm_suite")
class AddReference(layers.Layer):
    """Adds the reference of the first ``n_targets`` features back to a forecast (batch, horizon, n_targets[, q]);
    a (mean, std) reference first multiplies the forecast by the std."""

    def __init__(self, n_targets: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.n_targets = n_targets

    def call(self, y, reference):
        r = ops.cast(reference[:, :, : self.n_targets], y.dtype)
        level, scale = r[:, :1], (r[:, 1:2] if r.shape[1] == 2 else None)
        if len(y.shape) == 4:
            level = ops.expand_dims(level, -1)
            scale = None if scale is None else ops.expand_dims(scale, -1)
        return (y if scale is None else y * scale) + level

    def compute_output_shape(self, y_shape, reference_shape):
        return y_shape

    def get_config(self):
        return {**super().get_config(), "n_targets": self.n_targets}


@keras.saving.register_keras_serializable(package="lstm_suite")
class FoldChannels(layers.Layer):
    """(batch, steps, C) -> (batch * C, steps, 1): each channel becomes its own univariate sample."""

    def call(self, x):
        steps = ops.shape(x)[1]
        return ops.reshape(ops.transpose(x, (0, 2, 1)), (-1, steps, 1))

    def compute_output_shape(self, shape):
        return (None, shape[1], 1)


@keras.saving.register_keras_serializable(package="lstm_suite")
class UnfoldChannels(layers.Layer):
    """(batch * C, horizon, 1[, q]) -> (batch, horizon, C[, q]), the inverse of ``FoldChannels``."""

    def __init__(self, channels: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels

    def call(self, y):
        h = ops.shape(y)[1]
        if len(y.shape) == 4:
            q = ops.shape(y)[3]
            return ops.transpose(ops.reshape(y, (-1, self.channels, h, q)), (0, 2, 1, 3))
        return ops.transpose(ops.reshape(y, (-1, self.channels, h)), (0, 2, 1))

    def compute_output_shape(self, shape):
        return (shape[0], shape[1], self.channels) + tuple(shape[3:])

    def get_config(self):
        return {**super().get_config(), "channels": self.channels}


def _compute(spec: ModelSpec) -> dict:
    """The dtype policy of the layers ``model.precision`` covers (none given for float32, so a global Keras policy
    set by the caller still applies)."""
    return {} if spec.precision == "float32" else {"dtype": spec.precision}


# --- trunk -------------------------------------------------------------------------------------

_CELLS = {"lstm": layers.LSTM, "gru": layers.GRU, "simple_rnn": layers.SimpleRNN}


def _recurrent_layer(spec: ModelSpec, units: int, return_sequences: bool, index, cudnn: str,
                     return_state: bool = False):
    kwargs = dict(units=units, return_sequences=return_sequences, recurrent_dropout=spec.recurrent_dropout,
                  name=f"{spec.cell}_{index}", **_compute(spec))
    if return_state:
        kwargs["return_state"] = True
    if spec.cell == "lstm":
        kwargs["unit_forget_bias"] = spec.unit_forget_bias
        if spec.unit_forget_bias and spec.forget_bias != 1.0:
            kwargs.update(unit_forget_bias=False, bias_initializer=ForgetGateBias(spec.forget_bias))
    if spec.chrono_init:
        kwargs.update(bias_initializer=ChronoBias(spec.chrono_init, spec.cell))
        if spec.cell == "lstm":
            kwargs["unit_forget_bias"] = False
    if spec.cell in ("lstm", "gru"):
        kwargs["use_cudnn"] = {"auto": "auto", "require": True, "off": False}[cudnn]
    layer = _CELLS[spec.cell](**kwargs)
    if spec.bidirectional:
        layer = layers.Bidirectional(layer, name=f"bi_{spec.cell}_{index}", **_compute(spec))
    return layer


def _encoder_decoder(spec: ModelSpec, x, future, cudnn: str):
    """Sequence-to-sequence trunk: the stacked encoder reads the past window; its last layer's final states start
    a decoder of the same cell (``units[-1]``) that reads the known-future inputs step by step (calendar,
    observed covariates), giving one output vector per forecast step (as in Sutskever et al. 2014; MQ-RNN)."""
    if spec.conv_filters or spec.bidirectional:
        raise ConfigError("known-future inputs (a decoder) cannot be combined with model.conv_filters or bidirectional")
    _, states = _trunk(spec, x, sequence_output=False, cudnn=cudnn, final_states=True)
    decoder = _recurrent_layer(spec, spec.units[-1], return_sequences=True, index="decoder", cudnn=cudnn)
    y = decoder(future, initial_state=states)
    if spec.dropout:
        y = layers.Dropout(spec.dropout, name="dropout_decoder", **_compute(spec))(y)
    return y


def _trunk(spec: ModelSpec, x, sequence_output: bool, cudnn: str, final_states: bool = False):
    """Conv1D front-end (optional) and the stacked recurrent layers; with ``final_states`` also the last layer's
    final states (for a decoder): returns ``(x, states)``."""
    if spec.conv_filters:
        x = layers.Conv1D(spec.conv_filters, spec.conv_kernel, padding="same", activation="relu", name="conv",
                          **_compute(spec))(x)
        if spec.conv_pool > 1:
            x = layers.MaxPooling1D(spec.conv_pool, name="conv_pool", **_compute(spec))(x)
        if spec.dropout:
            x = layers.Dropout(spec.dropout, name="conv_dropout", **_compute(spec))(x)
    states = []
    for i, units in enumerate(spec.units):
        last = i == len(spec.units) - 1
        x = _recurrent_layer(spec, units, return_sequences=(not last) or sequence_output, index=i, cudnn=cudnn,
                             return_state=last and final_states)(x)
        if last and final_states:
            x, *states = x
            break  # the encoder's last output is not used: only its states go on
        if spec.dropout:
            x = layers.Dropout(spec.dropout, name=f"dropout_{i}", **_compute(spec))(x)
    return (x, states) if final_states else x


# --- heads -------------------------------------------------------------------------------------


def _head(spec: ModelSpec, x, per_step: bool = False):
    """The output layer and loss. ``per_step``: ``x`` is (batch, horizon, units) from a decoder, and each
    forecast step gets its own output from the same Dense layer."""
    if spec.head_units:
        x = layers.Dense(spec.head_units, activation="relu", name="head_hidden", **_compute(spec))(x)
    if per_step and spec.head in ("forecast", "quantile"):
        nq = len(spec.quantiles) if spec.head == "quantile" else 1
        y = layers.Dense(spec.n_targets * nq, dtype="float32", name="output_step", **_start(spec))(x)
        shape = (spec.horizon, spec.n_targets) + ((nq,) if spec.head == "quantile" else ())
        loss = PinballLoss(spec.quantiles) if spec.head == "quantile" else _loss(spec)
        return layers.Reshape(shape, dtype="float32", name="output")(y), loss
    if spec.head == "regression" or spec.head == "sequence":
        return layers.Dense(spec.n_targets, dtype="float32", name="output")(x), _loss(spec)
    if spec.head == "forecast":
        y = layers.Dense(spec.horizon * spec.n_targets, dtype="float32", name="output_flat", **_start(spec))(x)
        return layers.Reshape((spec.horizon, spec.n_targets), dtype="float32", name="output")(y), _loss(spec)
    if spec.head == "quantile":
        nq = len(spec.quantiles)
        y = layers.Dense(spec.horizon * spec.n_targets * nq, dtype="float32", name="output_flat", **_start(spec))(x)
        return layers.Reshape((spec.horizon, spec.n_targets, nq), dtype="float32", name="output")(y), PinballLoss(spec.quantiles)
    if spec.head == "binary":
        return layers.Dense(1, activation="sigmoid", dtype="float32", name="output")(x), "binary_crossentropy"
    return layers.Dense(spec.n_classes, activation="softmax", dtype="float32", name="output")(x), "sparse_categorical_crossentropy"


def _start(spec: ModelSpec) -> dict:
    """Initialisers of a forecast output layer: zeros with ``model.zero_head`` (the untrained model then
    forecasts the instance-normalisation reference), Keras' defaults otherwise."""
    return {"kernel_initializer": "zeros", "bias_initializer": "zeros"} if spec.zero_head else {}


def _loss(spec: ModelSpec):
    return NanMaskedLoss("mse" if spec.loss == "auto" else spec.loss, per_step=spec.head == "sequence")


# --- assembly ----------------------------------------------------------------------------------


def build_model(spec: ModelSpec, n_features: int, timesteps: int | None = None, n_static: int = 0,
                *, n_future: int = 0, cudnn: str = "auto", compile: bool = True) -> keras.Model:
    """Build (and compile) the model for ``spec``.

    Inputs: ``sequence`` of shape (timesteps, n_features); with ``n_static > 0`` also ``static`` of shape
    (n_static,), joined to every step (``static_join="step"``) or to the head (``"head"``); with ``n_future > 0``
    also ``future`` of shape (horizon, n_future), inputs known over the forecast steps, read by a decoder
    (forecast and quantile heads only).
    ``cudnn``: ``"auto"`` (Keras uses the fused kernel when eligible), ``"require"`` (raise instead of
    silently falling back; for GPU checks) or ``"off"`` (the generic kernel, for comparisons).
    ``spec.precision`` (``mixed_float16`` / ``mixed_bfloat16``) sets the compute dtype of the Conv1D, recurrent
    and hidden head layers; input normalisation and output layers compute in float32 whatever the policy, so a
    ``mixed_float16`` global policy set by the caller stays numerically safe too.

    >>> m = build_model(ModelSpec(units=(4,), head="forecast", horizon=3, n_targets=2), n_features=5, timesteps=7)
    >>> tuple(m.output.shape)
    (None, 3, 2)
    """
    if n_static and spec.static_join == "none":
        raise ConfigError("the data carry static features (CAMELS data.static = true, or a basin data.attributes_file) "
                          "but model.static_join is 'none'; set model.static_join = 'step' or 'head'")
    if spec.static_join != "none" and not n_static:
        raise ConfigError(f"model.static_join={spec.static_join!r} but the data has no static features")
    if spec.conv_filters and spec.conv_pool > 1 and timesteps is not None and timesteps < spec.conv_pool:
        raise ConfigError(f"model.conv_pool = {spec.conv_pool} needs sequences of at least {spec.conv_pool} steps; "
                          f"the data has {timesteps}")
    sequence = keras.Input((timesteps, n_features), name="sequence")
    inputs = [sequence]
    x = sequence
    static = None
    if n_static:
        static = keras.Input((n_static,), name="static")
        inputs.append(static)
    future = None
    if n_future:
        if spec.head not in ("forecast", "quantile") or n_static or spec.channel_independent or spec.masking:
            raise ConfigError("known-future inputs need a forecast or quantile head, no static features, "
                             "no channel independence and no masking")
        future = keras.Input((spec.horizon, n_future), name="future")
        inputs.append(future)
    reference = None
    head_spec = spec
    if spec.channel_independent:
        if spec.n_targets != n_features:
            raise ConfigError(f"model.channel_independent predicts every input channel: n_targets must be "
                             f"{n_features}, not {spec.n_targets}")
        x = FoldChannels(name="fold_channels")(x)
        head_spec = dataclasses.replace(spec, n_targets=1)
    if spec.instance_norm != "none":
        if n_features < spec.n_targets and not spec.channel_independent:
            raise ConfigError(f"model.instance_norm needs the {spec.n_targets} targets among the {n_features} inputs")
        reference = WindowReference(spec.instance_norm, name="window_reference")(x)
        x = RemoveReference(name="instance_norm")(x, reference)
    window = x
    if reference is not None and spec.reference_input:
        flat = layers.Reshape((-1,), name="reference_flat")(reference)
        x = layers.Concatenate(name="join_reference")([x, BroadcastToSteps(name="reference_steps")(flat, x)])
    if spec.masking:
        x = layers.Masking(mask_value=PAD_VALUE, name="mask")(x)
    if spec.input_noise:  # training only; after the mask, so padded steps stay recognisable
        x = layers.GaussianNoise(spec.input_noise, name="input_noise")(x)
    if static is not None and spec.static_join == "step":
        x = layers.Concatenate(name="join_static")([x, BroadcastToSteps(name="static_steps")(static, x)])
    if cudnn not in ("auto", "require", "off"):
        raise ValueError(f"cudnn must be 'auto', 'require' or 'off', not {cudnn!r}")
    if future is not None:
        x = _encoder_decoder(spec, x, future, cudnn)
    else:
        x = _trunk(spec, x, sequence_output=spec.head == "sequence", cudnn=cudnn)
    if static is not None and spec.static_join == "head":
        x = layers.Concatenate(name="join_static")([x, static])
    output, loss = _head(head_spec, x, per_step=future is not None)
    if spec.linear_skip:
        if timesteps is None:
            raise ConfigError("model.linear_skip needs a fixed number of input steps")
        flat = layers.Dense(head_spec.horizon * head_spec.n_targets, name="linear_skip",
                            **_start(spec))(layers.Flatten()(window))
        skip = layers.Reshape((head_spec.horizon, head_spec.n_targets), name="linear_skip_steps")(flat)
        output = layers.Add(dtype="float32", name="with_linear_skip")([output, skip])
    if reference is not None:
        output = AddReference(head_spec.n_targets, dtype="float32", name="denormalised")(output, reference)
    if spec.channel_independent:
        output = UnfoldChannels(n_features, dtype="float32", name="unfold_channels")(output)
    model = keras.Model(inputs if len(inputs) > 1 else sequence, output, name=f"{spec.cell}_{spec.head}")
    if compile:
        opt = keras.optimizers.Adam(spec.learning_rate, clipnorm=spec.clipnorm or None,
                                    use_ema=spec.ema > 0, ema_momentum=spec.ema or 0.99)
        if spec.precision == "mixed_float16":  # float16 gradients underflow without it; bfloat16 has float32's range
            opt = keras.optimizers.LossScaleOptimizer(opt)
        metrics = ["accuracy", keras.metrics.AUC(name="auc")] if spec.head == "binary" else (
            ["accuracy"] if spec.head == "multiclass" else None)
        model.compile(optimizer=opt, loss=loss, metrics=metrics)
    return model
