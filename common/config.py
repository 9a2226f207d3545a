"""Run configuration: a frozen, validated config read from TOML or built in code.

Config flows one way: file -> ``load_config`` (strict: unknown keys and wrong types are errors
naming the key and the file) -> ``RunConfig`` -> data -> model -> fit -> evaluate -> results.

>>> cfg = RunConfig(domain="engineering")
>>> cfg.model.cell, cfg.training.epochs
('lstm', 20)
>>> apply_overrides(cfg, {"training.epochs": 3, "model.units": [8, 8]}).model.units
(8, 8)
"""
from __future__ import annotations

import collections.abc
import dataclasses
import difflib
import math
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal, Mapping

Cell = Literal["lstm", "gru", "simple_rnn"]
Precision = Literal["float32", "mixed_float16", "mixed_bfloat16"]
Head = Literal["regression", "forecast", "binary", "multiclass", "sequence", "quantile"]


class ConfigError(ValueError):
    """A config value is unknown, missing or of the wrong type; the message names key and source."""


@dataclass(frozen=True)
class ModelSpec:
    """Everything the shared builder needs apart from the input shapes (those come from data).

    Options that make Keras fall back from the fused cuDNN kernel on a GPU: ``recurrent_dropout > 0``,
    ``cell="simple_rnn"`` (no cuDNN kernel exists), and masks that are not right-padded
    (left-padded windows are masked correctly but run on the generic kernel).
    """

    cell: Cell = "lstm"
    units: tuple[int, ...] = (64,)
    bidirectional: bool = False
    dropout: float = 0.0
    recurrent_dropout: float = 0.0
    unit_forget_bias: bool = True
    forget_bias: float = 1.0  # initial forget-gate bias of LSTM layers when unit_forget_bias (Keras: 1)
    chrono_init: int = 0  # T_max >= 3: chrono initialisation of the gate biases (Tallec & Ollivier 2018), each unit's
    # forget bias log(u), u ~ U(1, T_max - 1), the input gate's its negative (GRU: the update gate's), so the units'
    # initial memories span 1 to T_max steps (the longest dependency expected); 0: off
    conv_filters: int = 0
    conv_kernel: int = 9
    conv_pool: int = 1
    masking: bool = False
    static_join: Literal["none", "step", "head"] = "none"
    head: Head = "regression"
    n_targets: int = 1
    horizon: int = 1
    n_classes: int = 2
    quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)
    head_units: int = 0
    channel_independent: bool = False  # forecast heads: every channel runs through the same trunk as its own
    # univariate series (as in PatchTST); needs n_targets == number of input features
    linear_skip: bool = False  # forecast head: add a linear map of the whole (normalised) window to the
    # recurrent forecast, as LSTNet's autoregressive highway (Lai et al. 2018)
    instance_norm: Literal["none", "last", "mean", "meanstd"] = "none"  # forecast heads: subtract the window's last
    # value or mean from every step and add it back to the forecast (targets = the first n_targets input features);
    # "meanstd" also divides by the window's standard deviation and multiplies the forecast by it (RevIN)
    reference_input: bool = False  # with instance_norm: every step also gets the removed reference (the window's
    # last value or mean, and std for "meanstd") of every input channel, so levels the normalisation removes (the
    # series' own level, hour of day, season) still reach the model, as the de-stationary factors of
    # Non-stationary Transformers (Liu et al. 2022); the forecast is still added back onto the reference
    zero_head: bool = False  # forecast head: the output layer (and linear skip) start at zero, so with instance_norm
    # the untrained model forecasts the window reference (Repeat for "last"); after training the reference is kept
    # unless the trained model beats it on the validation windows by more than one standard error
    loss: Literal["auto", "mse", "mae", "huber"] = "auto"
    learning_rate: float = 1e-3
    clipnorm: float = 0.0
    ema: float = 0.0  # > 0: keep an exponential moving average of the weights with this per-step momentum
    # (Polyak averaging); validation, early stopping and the final model use the averaged weights
    input_noise: float = 0.0  # > 0: Gaussian noise of this standard deviation added to the (scaled) sequence inputs
    # during training only (Keras GaussianNoise), a regulariser for small sets of long noisy records
    precision: Precision = "float32"  # the compute dtype of the Conv1D, recurrent and hidden head layers (Keras mixed
    # precision: weights, input normalisation, outputs and losses stay float32; mixed_float16 adds loss scaling); meant
    # for GPUs with tensor cores, slower on a CPU (docs/gpu.md)

    def __post_init__(self) -> None:
        _check(len(self.units) >= 1 and all(u > 0 for u in self.units), "model.units", "needs at least one positive layer size")
        _check(self.precision in typing.get_args(Precision), "model.precision",
               f"must be one of {list(typing.get_args(Precision))}")
        _check(0.0 <= self.dropout < 1.0, "model.dropout", "must be in [0, 1)")
        _check(0.0 <= self.recurrent_dropout < 1.0, "model.recurrent_dropout", "must be in [0, 1)")
        _check(self.conv_filters >= 0 and self.conv_kernel > 0 and self.conv_pool > 0, "model.conv_*", "filters >= 0, kernel and pool > 0")
        _check(not (self.masking and self.conv_filters), "model.masking",
               "cannot be combined with a Conv1D front-end (Conv1D ignores masks); pad with zeros instead")
        _check(self.instance_norm == "none" or self.head in ("forecast", "quantile"), "model.instance_norm",
               "needs a forecast or quantile head")
        _check(not self.channel_independent or (self.head in ("forecast", "quantile") and not self.masking
                                                and self.static_join == "none"), "model.channel_independent",
               "needs a forecast or quantile head, no masking and no static features")
        _check(not self.linear_skip or (self.head == "forecast" and not self.masking), "model.linear_skip",
               "needs a forecast head and no masking")
        _check(not (self.instance_norm != "none" and self.masking), "model.instance_norm",
               "cannot be combined with masking (padded steps would enter the window statistics)")
        _check(not self.reference_input or self.instance_norm != "none", "model.reference_input",
               "needs an instance_norm (without one the inputs keep their levels)")
        _check(not self.zero_head or (self.head == "forecast" and self.instance_norm != "none"),
               "model.zero_head", "needs a forecast head and an instance_norm")
        _check(self.n_targets > 0 and self.horizon > 0, "model.n_targets/horizon", "must be positive")
        _check(self.n_classes >= 2, "model.n_classes", "must be at least 2")
        _check(len(self.quantiles) > 0 and all(0 < q < 1 for q in self.quantiles)
               and list(self.quantiles) == sorted(set(self.quantiles)), "model.quantiles", "must be increasing values in (0, 1)")
        _check(self.learning_rate > 0, "model.learning_rate", "must be positive")
        _check(self.head_units >= 0, "model.head_units", "must be >= 0 (0: no hidden layer in the head)")
        _check(self.clipnorm >= 0.0, "model.clipnorm", "must be >= 0 (0 turns gradient clipping off)")
        _check(0.0 <= self.ema < 1.0, "model.ema", "must be in [0, 1) (0 turns weight averaging off)")
        _check(self.input_noise >= 0.0, "model.input_noise", "must be >= 0 (0 turns the noise off)")
        _check(self.chrono_init == 0 or self.chrono_init >= 3, "model.chrono_init",
               "must be 0 (off) or at least 3 (the longest dependency, in steps)")
        _check(not self.chrono_init or self.cell in ("lstm", "gru"), "model.chrono_init",
               "sets gate biases: it needs an LSTM or GRU cell")
        _check(not self.chrono_init or self.forget_bias == 1.0, "model.chrono_init",
               "sets the forget bias itself: leave model.forget_bias at 1")

    @property
    def cudnn_eligible(self) -> bool:
        """True when the recurrent layers can use Keras' fused cuDNN kernel on a GPU."""
        return self.cell in ("lstm", "gru") and self.recurrent_dropout == 0.0


