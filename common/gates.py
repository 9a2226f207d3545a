"""Gate traces: the i, f, g, o, c, h of a trained Keras LSTM (z, r, hh, h of a GRU) at every time step.

Keras does not expose its gates. We recompute them from the layer's own weights (Keras gate order:
LSTM i, f, c, o; GRU z, r, h), for the exact input the layer receives inside the model (masks,
stacking and bidirectional wrappers included). No retraining, no custom cell: ``h`` of the trace equals
the layer's own output to float tolerance (tested).

The recurrences are written with ``keras.ops``, so ``lstm_recurrence`` is differentiable and can be used
inside a training step (e.g. to penalise input-gate activity).

>>> import numpy as np, keras
>>> from common.builder import build_model
>>> from common.config import ModelSpec
>>> model = build_model(ModelSpec(units=(3,)), n_features=2, timesteps=5)
>>> trace = trace_model(model, np.zeros((1, 5, 2), "float32"))["lstm_0"]
>>> sorted(trace.gates), trace.gates["f"].shape
(['c', 'f', 'g', 'h', 'i', 'o'], (1, 5, 3))
"""
from __future__ import annotations

from dataclasses import dataclass, field

import keras
import numpy as np
from keras import layers, ops

RECURRENT = (layers.LSTM, layers.GRU)


@dataclass
class GateTrace:
    """Per-step gate activity of one recurrent layer (one direction), each array (batch, time, units).

    Steps are aligned with the input time axis (a backward layer's trace is flipped back). Masked steps
    hold NaN gates and carry the states unchanged, as Keras does.
    """

    kind: str  # "lstm" or "gru"
    layer: str
    direction: str  # "forward" or "backward"
    gates: dict[str, np.ndarray]
    mask: np.ndarray | None = None
    return_sequences: bool = False
    zero_output_for_mask: bool = False
    final_state: dict[str, np.ndarray] = field(default_factory=dict)
    outputs: np.ndarray | None = None  # the layer's per-step outputs (differ from h only at masked steps)

    @property
    def h(self) -> np.ndarray:
        return self.gates["h"]

    def layer_output(self) -> np.ndarray:
        """What the Keras layer itself returns for this direction (sequence or final output)."""
        if self.return_sequences:
            return np.asarray(self.outputs)
        return self.final_state["h"]


def _split(a, n):
    return ops.split(a, n, axis=-1)


def lstm_recurrence(x, kernel, recurrent_kernel, bias, activation=ops.tanh, recurrent_activation=ops.sigmoid,
                    mask=None, zero_output_for_mask=False):
    """Run an LSTM over ``x`` (batch, time, features) with Keras' weights and equations:

    i = s(x W_i + h U_i + b_i), f = s(x W_f + h U_f + b_f), g = tanh(x W_c + h U_c + b_c),
    o = s(x W_o + h U_o + b_o), c_t = f c_{t-1} + i g, h_t = o tanh(c_t).

    Returns a dict of lists (one tensor (batch, units) per step) for i, f, g, o, c, h and ``out``
    (the layer's per-step output, which differs from h only at masked steps).
    """
    steps = x.shape[1]
    units = recurrent_kernel.shape[0]
    batch = ops.shape(x)[0]
    h = ops.zeros((batch, units), dtype=x.dtype)
    c = ops.zeros((batch, units), dtype=x.dtype)
    prev_out = h
    xs = ops.matmul(x, kernel) + (bias if bias is not None else 0.0)
    keys = ("i", "f", "g", "o", "c", "h", "out")
    out = {k: [] for k in keys}
    for t in range(steps):
        z = xs[:, t] + ops.matmul(h, recurrent_kernel)
        zi, zf, zg, zo = _split(z, 4)
        i, f, o = recurrent_activation(zi), recurrent_activation(zf), recurrent_activation(zo)
        g = activation(zg)
        c_new = f * c + i * g
        h_new = o * activation(c_new)
        if mask is not None:
            m = ops.expand_dims(ops.cast(mask[:, t], x.dtype), -1)
            c_new, h_new_state = m * c_new + (1 - m) * c, m * h_new + (1 - m) * h
            step_out = m * h_new + (1 - m) * (0.0 if zero_output_for_mask else prev_out)
            nan = ops.where(m > 0, 0.0, float("nan"))
            i, f, g, o = i + nan, f + nan, g + nan, o + nan
            h_new = h_new_state
        else:
            step_out = h_new
        c, h, prev_out = c_new, h_new, step_out
        for k, v in zip(keys, (i, f, g, o, c, h, step_out)):
            out[k].append(v)
    return out


