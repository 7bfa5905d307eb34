"""`python -m sphereface_viz train ...`: the app's trainer, headless, writing a run folder."""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

from .data import DATASETS
from .losses import LOSSES
from .runio import atomic_write, run_from_trainer, save_run, to_json


def one_line(text: str) -> str:
    """An error as one line: an argument or path that carries a newline is echoed with it escaped."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad argument is one readable line on stderr and exit code 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {one_line(message)}\n")


def finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be finite, got {text!r}")
    return value


def positive_float(text: str) -> float:
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return value


def declared_params() -> dict:
    """Every registered loss's declared hyper-parameters, by name: {name: [(loss, HyperParam), ...]}."""
    out = {}
    for loss in LOSSES.values():
        for key, param in loss.params().items():
            out.setdefault(key, []).append((loss, param))
    return out


def add_hparam_flags(p: argparse.ArgumentParser) -> None:
    """One flag per declared loss hyper-parameter (--m, --lambda-min, --detach, ...), its help from the
    declarations; the loss checks the value's range, so a flag its loss does not take is an error."""
    for key, owners in declared_params().items():
        param = owners[0][1]
        flag = "--" + key.replace("_", "-")
        said = {}  # one text for the losses that declare the parameter alike
        for loss, one in owners:
            text = f"{one.help or key} ({one.bounds() if one.kind is float else 'choice'}" \
                   f"{', ' + one.unit if one.unit else ''}; default {one.default})"
            said.setdefault(text, []).append(loss.title)
        texts = [f"{', '.join(titles)}: {text}" for text, titles in said.items()]
        if param.kind is bool:
            p.add_argument(flag, action="store_true", default=None, help="; ".join(texts))
        elif param.kind is str:
            p.add_argument(flag, choices=sorted({c for _, o in owners for c in o.choices}), help="; ".join(texts))
        else:
            p.add_argument(flag, type=finite_float, help="; ".join(texts).replace("%", "%%"))


def parser() -> argparse.ArgumentParser:
    top = OneLineParser(prog="python -m sphereface_viz",
                        description="Train a 2-D/3-D-feature CNN with an angular-margin loss and save the run.")
    sub = top.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    p = sub.add_parser("train", help="train and write the run and its figures to OUT",
                       description="Train one model. Writes OUT/metrics.json (accuracy, angular metrics, "
                                   "hyper-parameters, per-epoch history), OUT/run.npz (snapshots of the "
                                   "features and W, the last at the final step, as plain arrays), OUT/figure.html (opens offline), "
                                   "OUT/figure.png and OUT/replay.html (steps through the snapshots).")
    model_flags(p)
    p.add_argument("--lr", type=positive_float, default=None, help="peak learning rate (default: the loss "
                   "family's measured recipe)")
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--max-seconds", type=positive_float, help="stop after this many seconds of training")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    p.add_argument("--holdout", type=int, nargs="*", default=(), help="classes kept out of training (open set); "
                   "metrics.json then holds verification on them and on the others (open_set: AUC, TAR at FAR 1%%, "
                   "accuracy, SphereFace's criterion)")
    p.add_argument("--no-figures", action="store_true", help="skip figure.html, figure.png and replay.html")
    p.add_argument("--no-png", action="store_true", help="skip figure.png (it needs Chromium)")
    p.add_argument("--animation", action="store_true", help="also write OUT/replay.gif and OUT/replay.mp4, "
                   "for slides (they need Chromium)")
    p.add_argument("--out", required=True, type=Path, help="output folder")

    p = sub.add_parser("sweep", help="train one loss at several margins and write the comparison to OUT",
                       description="SphereFace Fig. 5: train one loss at several values of its margin (m; t for "
                                   "SV-Softmax) from the same seed, one worker process per core. Writes "
                                   "OUT/sweep.json (per value: accuracy, Intra, Inter, AFS, criteria, pair-angle "
                                   "histograms), OUT/sweep.html and .png (the features side by side) and "
                                   "OUT/chart.html and .png (Intra and Inter against the value, the histograms).")
    model_flags(p)
    p.add_argument("--values", type=finite_float, nargs="+", help="the values to sweep (default: the loss's own "
                   "grid, e.g. m = 1 2 3 4 for A-Softmax)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=None,
                   help="runs training at once, one thread each (default: one per core)")
    p.add_argument("--no-png", action="store_true", help="skip the PNGs (they need Chromium)")
    p.add_argument("--animation", action="store_true", help="also write OUT/sweep.gif and OUT/sweep.mp4, one "
                   "value after another, for slides (they need Chromium)")
    p.add_argument("--out", required=True, type=Path, help="output folder")
    return top


def model_flags(p: argparse.ArgumentParser) -> None:
    """What both commands take: the data, the feature dimension, the loss and its declared parameters."""
    p.add_argument("--dataset", choices=DATASETS, default="digits", help="digits is bundled; the MNIST family "
                   "is read from --data-dir (downloaded there when missing and online)")
    p.add_argument("--data-dir", help="folder holding the four IDX files (default: $SPHEREFACE_VIZ_DATA/<dataset> "
                   "or the user cache)")
    p.add_argument("--loss", choices=list(LOSSES), default="a_softmax")
    p.add_argument("--dim", type=int, choices=(2, 3), default=2, help="feature dimension: circle or sphere")
    p.add_argument("--width", type=int, default=None, help="channels of the CNN's first stage")
    p.add_argument("--epochs", type=positive_float, default=None, help="length of the one-cycle schedule "
                   "(default: the loss's measured recipe)")
    add_hparam_flags(p)