@dataclass(frozen=True)
class TrainSpec:
    epochs: int = 20
    batch_size: int = 64
    patience: int = 5
    lr_schedule: Literal["none", "plateau", "cosine"] = "none"
    seed: int = 0
    seeds: int = 1
    deterministic: bool = True
    conformal: bool = False  # quantile heads: after fitting, shift the outermost quantiles per forecast step by the
    # conformalized-quantile-regression offset measured on the validation windows (Romano et al. 2019)
    epoch_split: int = 1  # k > 1: an epoch is 1/k of a pass over the training windows (a reshuffled stream, each
    # window once per pass); validation, early stopping, the learning-rate schedule and training.epochs count these
    # shorter epochs. For large window sets whose validation loss settles within a few passes

    def __post_init__(self) -> None:
        _check(self.epochs > 0, "training.epochs", "must be positive")
        _check(self.batch_size > 0, "training.batch_size", "must be positive")
        _check(self.patience > 0, "training.patience", "must be positive")
        _check(self.seeds > 0, "training.seeds", "must be positive")
        _check(0 <= self.seed and self.seed + self.seeds <= 2**32, "training.seed",
               "must be >= 0, and seed + seeds at most 2**32 (the range numpy and TensorFlow accept)")
        _check(self.epoch_split >= 1, "training.epoch_split", "must be >= 1 (1: an epoch is a whole pass)")