def gru_recurrence(x, kernel, recurrent_kernel, bias, activation=ops.tanh, recurrent_activation=ops.sigmoid,
                   reset_after=True, mask=None, zero_output_for_mask=False):
    """Run a GRU with Keras' weights and equations (``reset_after=True``, Keras' default):

    z = s(x W_z + b_z + h U_z + b'_z), r = s(x W_r + b_r + h U_r + b'_r),
    hh = tanh(x W_h + b_h + r * (h U_h + b'_h)), h_t = z h_{t-1} + (1 - z) hh.
    """
    steps = x.shape[1]
    units = recurrent_kernel.shape[0]
    batch = ops.shape(x)[0]
    h = ops.zeros((batch, units), dtype=x.dtype)
    prev_out = h
    if bias is None:
        in_b, rec_b = 0.0, 0.0
    elif reset_after:
        in_b, rec_b = bias[0], bias[1]
    else:
        in_b, rec_b = bias, 0.0
    xs = ops.matmul(x, kernel) + in_b
    keys = ("z", "r", "hh", "h", "out")
    out = {k: [] for k in keys}
    for t in range(steps):
        xz, xr, xh = _split(xs[:, t], 3)
        if reset_after:
            rz, rr, rh = _split(ops.matmul(h, recurrent_kernel) + rec_b, 3)
            z, r = recurrent_activation(xz + rz), recurrent_activation(xr + rr)
            hh = activation(xh + r * rh)
        else:
            uz, ur, uh = _split(recurrent_kernel, 3)
            z = recurrent_activation(xz + ops.matmul(h, uz))
            r = recurrent_activation(xr + ops.matmul(h, ur))
            hh = activation(xh + ops.matmul(r * h, uh))
        h_new = z * h + (1 - z) * hh
        if mask is not None:
            m = ops.expand_dims(ops.cast(mask[:, t], x.dtype), -1)
            step_out = m * h_new + (1 - m) * (0.0 if zero_output_for_mask else prev_out)
            h_new = m * h_new + (1 - m) * h
            nan = ops.where(m > 0, 0.0, float("nan"))
            z, r, hh = z + nan, r + nan, hh + nan
        else:
            step_out = h_new
        h, prev_out = h_new, step_out
        for k, v in zip(keys, (z, r, hh, h, step_out)):
            out[k].append(v)
    return out


def _np(v):
    return np.asarray(ops.convert_to_numpy(v))


def trace_recurrent_layer(layer, x, mask=None) -> GateTrace:
    """Trace one (unwrapped) LSTM or GRU layer on its own input ``x``."""
    if not isinstance(layer, RECURRENT):
        raise TypeError(f"gate traces exist for LSTM and GRU layers, not {type(layer).__name__}")
    cell = layer.cell
    x = ops.convert_to_tensor(np.asarray(x, dtype="float32"))
    m = None if mask is None else np.asarray(mask, bool)
    if layer.go_backwards:
        x = ops.flip(x, axis=1)
        m = None if m is None else m[:, ::-1]
    m_t = None if m is None else ops.convert_to_tensor(m)
    bias = cell.bias if cell.use_bias else None
    common = dict(activation=cell.activation, recurrent_activation=cell.recurrent_activation, mask=m_t,
                  zero_output_for_mask=layer.zero_output_for_mask)
    if isinstance(layer, layers.LSTM):
        kind, raw = "lstm", lstm_recurrence(x, cell.kernel, cell.recurrent_kernel, bias, **common)
    else:
        kind, raw = "gru", gru_recurrence(x, cell.kernel, cell.recurrent_kernel, bias, reset_after=cell.reset_after,
                                          **common)
    arrays = {k: np.stack([_np(v) for v in vals], axis=1) for k, vals in raw.items()}
    final = {"h": arrays["h"][:, -1]}
    if "c" in arrays:
        final["c"] = arrays["c"][:, -1]
    outputs = arrays.pop("out")
    if layer.go_backwards:  # align with input time
        arrays = {k: v[:, ::-1] for k, v in arrays.items()}
        outputs = outputs[:, ::-1]
        m = None if m is None else m[:, ::-1]
    trace = GateTrace(kind=kind, layer=layer.name, direction="backward" if layer.go_backwards else "forward",
                      gates=arrays, mask=m, return_sequences=layer.return_sequences,
                      zero_output_for_mask=layer.zero_output_for_mask, final_state=final, outputs=outputs)
    return trace


def recurrent_layers(model) -> list:
    return [l for l in model.layers if isinstance(l, RECURRENT) or
            (isinstance(l, layers.Bidirectional) and isinstance(l.forward_layer, RECURRENT))]


def trace_model(model, inputs) -> dict[str, GateTrace]:
    """Gate traces of every LSTM/GRU layer of ``model`` for ``inputs``.

    Keys are layer names; a bidirectional layer gives ``<name>/forward`` and ``<name>/backward``.
    """
    found = recurrent_layers(model)
    if not found:
        raise ValueError(f"model {model.name} has no LSTM or GRU layer to trace")
    feeds = keras.Model(model.inputs, [l.input for l in found])
    layer_inputs = feeds.predict(inputs, verbose=0)
    if len(found) == 1:
        layer_inputs = [layer_inputs]
    traces = {}
    for layer, x in zip(found, layer_inputs):
        mask = None
        if isinstance(x, (list, tuple)):  # Keras hands over (inputs, mask) when a mask reaches the layer
            x, layer_mask = x
            mask = np.asarray(layer_mask, bool)
        if isinstance(layer, layers.Bidirectional):
            traces[f"{layer.name}/forward"] = trace_recurrent_layer(layer.forward_layer, x, mask)
            traces[f"{layer.name}/backward"] = trace_recurrent_layer(layer.backward_layer, x, mask)
        else:
            traces[layer.name] = trace_recurrent_layer(layer, x, mask)
    return traces
