"""GPU path check: are the builder's default recurrent layers on the fused cuDNN kernel, how much faster
is that than the generic kernel, and does mixed precision train? Prints one JSON report.

    python benchmarks/gpu_check.py [--out report.json] [--n 8192] [--steps 100]

Needs a GPU for its verdicts (on a CPU every cuDNN check is refused; the per-precision timing still runs).
Runs on the Keras backend named by KERAS_BACKEND (the suite uses tensorflow; the check is
backend-agnostic Keras, so it can also run where only the torch backend is installed, and says which).
Every verdict comes from Keras itself: ``cudnn="require"`` makes Keras raise instead of falling back.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np


def _timed_fit(model, X, y, epochs=3, batch=256):
    model.fit(X, y, epochs=1, batch_size=batch, verbose=0)  # warm-up: tracing and kernel selection
    t0 = time.perf_counter()
    hist = model.fit(X, y, epochs=epochs, batch_size=batch, verbose=0)
    return (time.perf_counter() - t0) / epochs, float(hist.history["loss"][-1])


def _try(fn):
    try:
        return {"ok": True, **(fn() or {})}
    except Exception as err:  # the verdict itself: reported, not raised
        return {"ok": False, "error": f"{type(err).__name__}: {str(err)[:300]}"}


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--out")
    p.add_argument("--n", type=int, default=8192)
    p.add_argument("--steps", type=int, default=100)
    args = p.parse_args(argv)

    import keras

    from common.builder import PAD_VALUE, build_model
    from common.config import ModelSpec

    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.n, args.steps, 16)).astype("float32")
    y = X[:, -10:, :1].mean(axis=1)
    report = {"backend": keras.backend.backend(), "keras": keras.__version__}
    try:
        import tensorflow as tf

        report["devices"] = [d.name for d in tf.config.list_physical_devices("GPU")]
    except ImportError:
        import torch

        report["devices"] = [torch.cuda.get_device_name(0)] if torch.cuda.is_available() else []

    for cell in ("lstm", "gru"):
        spec = ModelSpec(cell=cell, units=(128, 128))

        def fused(spec=spec):
            sec, loss = _timed_fit(build_model(spec, 16, args.steps, cudnn="require"), X, y)
            return {"s_per_epoch": round(sec, 3), "loss": loss}

        def generic(spec=spec):
            sec, loss = _timed_fit(build_model(spec, 16, args.steps, cudnn="off"), X, y)
            return {"s_per_epoch": round(sec, 3), "loss": loss}

        report[f"{cell}_default_cudnn_required"] = _try(fused)
        report[f"{cell}_generic_kernel"] = _try(generic)
        a, b = report[f"{cell}_default_cudnn_required"], report[f"{cell}_generic_kernel"]
        if a["ok"] and b["ok"]:
            report[f"{cell}_speedup"] = round(b["s_per_epoch"] / a["s_per_epoch"], 2)

    def bidirectional():
        _timed_fit(build_model(ModelSpec(units=(64,), bidirectional=True), 16, args.steps, cudnn="require"), X, y, 1)

    def right_padded_mask():
        Xm = X.copy()
        Xm[: args.n // 2, -20:] = PAD_VALUE
        _timed_fit(build_model(ModelSpec(units=(64,), masking=True), 16, None, cudnn="require"), Xm, y, 1)

    def left_padded_mask():
        Xm = X.copy()
        Xm[: args.n // 2, :20] = PAD_VALUE
        _timed_fit(build_model(ModelSpec(units=(64,), masking=True), 16, None, cudnn="require"), Xm, y, 1)

    def recurrent_dropout():
        _timed_fit(build_model(ModelSpec(units=(64,), recurrent_dropout=0.1), 16, args.steps, cudnn="require"), X, y, 1)

    def danq_style_genomics():  # Conv1D front-end -> BiLSTM, the genomics default
        Xg = np.eye(4, dtype="float32")[rng.integers(0, 4, size=(args.n, 200))]
        spec = ModelSpec(conv_filters=64, conv_kernel=9, conv_pool=4, units=(32,), bidirectional=True, head="binary")
        sec, _ = _timed_fit(build_model(spec, 4, 200, cudnn="require"), Xg, (Xg[:, 50, 0] > 0).astype("float32"), 1)
        return {"s_per_epoch": round(sec, 3)}

    def channel_independent_instance_norm():  # the social forecasting options
        spec = ModelSpec(units=(64,), head="forecast", horizon=24, n_targets=16, channel_independent=True,
                         instance_norm="last")
        sec, _ = _timed_fit(build_model(spec, 16, args.steps, cudnn="require"), X, X[:, -24:, :], 1)
        return {"s_per_epoch": round(sec, 3)}

    def encoder_decoder_quantile():  # the rolling-origin default: encoder LSTM, decoder over known-future inputs
        spec = ModelSpec(units=(64,), head="quantile", horizon=24, n_targets=1, instance_norm="mean")
        Xd = {"sequence": X, "future": X[:, :24, :4]}
        sec, _ = _timed_fit(build_model(spec, 16, args.steps, n_future=4, cudnn="require"), Xd, X[:, -24:, :1], 1)
        return {"s_per_epoch": round(sec, 3)}

    def precision(name, cudnn):  # the suite's own switch, model.precision
        def check():
            model = build_model(ModelSpec(units=(128, 128), precision=name), 16, args.steps, cudnn=cudnn)
            sec, loss = _timed_fit(model, X, y)
            out = model.predict(X[:8], verbose=0)
            assert np.isfinite(loss) and out.dtype == np.float32, (loss, out.dtype)
            return {"s_per_epoch": round(sec, 3), "loss": loss, "output_dtype": str(out.dtype),
                    "lstm_compute_dtype": model.get_layer("lstm_0").compute_dtype,
                    "optimizer": type(model.optimizer).__name__}
        return check

    report["bidirectional_cudnn_required"] = _try(bidirectional)
    report["right_padded_mask_cudnn_required"] = _try(right_padded_mask)
    report["left_padded_mask_cudnn_required (expected to fail: documented)"] = _try(left_padded_mask)
    report["recurrent_dropout_cudnn_required (expected to fail: documented)"] = _try(recurrent_dropout)
    report["danq_style_conv_bilstm_cudnn_required"] = _try(danq_style_genomics)
    report["channel_independent_instance_norm_cudnn_required"] = _try(channel_independent_instance_norm)
    report["encoder_decoder_quantile_cudnn_required"] = _try(encoder_decoder_quantile)
    for name in ("mixed_float16", "mixed_bfloat16"):
        report[f"model.precision = {name}, cudnn required"] = _try(precision(name, "require"))
    # the same default with the kernel Keras picks (cuDNN on a GPU, the generic one on a CPU): what each precision
    # costs per epoch on this machine; runs on a CPU too (python benchmarks/gpu_check.py --n 4096 --steps 30)
    report["precision s_per_epoch (cudnn auto)"] = {name: _try(precision(name, "auto")).get("s_per_epoch")
                                                    for name in ("float32", "mixed_float16", "mixed_bfloat16")}
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)


if __name__ == "__main__":
    from common.cli import run_benchmark

    sys.exit(run_benchmark(main, __file__))