@dataclass(frozen=True)
class RunConfig:
    """One experiment: which domain and dataset, the model, the training, and domain data options.

    ``data`` holds the domain's own options; the domain validates them with its ``DataOptions``.
    """

    domain: str
    dataset: str = ""
    profile: Literal["quick", "full"] = "quick"
    out: str = "runs"
    model: ModelSpec = field(default_factory=ModelSpec)
    training: TrainSpec = field(default_factory=TrainSpec)
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return _plain(dataclasses.asdict(self))


def _check(ok: bool, key: str, problem: str) -> None:
    if not ok:
        raise ConfigError(f"{key}: {problem}")


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _convert(value: Any, hint: Any, key: str) -> Any:
    """Check ``value`` against the type ``hint`` (strictly: no silent casts) and return it."""
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        if isinstance(value, hint):
            return value
        if not isinstance(value, Mapping):
            raise ConfigError(f"{key}: expected a table, got {type(value).__name__}")
        return from_mapping(hint, value, prefix=f"{key}.")
    if origin is Literal:
        if value not in typing.get_args(hint):
            raise ConfigError(f"{key}: {value!r} is not one of {list(typing.get_args(hint))}")
        return value
    if origin in (typing.Union, types.UnionType):
        for option in typing.get_args(hint):
            try:
                return _convert(value, option, key)
            except ConfigError:
                continue
        raise ConfigError(f"{key}: {value!r} does not match {hint}")
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{key}: expected a list, got {type(value).__name__} {value!r}")
        item = typing.get_args(hint)[0]
        return tuple(_convert(v, item, f"{key}[{i}]") for i, v in enumerate(value))
    if origin in (collections.abc.Mapping, dict) or hint in (collections.abc.Mapping, Mapping, dict):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{key}: expected a table, got {type(value).__name__}")
        return dict(value)
    if hint is Any:
        return value
    if hint is type(None):
        if value is not None:
            raise ConfigError(f"{key}: expected nothing, got {value!r}")
        return None
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key}: expected a number, got {type(value).__name__} {value!r}")
        if not math.isfinite(value):  # TOML has inf and nan; no setting here means either
            raise ConfigError(f"{key}: expected a finite number, got {value}")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected an integer, got {type(value).__name__} {value!r}")
        return value
    if hint in (bool, str):
        if not isinstance(value, hint):
            quote = (f': write it in quotes ("{value}"; an id keeps its leading zeros only in quotes)'
                     if hint is str and isinstance(value, (int, float)) and not isinstance(value, bool) else "")
            raise ConfigError(f"{key}: expected {hint.__name__}, got {type(value).__name__} {value!r}{quote}")
        return value
    raise ConfigError(f"{key}: unsupported type {hint}")  # pragma: no cover - a bug in a spec class


def from_mapping(cls: type, mapping: Mapping[str, Any], prefix: str = "") -> Any:
    """Build dataclass ``cls`` from a mapping; unknown keys and wrong types raise ``ConfigError``."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(mapping) - names)
    if unknown:
        guess = difflib.get_close_matches(str(unknown[0]), sorted(names), n=1, cutoff=0.75)
        hint = f"did you mean {prefix}{guess[0]}? " if guess else ""
        raise ConfigError(f"unknown key {prefix}{unknown[0]!s} ({hint}known keys here: {', '.join(sorted(names))})")
    kwargs = {k: _convert(v, hints[k], prefix + k) for k, v in mapping.items()}
    try:
        return cls(**kwargs)
    except TypeError as err:  # a required key is missing
        raise ConfigError(f"{prefix or 'config'}: {err}") from None


def dotted_keys(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested config table as ``{"model.units": [64], ...}``.

    >>> dotted_keys({"domain": "social", "model": {"units": [8]}})
    {'domain': 'social', 'model.units': [8]}
    """
    out: dict[str, Any] = {}
    for key, value in tree.items():
        out.update(dotted_keys(value, f"{prefix}{key}.") if isinstance(value, Mapping) else {f"{prefix}{key}": value})
    return out


def nearest_names(word: str, choices) -> str:
    """' (did you mean X?)' naming the choices that start with ``word`` (up to three), else those containing it,
    else a close spelling; '' when none is near."""
    w, choices = str(word).lower(), list(choices)
    hits = ([c for c in choices if c.lower().startswith(w)] or [c for c in choices if w in c.lower()]) if w else []
    hits = hits or difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    return f" (did you mean {' or '.join(hits[:3])}?)" if hits else ""


