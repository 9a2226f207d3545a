"""``lstm-suite``: list, fetch, train, compare, run, reproduce, predict.

``--help`` and ``list`` never import TensorFlow."""
from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

def _user_errors() -> tuple[type, ...]:
    from .config import ConfigError
    from .domain import DataError, UnknownDomain
    from .download import ChecksumError, DatasetUnavailable, UnsafeArchive
    from .registry import UnknownDataset

    from .experiment import RunDirectoryBusy

    errors = (ConfigError, DataError, UnknownDomain, ChecksumError, DatasetUnavailable, UnsafeArchive, UnknownDataset,
              RunDirectoryBusy)
    try:
        from .training import TrainingDiverged

        errors += (TrainingDiverged,)
    except ImportError:  # pragma: no cover
        pass
    return errors


def _run_name(text: str) -> str:
    from .config import ConfigError, check_run_name

    try:
        return check_run_name(text)
    except ConfigError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("lstm-suite")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


class _HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """The description as written (a module docstring), and every option's default."""


def run_benchmark(main, script: str) -> int:
    """Run a benchmark script's ``main``: a user error (bad setting, bad data, data unavailable) is one line,
    ``<script>: error: ...``, with exit status 2, as ``lstm-suite`` prints it, instead of a traceback."""
    try:
        main()
    except _user_errors() as err:
        print(f"{Path(script).name}: error: {err}", file=sys.stderr)
        return 2
    return 0