def config_from_args(args):
    from .recipe import TrainConfig

    given = {k: v for k, v in vars(args).items() if v is not None}
    keys = ("dataset", "data_dir", "loss", "dim", "lr", "batch_size", "width", "epochs", "seed", "threads", "holdout")
    config = {k: given[k] for k in keys if k in given}
    return TrainConfig(**config, hparams={k: given[k] for k in declared_params() if k in given})


def train(args) -> int:
    from .trainer import Trainer

    trainer = Trainer(config_from_args(args))
    if args.animation:  # a snapshot for each of the replay's frames (the default cadence may give fewer)
        from .animation import FRAMES

        trainer.snapshot_every = min(trainer.snapshot_every, max(1, trainer.total_steps // FRAMES))
    started = time.perf_counter()
    result = trainer.run(max_seconds=args.max_seconds)
    run = run_from_trainer(trainer)
    args.out.mkdir(parents=True, exist_ok=True)
    save_run(run, args.out / "run.npz")
    metrics = {**result, "wall_seconds": time.perf_counter() - started, "config": trainer.config.to_dict(),
               "hparams": trainer.loss.hparams(), "history": trainer.history}
    if trainer.config.holdout:  # the open set: verification on the digits never trained on, and on the others
        from .verification import open_set

        metrics["open_set"] = open_set(trainer.features(trainer.data.x_test).numpy(), trainer.data.y_test.numpy(),
                                       trainer.seen)
    atomic_write(args.out / "metrics.json", to_json(metrics).encode())
    if not args.no_figures:
        from .export import write_figures

        write_figures(trainer, run, args.out, png=not args.no_png)
    if args.animation:
        from .animation import replay, write_animation

        write_animation(replay(trainer.loss, run, trainer.seen), args.out, "replay")
    unseen = (metrics.get("open_set") or {}).get("unseen")
    print(f"{trainer.config.loss} {trainer.config.dim}-D on {trainer.config.dataset}: test accuracy "
          f"{result['test_accuracy']:.4f} in {result['train_seconds']:.1f} s of training; "
          f"criterion {'met' if result['criterion_met'] else 'not met'}"
          + (f"; unseen digits: AUC {unseen['auc']:.3f}, TAR {unseen['tar_at_far']:.1%} at FAR 1%" if unseen else "")
          + f"; wrote {args.out}")
    if trainer.stopped:
        print(f"stopped: {trainer.stopped}", file=sys.stderr)
        return 1
    return 0


def sweep(args) -> int:
    from .export import write_png
    from .plots import to_figure
    from .sweep import run_sweep, swept, sweep_chart, sweep_figure

    param = swept(args.loss)
    given = {k: v for k, v in vars(args).items() if v is not None}
    hparams = {k: given[k] for k in declared_params() if k in given}
    if param.name in hparams:
        raise ValueError(f"{param.name} is what the sweep varies: give its values with --values, not --{param.name}")
    values = args.values if args.values is not None else param.grid
    started = time.perf_counter()
    common = {k: given[k] for k in ("dataset", "data_dir", "width", "epochs") if k in given}
    results = run_sweep(args.loss, values, args.dim, args.seed, args.workers, hparams=hparams, **common)
    seconds = time.perf_counter() - started
    args.out.mkdir(parents=True, exist_ok=True)
    summary = {"loss": args.loss, "param": param.name, "dim": args.dim, "dataset": args.dataset, "seed": args.seed,
               "values": [r.value for r in results], "wall_seconds": seconds,
               "results": [{"value": r.value, **r.metrics} for r in results],
               "config": results[0].run.config}
    atomic_write(args.out / "sweep.json", to_json(summary).encode())
    figures = {"sweep": sweep_figure(results), "chart": sweep_chart([r.value for r in results],
                                                                    [r.metrics for r in results], param)}
    for name, figure in figures.items():
        atomic_write(args.out / f"{name}.html", to_figure(figure).to_html(include_plotlyjs=True).encode())
        if not args.no_png:
            write_png(figure, args.out / f"{name}.png", width=400 * min(len(results), 4) if name == "sweep" else 1200,
                      height=480 if name == "sweep" else 420)
    if args.animation:
        from .animation import sweep as animated, write_animation

        write_animation(animated(results), args.out, "sweep")
    table = ", ".join(f"{param.name}={r.value:g}: Intra {r.metrics['intra']:.1f}° acc {r.metrics['test_accuracy']:.1%}"
                      for r in results)
    print(f"{args.loss} {args.dim}-D sweep in {seconds:.1f} s: {table}; wrote {args.out}")
    return 0


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return sweep(args) if args.command == "sweep" else train(args)
    except (ValueError, OSError) as err:  # DataError and RunFileError are ValueErrors
        print(f"error: {one_line(str(err))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