def check_run_name(name: str) -> str:
    """A run name becomes part of one folder's name, so it may not hold a path: letters, digits, '.', '_', '-',
    starting with a letter or digit."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name or ""):
        raise ConfigError(f"--run-name must be letters, digits, '.', '_' or '-', starting with a letter or digit "
                          f"(it names one folder), not {name!r}")
    return name


def make_out_folder(out: str | Path, what: str = "out") -> Path:
    """The folder for run directories, made if missing; a ConfigError naming ``what`` (the key or flag) when it is
    a file or cannot be made, before any data are prepared."""
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{what} {out} is a file, not a folder for run directories")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"{what} {out}: cannot make the folder for run directories ({err.strerror})") from None
    import tempfile

    try:  # a run directory is made in it later: a folder nobody may write to is refused before any work
        tempfile.TemporaryDirectory(dir=path).cleanup()
    except OSError as err:
        raise ConfigError(f"{what} {out}: cannot write in this folder ({err.strerror})") from None
    return path


def first_free(stamp: str, take: Callable[[str], Any]) -> str:
    """The first of ``stamp``, ``stamp-2``, ``stamp-3``, ... that ``take`` (an exclusive mkdir or open) can claim;
    ``take`` raises FileExistsError for a name already claimed, so two processes never get the same one."""
    for k in range(1, 10_000):
        name = stamp if k == 1 else f"{stamp}-{k}"
        try:
            take(name)
            return name
        except FileExistsError:
            continue
    raise ConfigError(f"{stamp} and 9998 numbered variants are all taken; choose a --run-name")


def new_run_dir(parent: str | Path, prefix: str) -> Path:
    """A new directory ``parent/prefix-<time stamp>``, made here; runs started in the same second (a sweep launched
    in parallel) get ``-2``, ``-3``, ..., so no run shares or overwrites another's directory."""
    import time

    parent = Path(parent)
    return parent / first_free(f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}", lambda n: (parent / n).mkdir(parents=True))


def load_config(path: str | Path, overrides: Mapping[str, Any] | None = None) -> RunConfig:
    """Read a TOML run config; every error names the file."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_bytes().decode("utf-8-sig"))  # a byte order mark is not TOML
    except FileNotFoundError:
        from .domain import read_from

        raise ConfigError(f"{path}: config file not found{read_from(path)}") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: a folder, not a config file") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the config file ({err.strerror})") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML ({err})") from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not a UTF-8 text file ({err.reason} at byte {err.start})") from None
    if "domain" not in raw:
        raise ConfigError(f"{path}: no 'domain' key (a config file names its domain, e.g. domain = \"social\")")
    try:
        _check_known_keys(raw)
        cfg = from_mapping(RunConfig, raw)
        return apply_overrides(cfg, overrides or {})
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None


def _check_known_keys(raw: Mapping[str, Any]) -> None:
    """A config file's first unknown key (``[data]`` is the domain's to check), with the nearest known one."""
    tree = RunConfig(domain=str(raw.get("domain", ""))).to_dict()
    for key, value in raw.items():
        if key not in tree:
            raise ConfigError(_unknown_key(tree, key))
        if isinstance(value, dict) and isinstance(tree[key], dict) and key != "data":
            for leaf in value:
                if leaf not in tree[key]:
                    raise ConfigError(_unknown_key(tree, f"{key}.{leaf}"))


def apply_overrides(cfg: RunConfig, overrides: Mapping[str, Any]) -> RunConfig:
    """Return a new config with dotted keys replaced, e.g. ``{"training.epochs": 3}``; validated again."""
    if not overrides:
        return cfg
    tree = cfg.to_dict()
    for dotted, value in overrides.items():
        node = tree
        *parents, leaf = dotted.split(".")
        for part in parents:
            if not isinstance(node.get(part), dict):
                raise ConfigError(_unknown_key(tree, dotted))
            node = node[part]
        if parents and parents[0] == "data":
            node[leaf] = value  # domain options are checked by the domain's DataOptions
        elif leaf not in node:
            raise ConfigError(_unknown_key(tree, dotted))
        else:
            node[leaf] = value
    return from_mapping(RunConfig, tree)


def _unknown_key(tree: dict, dotted: str) -> str:
    """'unknown key ...' with the nearest known key (the same name in another section, or a close spelling)
    and the keys of its section, or the sections when the section itself is unknown."""
    sections = sorted(k for k, v in tree.items() if isinstance(v, dict))
    known = [f"{s}.{k}" for s in sections if s != "data" for k in tree[s]]
    known += [k for k in tree if k not in sections] + (sections if "." not in dotted else [])
    *parents, leaf = dotted.split(".")
    same_leaf = [k for k in known if k.rsplit(".", 1)[-1] == leaf]
    guess = same_leaf or difflib.get_close_matches(dotted, known, n=1, cutoff=0.75)
    hint = f"did you mean {guess[0]}? " if guess else ""
    if parents and parents[0] in sections:
        listing = f"known keys here: {', '.join(sorted(tree[parents[0]]))}"
    else:
        top = ", ".join(sorted(set(tree) - set(sections)))
        listing = f"known sections: {', '.join(sections)}; top-level keys: {top}"
    return f"unknown key {dotted} ({hint}{listing})"


def parse_override(text: str) -> tuple[str, Any]:
    """Parse one ``key=value`` command-line override; the value is read as TOML (bare words as strings)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"override {text!r} must look like key=value, e.g. training.epochs=5")
    try:
        parsed = tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value.strip()
    return key.strip(), parsed