def at_least(least: int):
    """An argparse type: a whole number no smaller than ``least`` (a count of workers, folds)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be at least {least}, not {value}")
        return value

    return parse


def benchmark_parser(doc: str | None) -> argparse.ArgumentParser:
    """The argument parser of a benchmark script: its docstring as the description, defaults in ``--help``."""
    return argparse.ArgumentParser(description=doc, formatter_class=_HelpFormatter)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lstm-suite", description="LSTM models for applied domains, compared with "
                                "honest baselines and published results.")
    p.add_argument("--version", action="version", version=f"lstm-suite {_version()}")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="domains, datasets, and which datasets are cached")
    f = sub.add_parser("fetch", help="fetch a dataset (or all) into the cache, verifying sha256")
    f.add_argument("dataset", help="dataset id or 'all'")

    from domains import DOMAINS  # names only: importing the domains does not import TensorFlow

    def experiment_args(sp, many: bool = False, runs: bool = True):
        sp.add_argument("domain", nargs="?", help=", ".join(DOMAINS) + (", or 'all'" if many else "")
                        + " (default: the domain the --config file names)")
        sp.add_argument("--dataset", help="dataset id (default: the domain's default; `lstm-suite list` shows each "
                        "domain's datasets)")
        sp.add_argument("--config", help="TOML run config; flags below override it")
        sp.add_argument("--profile", choices=["smoke", "quick", "full"],
                        help="default config profile (default quick; smoke only with --experiment)")
        sp.add_argument("--seeds", type=int, help="number of seeds (training.seeds)")
        sp.add_argument("--epochs", type=int, help="maximum epochs (training.epochs)")
        sp.add_argument("--out", help="folder for run directories (default runs)")
        if runs:
            sp.add_argument("--run-name", type=_run_name,
                            help="run directory suffix; reuse it to resume an interrupted run")
        sp.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override any config key, e.g. --set model.units=[32,32] (repeatable)")

    t = sub.add_parser("train", help="train the LSTM and baselines on one domain")
    experiment_args(t)
    t.add_argument("--experiment", help="run a domain's named experiment(s) instead, e.g. mechanisms: NAME or 'all' "
                   "(profiles: smoke, quick, full)")
    t.add_argument("--dry-run", action="store_true", help="validate the config, prepare and audit the data, build the "
                   "model and name the baselines, then stop: nothing trained, no run directory written")
    experiment_args(sub.add_parser("compare", help="LSTM vs baselines vs published figures (latest run, "
                                   "or a new default run when there is none)"), many=True)
    rp = sub.add_parser("reproduce", help="score a finished run's saved models again on freshly prepared data and "
                        "check that they give the metrics and predictions it recorded (exit status 1 if not)")
    rp.add_argument("run_dir", help="a run directory written by train, compare or run")
    pr = sub.add_parser("predict", help="apply a finished run's saved models to new input files and write each seed's "
                        "prediction and their mean to a CSV")
    pr.add_argument("run_dir", help="a run directory written by train, compare or run")
    pr.add_argument("files", nargs="+", help="new input files: FASTA (genomics), engines in NASA's layout (C-MAPSS), "
                    "the series to continue (long-horizon social), station files (Beijing), forcing files (CAMELS)")
    pr.add_argument("--baselines", action="store_true",
                    help="also the run's baselines, fitted again on its training data as the run fitted them (a run "
                    "saves none), in columns named as in predictions.csv")
    pr.add_argument("--out", help="the CSV to write (default: predictions-<run directory name>.csv in the current "
                    "folder)")
    experiment_args(sub.add_parser("config", help="print the config a train command would run, as TOML (every "
                                   "key), to start a config file from: lstm-suite config DOMAIN --dataset ID "
                                   "--profile full > my.toml"), runs=False)
    tb = sub.add_parser("tabulate", help="finished runs side by side, a table per domain and dataset: the config keys "
                        "that differ between them and each run's scores (mean and sd over seeds), best first")
    tb.add_argument("paths", nargs="+", metavar="RUN_DIR_OR_FOLDER", help="run directories, or folders of them "
                    "(e.g. runs)")
    tb.add_argument("--csv", help="also write every row to this CSV (numbers unrounded)")
    r = sub.add_parser("run", help="the main job: every domain's default experiment (quick profile) and a summary")
    r.add_argument("--out", default="runs", help="folder for run directories (default runs)")
    r.add_argument("--profile", choices=["smoke", "quick", "full"], default="quick",
                   help="quick (default); full; smoke: tiny configs, seconds per domain (for tests)")
    return p


def _set_values(args) -> list[tuple[str, object, str]]:
    from .config import parse_override

    return [(*parse_override(text), f"--set {text}") for text in args.set]


def _one_value_each(given: list[tuple[str, object, str]]) -> dict:
    """key -> value from (key, value, how the command line said it); a key given two values is an error."""
    from .config import ConfigError

    out, said = {}, {}
    for key, value, how in given:
        if key in out and out[key] != value:
            raise ConfigError(f"{said[key]} and {how} give {key} two values; give it once")
        out[key], said[key] = value, how
    return out


def _known_dataset(dataset: str | None, domain, where: str = "") -> None:
    """A ``--dataset`` (or a config file's ``dataset``) that the domain does not take: an error with the nearest
    names, before anything is prepared."""
    from domains import DOMAINS

    from .config import ConfigError, nearest_names

    known = DOMAINS.get(domain.name, ("", "", ()))[2]
    if dataset and known and dataset not in known:
        raise ConfigError(f"{where}dataset {dataset!r} is not one of {domain.name}'s: {', '.join(known)}"
                          f"{nearest_names(dataset, known)}")


def _config(args, domain):
    from .config import ConfigError, apply_overrides, load_config, options_outside_dataset, validate_options

    if args.profile == "smoke":  # a training run's config (named experiments build their own)
        raise ConfigError("--profile smoke exists only for named experiments (--experiment)")
    flags = [(key, getattr(args, flag), f"--{flag} {getattr(args, flag)}") for flag, key in
             (("seeds", "training.seeds"), ("epochs", "training.epochs"), ("out", "out"), ("dataset", "dataset"))
             if getattr(args, flag, None) is not None]
    overrides = _one_value_each(_set_values(args) + flags)
    _known_dataset(args.dataset, domain)
    if args.config:
        cfg = load_config(args.config, overrides)
        if cfg.domain != domain.name:
            raise ConfigError(f"{args.config}: config is for domain {cfg.domain!r}, not {domain.name!r}")
        _known_dataset(cfg.dataset, domain, f"{args.config}: ")
        given = set(cfg.data)  # the file's [data] table and the --set keys: all the user's
    else:
        profile = args.profile or "quick"
        base = domain.dataset_config(args.dataset, profile) if args.dataset and domain.dataset_config else None
        cfg = apply_overrides(base or domain.default_config(profile), overrides)
        given = {k.split(".", 1)[1] for k in overrides if k.startswith("data.")}
    unused = options_outside_dataset(domain.options, given, cfg.dataset) if cfg.dataset else []
    if unused:
        raise ConfigError("; ".join(unused))
    try:  # checked again when the run starts; here an error in the file's [data] table can name the file
        validate_options(domain.options, cfg.data, domain.name)
    except ConfigError as err:
        raise ConfigError(f"{args.config}: {err}" if args.config else str(err)) from None
    return cfg


def cmd_list(_args) -> int:
    from domains import DOMAINS

    from .registry import cache_root, cached_state, load_registry, mirror_root

    print("Domains:")
    for name, (_, desc, sets) in DOMAINS.items():
        print(f"  {name:14s} {desc}\n  {'':14s} --dataset {' | '.join(sets)}")
    print(f"\nDatasets (cache {cache_root()}; mirror {mirror_root() or 'not set'}):")
    for ds_id, ds in sorted(load_registry().items()):
        files = f"{len(ds.files):3d} {'file' if len(ds.files) == 1 else 'files'}"
        print(f"  {ds_id:36s} {ds.domain:14s} {cached_state(ds):8s} {files:9s}  {ds.title}")
    return 0


def cmd_fetch(args) -> int:
    from .domain import count_of
    from .download import fetch_dataset
    from .registry import load_registry

    ids = sorted(load_registry()) if args.dataset == "all" else [args.dataset]
    failed = 0
    for ds_id in ids:
        t0 = time.perf_counter()
        try:
            folder, reports = fetch_dataset(ds_id, verify_cache=True, log=lambda m: print("  " + m))
        except _user_errors() as err:
            failed += 1
            print(f"{ds_id}: FAILED: {err}", file=sys.stderr)
            continue
        origins = sorted({r.origin if r.origin in ("cache", "mirror") else "download" for r in reports})
        print(f"{ds_id}: cached, {count_of(len(reports), 'file')} verified by sha256 (from {', '.join(origins)}; "
              f"{time.perf_counter() - t0:.1f}s) -> {folder}")
    return 1 if failed else 0


def _print_result(res) -> None:
    print(f"\n{res.table.to_string(index=False)}\n")
    sig = res.run_dir / "significance.json"
    if sig.is_file():  # is the difference from each baseline beyond the test set's noise?
        import json

        from .significance import summary_line

        print(summary_line(json.loads(sig.read_text(encoding="utf-8"))) + " (significance.json)\n")
    print(f"Data: {res.data_label}. Took {res.seconds:.1f}s. Results in {res.run_dir}")


def _domain_name(args) -> str:
    """The domain named on the command line, else the one the ``--config`` file names."""
    from domains import DOMAINS

    from .config import ConfigError, load_config

    if args.domain:
        return args.domain
    if args.config:
        return load_config(args.config).domain  # a file without one: an error naming it
    raise ConfigError(f"name a domain ({', '.join(DOMAINS)}), or give --config FILE that names one")


def cmd_train(args) -> int:
    from domains import get_domain

    from .config import ConfigError
    from .experiment import run_experiment

    domain = get_domain(_domain_name(args))
    if getattr(args, "experiment", None) is not None:
        if getattr(args, "dry_run", False):
            raise ConfigError("--dry-run checks a training run; named experiments (--experiment) have none")
        return _run_named_experiments(domain, args)
    if getattr(args, "dry_run", False):
        from .dry_run import dry_run

        dry_run(_config(args, domain), domain)
        return 0
    _print_result(run_experiment(_config(args, domain), domain, run_name=args.run_name))
    return 0


def _run_named_experiments(domain, args):
    """``train DOMAIN --experiment NAMES``: named experiments run at the settings of their profile; a flag they would
    not use is an error; --seeds and --set data.NAME= pass only what the domain lists in ``experiment_settings``."""
    from .config import ConfigError
    from .domain import UnknownDomain

    if domain.run_experiments is None:
        raise UnknownDomain(f"domain {domain.name} has no named experiments")
    for flag in ("config", "dataset", "seeds", "epochs"):
        if getattr(args, flag) is not None and flag not in domain.experiment_settings:
            raise ConfigError(f"--{flag} is not used with --experiment: named experiments run at the settings of "
                              "their --profile (smoke, quick, full)")
    keys = [k for k in domain.experiment_settings if k != "seeds"]
    settings, takes = {"seeds": args.seeds} if args.seeds is not None else {}, ", ".join(f"data.{k}" for k in keys)
    for key, value in _one_value_each(_set_values(args)).items():
        if key.removeprefix("data.") not in keys or not key.startswith("data."):
            raise ConfigError(f"--set {key}: not a setting of the named experiments of {domain.name} "
                              f"(they take {takes or 'none'})")
        settings[key.removeprefix("data.")] = value
    folder, claims = domain.run_experiments(args.experiment.split(","), args.profile or "quick", args.out or "runs",
                                            run_name=args.run_name, **settings)
    return 0 if claims else 1


def _latest_run(out: Path, name: str) -> Path | None:
    """The newest run directory of a domain with a comparison table; newer ones whose table is empty (a run stopped
    while writing it) are named and passed over."""
    runs = sorted((p for p in out.glob(f"{name}-*") if (p / "comparison.md").is_file()),
                  key=lambda p: p.stat().st_mtime)
    while runs and not runs[-1].joinpath("comparison.md").read_text(encoding="utf-8").strip():
        print(f"{runs.pop()}: comparison.md is empty (the run stopped while writing it?); skipped")
    return runs[-1] if runs else None


def cmd_compare(args) -> int:
    from domains import DOMAINS, get_domain

    args.domain = _domain_name(args)
    names = list(DOMAINS) if args.domain == "all" else [get_domain(args.domain).name]  # an unknown name: an error
    for name in names:
        latest = _latest_run(Path(args.out or "runs"), name)
        if latest is None or args.config or args.set:
            why = "a config was given" if args.config or args.set else f"no finished run under {args.out or 'runs'}"
            print(f"[{name}] {why}; running the experiment")
            args.domain = name
            cmd_train(args)
            continue
        print(latest.joinpath("comparison.md").read_text(encoding="utf-8"))
        print(f"(from {latest})")
    return 0


def cmd_run(args) -> int:
    from .main_job import run_main_job

    return run_main_job(Path(args.out), args.profile)


def cmd_reproduce(args) -> int:
    from .reproduce import print_reproduction, reproduce_run

    res = reproduce_run(args.run_dir)
    print_reproduction(res)
    return 0 if res.reproduced else 1


def cmd_predict(args) -> int:
    from .predict import predict_run

    out = args.out or f"predictions-{Path(args.run_dir).name}.csv"
    path = predict_run(args.run_dir, args.files, out, baselines=args.baselines)
    print(f"wrote {path}")
    return 0


def cmd_tabulate(args) -> int:
    import pandas as pd

    from .tabulate import tabulate

    tables, skipped = tabulate(args.paths)
    if args.csv:  # before printing: a path that cannot be written is an error, not a note after the tables
        try:
            pd.concat([t.frame for t in tables], ignore_index=True).to_csv(args.csv, index=False)
        except OSError as err:
            from .config import ConfigError

            raise ConfigError(f"--csv {args.csv}: cannot write it ({err.strerror or err})") from None
    for t in tables:
        print(f"## {t.title}\n\n{t.printable().to_markdown(index=False)}\n")
    if skipped:
        print(f"skipped {len(skipped)} folder{'s' * (len(skipped) != 1)} without a finished run's metrics.json "
              f"(unfinished runs, named experiments): {', '.join(p.name for p in skipped)}")
    if args.csv:
        print(f"wrote {args.csv} (every row, numbers unrounded)")
    return 0


def cmd_config(args) -> int:
    """The config as TOML; under ``[data]``, the dataset's options left at their defaults follow as comments."""
    import dataclasses
    import textwrap

    import tomli_w

    from domains import get_domain

    from .config import config_text, option_comments

    domain = get_domain(_domain_name(args))
    cfg = _config(args, domain)
    text = config_text(cfg)
    if "\n[data]\n" not in f"\n{text}":
        text += "\n[data]\n"
    unset = [f for f in dataclasses.fields(domain.options) if f.name not in cfg.data
             and (not f.metadata.get("datasets") or cfg.dataset in f.metadata["datasets"])]
    if unset:
        text += f"# the other options of dataset {cfg.dataset or 'default'!r}, at their defaults:\n"
    notes = option_comments(domain.options)
    for f in unset:
        default = f.default_factory() if f.default is dataclasses.MISSING else f.default
        text += "".join(f"# {line}\n" for line in textwrap.wrap(notes.get(f.name, ""), 116))
        text += "".join(f"# {line}\n" for line in tomli_w.dumps({f.name: default}).splitlines())
    print(text, end="")
    return 0


COMMANDS = {"config": cmd_config, "list": cmd_list, "fetch": cmd_fetch, "train": cmd_train, "compare": cmd_compare,
            "run": cmd_run, "reproduce": cmd_reproduce, "predict": cmd_predict, "tabulate": cmd_tabulate}


def main(argv: list[str] | None = None) -> int:
    import os

    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ log noise; Python errors still raise
    parser = _parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    # argparse reads a word with a space as a value, so "--set k=v" as one word ended as "unrecognized arguments"
    fused = next((m for a in argv if (m := re.fullmatch(r"(--[A-Za-z][\w-]*)\s+(\S.*)", a, re.S))), None)
    if fused:
        parser.error(f"{fused.group(0)!r} is an option and its value in one argument: give them as two, "
                     f"{fused.group(1)} {fused.group(2)} (a quoting slip?)")
    args = parser.parse_args(argv)
    try:
        # predict's --out is a file; config and a dry run write nothing
        writes_runs = args.command not in ("predict", "config") and not getattr(args, "dry_run", False)
        if getattr(args, "out", None) and writes_runs:
            from .config import make_out_folder

            make_out_folder(args.out, "--out")
        return COMMANDS[args.command](args)
    except _user_errors() as err:
        print(f"lstm-suite: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as err:  # Ctrl-C: one line, not a traceback from inside Keras
        run_dir = getattr(err, "run_dir", None)
        if run_dir is None:
            said = ""
        elif args.command in ("train", "compare"):
            said = (f"; {run_dir} keeps the finished epochs: run the same command with --run-name {err.run_name} "
                    "to resume")
        else:
            said = f" ({run_dir} holds the unfinished run)"
        print(flush=True)  # end the line of a progress bar Ctrl-C cut short, so the message starts its own
        print(f"lstm-suite: interrupted{said}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`lstm-suite list | head`): stop quietly, as other tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's final flush would fail again
        return 141
    except OSError as err:  # a full disk or a folder we may not write: one line naming the file, not a traceback
        import errno

        if err.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS) or not err.filename:
            raise
        print(f"lstm-suite: error: {err.filename}: {err.strerror}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