def config_text(cfg: RunConfig) -> str:
    """The config as TOML, as a run's ``config.toml`` holds it."""
    import tomli_w

    return tomli_w.dumps(cfg.to_dict())


def save_config(cfg: RunConfig, path: str | Path) -> None:
    Path(path).write_text(config_text(cfg), encoding="utf-8")


def option(default, *, min=0, max=None, datasets: tuple[str, ...] = (), repeats: bool = False):  # noqa: A002
    """A domain option's field: inclusive bounds (``min``, ``max``), checked by ``validate_options`` (numbers default
    to >= 0); the datasets it applies to (empty: all), checked by ``options_outside_dataset``; for a list, whether
    an entry may occur twice (default: no, a list names distinct columns, files, basins)."""
    return field(default=default, metadata={"min": min, "max": max, "datasets": tuple(datasets), "repeats": repeats})


def option_comments(cls: type) -> dict[str, str]:
    """The comment of each field of an options dataclass, read from its source: the comment lines right above the
    field and the comment after it on its line, joined. Fields without one are left out; a class without source
    (e.g. defined in an interactive session) gives none."""
    import inspect
    import re

    try:
        lines = inspect.getsource(cls).splitlines()
    except (OSError, TypeError):
        return {}
    names, notes, above = {f.name for f in dataclasses.fields(cls)}, {}, []
    for line in lines[1:]:
        text = line.strip()
        if text.startswith("#"):
            above.append(text.lstrip("#").strip())
            continue
        field_line = re.match(r"(\w+)\s*:[^#]*(?:#\s*(.*))?$", text)
        if field_line and field_line.group(1) in names:
            said = " ".join([*above, field_line.group(2) or ""]).strip()
            if said:
                notes[field_line.group(1)] = said
        above = []
    return notes


def options_outside_dataset(cls: type, keys, dataset: str) -> list[str]:
    """Messages for the ``[data]`` keys among ``keys`` that the options dataclass ``cls`` marks as used by other
    datasets than ``dataset`` only: a user setting one would otherwise see it silently ignored."""
    scope = {f.name: f.metadata.get("datasets", ()) for f in dataclasses.fields(cls)}
    return [f"data.{k} is not used by dataset {dataset!r} (it applies to {', '.join(scope[k])})"
            for k in sorted(keys) if scope.get(k) and dataset not in scope[k]]


def validate_options(cls: type, options: Mapping[str, Any], domain: str) -> Any:
    """Validate a domain's ``[data]`` table against its options dataclass. Numbers (sizes, counts, fractions,
    seeds) must be >= 0 unless the field declares its own bounds (``option``); a list's entries must be distinct
    unless the field allows repeats."""
    try:
        opts = from_mapping(cls, options, prefix="data.")
        for f in dataclasses.fields(cls):
            value = getattr(opts, f.name)
            if isinstance(value, tuple) and not f.metadata.get("repeats", False):
                twice = [v for i, v in enumerate(value) if v in value[:i]]
                if twice:
                    raise ConfigError(f"data.{f.name} names {twice[0]!r} twice")
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                continue
            floor, ceiling = f.metadata.get("min", 0), f.metadata.get("max")
            if value < floor:
                raise ConfigError(f"data.{f.name}: must be >= {floor}, not {value}")
            if ceiling is not None and value > ceiling:
                raise ConfigError(f"data.{f.name}: must be <= {ceiling}, not {value}")
        return opts
    except ConfigError as err:
        raise ConfigError(f"domain {domain}: {err}") from None
