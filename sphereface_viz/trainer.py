"""One trainer for the CLI and the app: train k steps per call (`step`), or as a run records them, with
snapshots for replay (`advance`); change m, s, t and lr live; stop cleanly on a non-finite loss with the
last good state kept. What to train, and at which learning rate, is sphereface_viz.recipe's."""
from __future__ import annotations

import copy
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from .compactness import compactness
from .data import Dataset, load_dataset
from .losses import build_loss
from .model import FeatureNet, NetConfig, decay_groups
from .recipe import TrainConfig, one_cycle, rewarm

# Model construction draws from torch's global RNG; the lock keeps two sessions' seeds apart.
_INIT_LOCK = threading.Lock()
# What a recorded snapshot keeps of its training window's scores (the "train" numbers beside the live
# chart): a session that replays or follows a stored run has no training window of its own.
RECORDED_TRAIN_SCORES = ("train_intra", "train_afs")


@dataclass
class Snapshot:
    step: int
    epoch: float
    features: np.ndarray   # (eval_size, dim) float32, features of the fixed evaluation images
    weight: np.ndarray     # (num_classes, dim) the class vectors W_j
    bias: np.ndarray | None
    metrics: dict = field(default_factory=dict)
    # accuracy and compactness once measured (player.Player.moment): a snapshot read from the run store
    # is shared by every session replaying it, and each would otherwise measure it again
    scores: dict | None = field(default=None, compare=False, repr=False)


def random_shift(images: torch.Tensor, r: int, generator: torch.Generator) -> torch.Tensor:
    """Translate each image by a random (dy, dx) in [−r, r]², filling with the background value."""
    if r <= 0:
        return images
    n, _, h, w = images.shape
    padded = torch.nn.functional.pad(images, (r, r, r, r), value=float(images.amin()))
    offset = torch.randint(0, (2 * r + 1) ** 2, (n,), generator=generator)
    out = torch.empty_like(images)
    for k in range(int(offset.max()) + 1):
        chosen = offset == k
        dy, dx = divmod(k, 2 * r + 1)
        out[chosen] = padded[chosen, :, dy:dy + h, dx:dx + w]
    return out


class Trainer:
    def __init__(self, config: TrainConfig, dataset: Dataset | None = None):
        self.config = config
        if config.threads:
            torch.set_num_threads(int(config.threads))
        self.data = dataset or load_dataset(config.dataset, config.data_dir, config.download)
        self.seen, self.remap, (self.x_train, self.y_train), (self.x_test, self.y_test) = \
            self.data.without(config.holdout)
        if len(self.seen) < 2:
            raise ValueError("holdout leaves fewer than two classes to train on")

        with _INIT_LOCK, torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            self._model = FeatureNet(NetConfig(config.dim, config.width, self.data.image_size))
            self._model = self._model.to(memory_format=torch.channels_last)
            self.loss = build_loss(config.loss, config.dim, len(self.seen), **config.hparams)
            pick = torch.randperm(len(self.data.y_test))[: config.eval_size].sort().values
        self.eval_images = self.data.x_test[pick].contiguous(memory_format=torch.channels_last)
        self.eval_labels = self.data.y_test[pick]          # original class ids, unseen ones included
        self._unloaded: dict | None = None  # a restored state whose network is not loaded yet (`_restore`)
        self._optimizer = torch.optim.SGD(
            decay_groups(self._model, list(self.loss.parameters()), config.weight_decay),
            lr=config.lr, momentum=0.9, nesterov=True, foreach=True)  # foreach: one kernel per group, ~7% faster steps
        self.generator = torch.Generator().manual_seed(config.seed)
        self.steps_per_epoch = max(1, len(self.y_train) // config.batch_size)
        self.total_steps = max(1, round(config.epochs * self.steps_per_epoch))
        if hasattr(self.loss, "schedule_steps"):  # A-Softmax's λ annealing is tied to the run's length
            self.loss.schedule_steps = self.total_steps
        # A snapshot embeds the evaluation images, a forward pass of the folded network costing about a fifth
        # of a training step per image: 3.5·eval/batch steps apart keeps it near 6% of the training time.
        eval_count = min(config.eval_size, len(self.data.y_test))
        self.snapshot_every = config.snapshot_every or max(math.ceil(3.5 * eval_count / config.batch_size),
                                                           self.total_steps // 200)
        self.step_count = 0
        self.rewarm_from: int | None = None  # step of the last live change of the loss
        self.peak_lr = config.lr             # the one-cycle schedule's peak, which the page may change live
        # No live change yet: the run is the configuration's own, which every session with the same
        # configuration trains bit for bit, so it may be shared (sphereface_viz.store).
        self.pristine = True
        # The latest training batches' features and labels, as the loss saw them: drawn and measured
        # without another forward pass (`train_window`).
        self.recent: deque[tuple[torch.Tensor, torch.Tensor]] = deque(
            maxlen=max(1, math.ceil(config.eval_size / config.batch_size)))
        self.train_seconds = 0.0
        self.stopped: str | None = None
        self.last = {"loss": math.nan, "train_accuracy": math.nan}
        self.history: list[dict] = []
        self.snapshots: deque[Snapshot] = deque(maxlen=config.max_snapshots)
        self._order = torch.empty(0, dtype=torch.long)
        self._good = self.state()

    # --- live parameters -------------------------------------------------------------------------
    def set_live(self, **params) -> None:
        """Change the loss's live parameters or lr between steps (weights kept). A trainer stopped by a
        non-finite loss resumes from its last good state: the change is the user's fix. A changed loss
        parameter after the schedule's end re-warms the learning rate (`rewarm`), or nothing would move."""
        for key, value in params.items():
            if key not in self.config.live:
                if key in TrainConfig.__dataclass_fields__ or key in self.loss.params():
                    raise ValueError(f"{key} cannot change during training; it needs a reset")
                raise ValueError(f"the {self.config.loss} loss has no parameter {key}")
            if key == "lr":
                if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                    raise ValueError(f"lr must be a positive number, got {value!r}")
                self.peak_lr = value
            else:
                setattr(self.loss, key, value)  # the declared parameter checks it
                self.rewarm_from = self.step_count
        if params:
            self.stopped = None
            self.pristine = False

    def live_values(self) -> dict:
        """The values that change while training, each read where it lives: the loss's live parameters from
        the loss, the schedule's peak learning rate from `peak_lr`. The config keeps the run's start."""
        return {**{k: getattr(self.loss, k) for k in self.config.live if k != "lr"}, "lr": self.peak_lr}

    @property
    def lr(self) -> float:
        """The one-cycle schedule's, or a re-warm's after a live change, whichever is larger."""
        factor = one_cycle(self.step_count / self.total_steps)
        if self.rewarm_from is not None:
            factor = max(factor, rewarm((self.step_count - self.rewarm_from) / self.total_steps))
        return self.peak_lr * factor

    @property
    def epoch(self) -> float:
        return self.step_count / self.steps_per_epoch

    @property
    def lam(self) -> float | None:
        return getattr(self.loss, "lam", None)

    # --- training --------------------------------------------------------------------------------
    def _batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        bs = self.config.batch_size
        if len(self._order) < bs:
            self._order = torch.randperm(len(self.y_train), generator=self.generator)
        idx, self._order = self._order[:bs], self._order[bs:]
        return random_shift(self.x_train[idx], self.config.shift, self.generator), self.y_train[idx]

    def step(self, n: int = 1) -> dict:
        """Train n steps (fewer if stopped); returns the latest numbers. It records nothing: `advance`
        decides when to take a snapshot."""
        started = time.perf_counter()
        self.model.train()  # a snapshot or a test since the last call left it in eval mode
        self.loss.train()
        for _ in range(int(n)):
            if self.stopped:
                break
            images, labels = self._batch()
            for group in self.optimizer.param_groups:
                group["lr"] = self.lr
            features = self.model(images)
            loss = self.loss(features, labels)
            if not torch.isfinite(loss):
                self._stop(f"the loss became {loss.item()} at step {self.step_count + 1}")
                break
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if self.config.clip:
                # A loss that normalises x has ∂/∂x ∝ s/‖x‖: while ‖x‖ is small, early steps of the
                # fixed-scale losses have gradient norms up to 500 that tear the 2-D features apart.
                torch.nn.utils.clip_grad_norm_(self.parameters(), self.config.clip, foreach=True)
            self.optimizer.step()
            self.step_count += 1
            with torch.no_grad():  # the batch's own numbers: nearly free, and the app shows them live
                accuracy = (self.loss.logits(features).argmax(1) == labels).float().mean().item()
            self.last = {"loss": loss.item(), "train_accuracy": accuracy}
            self.recent.append((features.detach(), labels))
        self.train_seconds += time.perf_counter() - started
        return self.status()

    def advance(self, n: int = 1) -> dict:
        """Train n steps as a run records them: a snapshot (and good state) at every multiple of
        `snapshot_every`, for the replay and the fall-back from a non-finite loss."""
        target = self.step_count + int(n)
        while self.step_count < target and not self.stopped:
            self.step(min(target - self.step_count, self.snapshot_every - self.step_count % self.snapshot_every))
            if self.step_count % self.snapshot_every == 0 and not self.stopped:
                self.snapshot()
        return self.status()

    def run(self, epochs: float | None = None, max_seconds: float | None = None,
            eval_every: float | None = 1.0) -> dict:
        """Train to the end of the schedule (or `epochs`, or `max_seconds` of training time), testing
        every `eval_every` epochs (None: only at the end)."""
        target = self.total_steps if epochs is None else round(epochs * self.steps_per_epoch)
        every = None if eval_every is None else max(1, round(eval_every * self.steps_per_epoch))
        next_eval = self.step_count + (every or target)
        while self.step_count < target and not self.stopped:
            if max_seconds is not None and self.train_seconds >= max_seconds:
                break
            self.advance(min(target - self.step_count, next_eval - self.step_count))
            if every and self.step_count >= next_eval:
                self.record()
                next_eval += every
        if not self.snapshots or self.snapshots[-1].step != self.step_count:
            self.snapshot()  # a run ends with its final state: the figures and run file show where it stopped
        if self.history and self.history[-1]["step"] == self.step_count:
            return self.history[-1]
        return self.record()

    def _finite(self) -> bool:
        return all(bool(torch.isfinite(p).all()) for p in self.parameters())

    def parameters(self):
        return list(self.model.parameters()) + list(self.loss.parameters())

    def state(self) -> dict:
        """Everything the next step depends on: weights, momentum, the batch order and its random
        generator, A-Softmax's λ counter, and the live values (m, s, t, the peak learning rate) with the step of
        their last change. Restored (`_restore`), training goes on bit for bit: the last good state, and what the
        run store keeps."""
        return copy.deepcopy({"step": self.step_count, "model": self.model.state_dict(),
                              "live": self.live_values(), "rewarm_from": self.rewarm_from,
                              "loss": self.loss.state_dict(), "optimizer": self.optimizer.state_dict(),
                              "generator": self.generator.get_state(), "order": self._order,
                              "iteration": getattr(self.loss, "iteration", 0), "last": dict(self.last),
                              "train_seconds": self.train_seconds})

    @property
    def model(self) -> FeatureNet:
        self._load_network()
        return self._model

    @property
    def optimizer(self) -> torch.optim.Optimizer:
        self._load_network()
        return self._optimizer

    def _load_network(self) -> None:
        """Load the network and its momentum of the last restored state, when first used. A session following
        another's run takes every new stored version of it, but only draws its snapshots; loading every
        version in each of thirty followers would cost the server much of the CPU the training needs
        (bench/load.py)."""
        state, self._unloaded = self._unloaded, None
        if state is not None:
            self._model.load_state_dict(state["model"])  # copied into the parameters
            # a copy: the optimizer keeps the momentum tensors it is given and would train them in place
            self._optimizer.load_state_dict(copy.deepcopy(state["optimizer"]))

    def _restore(self, state: dict) -> None:
        """Take a state without ever writing to it: it may be the last good state, or a stored run every
        session replaying it shares. The loss (W, λ's counter) at once, for drawing; the network lazily."""
        self.step_count = int(state["step"])
        self.loss.load_state_dict(state["loss"])
        self._unloaded = state
        self.generator.set_state(state["generator"])
        self._order = state["order"]  # only ever sliced into new tensors
        if hasattr(self.loss, "iteration"):
            self.loss.iteration = int(state["iteration"])
        self.last = dict(state["last"])

    def resume(self, state: dict, snapshots: list[Snapshot], history: list[dict]) -> None:
        """Go on from another trainer's state of the same configuration (sphereface_viz.store), live values
        included, with its recorded snapshots and history in place of this one's. (A rollback to the last good
        state keeps the live values: a changed learning rate is the user's fix.)"""
        self._restore(state)
        live = dict(state.get("live") or {})
        self.peak_lr = float(live.pop("lr", self.peak_lr))
        for key, value in live.items():
            if key in self.config.live:
                setattr(self.loss, key, value)  # the declared parameter checks it
        self.rewarm_from = state.get("rewarm_from")
        self.train_seconds = float(state["train_seconds"])
        self.snapshots = deque(snapshots, maxlen=self.config.max_snapshots)
        self.history = list(history)
        self.recent.clear()
        self.stopped, self._good = None, state  # `_restore` never writes to it: no copy needed

    def _checkpoint(self) -> bool:
        """Keep the current state as the last good one if every weight is finite; else stop."""
        if self._finite():
            self._good = self.state()
            return True
        self._stop(f"the weights became non-finite by step {self.step_count}")
        return False

    def _stop(self, reason: str) -> None:
        """Stop with a reason and roll back to the last state whose weights were all finite."""
        self._restore(self._good)
        self.stopped = (f"{reason}; training stopped and the last good state (step {self.step_count}) was kept "
                        "(try a smaller learning rate)")

    # --- measuring -------------------------------------------------------------------------------
    @torch.no_grad()
    def features(self, images: torch.Tensor, batch: int = 256,
                 model: torch.nn.Module | None = None) -> torch.Tensor:
        """Embed with the network's folded copy (`FeatureNet.folded`), or `model`, in chunks of 256:
        activations of 2,000 MNIST images at once (100 MB) overflow the CPU's caches, and 2,000 images in one
        chunk take about twice as long as in chunks of 256 (730 against 298 ms on one thread,
        docs/benchmarks.md)."""
        model = model or self.model.folded()
        model.eval()
        return torch.cat([model(images[i:i + batch]) for i in range(0, len(images), batch)])

    @torch.no_grad()
    def evaluate(self) -> dict:
        """Test accuracy (seen classes) and compactness on the test set, and compactness of the training
        features the loss has just acted on (keys train_*)."""
        return {**self.score(self.features(self.x_test), self.y_test), **self.train_scores()}

    def train_window(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The latest training batches' features and labels (at most eval_size), as the loss saw them:
        in training mode, before the step that followed them."""
        if not self.recent:
            return torch.empty(0, self.config.dim), torch.empty(0, dtype=torch.long)
        features, labels = (torch.cat(part) for part in zip(*self.recent))
        return features[-self.config.eval_size:], labels[-self.config.eval_size:]

    def train_scores(self, window: tuple[torch.Tensor, torch.Tensor] | None = None, pairs: bool = True) -> dict:
        """Compactness of the training window (or of a window taken earlier), keys prefixed train_.
        pairs=False skips the pair angles, most of the cost (2,000 points: ~20 ms against ~1.5 ms); their
        statistics are then empty (NaN; histograms 0)."""
        features, labels = window or self.train_window()
        if len(labels) == 0:
            return {}
        scores = compactness(features, labels, len(self.seen), **({} if pairs else {"max_pairs_points": 0}))
        return {f"train_{k}": v for k, v in scores.items()}

    @torch.no_grad()
    def score(self, features: torch.Tensor, labels: torch.Tensor, loss: torch.nn.Module | None = None) -> dict:
        """Accuracy and compactness (intra, inter, AFS, pair angles, criteria: sphereface_viz.compactness) of
        features whose labels are the loss's classes (−1: unseen, left out); `loss`: a copy of this
        trainer's, taken with the features."""
        seen = labels >= 0
        features, labels = features[seen], labels[seen]
        accuracy = ((loss or self.loss).logits(features).argmax(1) == labels).float().mean().item()
        return {"test_accuracy": accuracy, **compactness(features, labels, len(self.seen))}

    def score_snapshot(self, snap: Snapshot, loss: torch.nn.Module | None = None) -> dict:
        """`score` of a snapshot's evaluation images (their original labels mapped to the loss's classes)."""
        return self.score(torch.from_numpy(snap.features), self.remap[self.eval_labels], loss)

    def record(self) -> dict:
        """Evaluate on the test set and append to the history."""
        entry = {**self.status(), **self.evaluate()}
        self.history.append(entry)
        return entry

    def status(self) -> dict:
        return {"step": self.step_count, "epoch": self.epoch, "train_seconds": self.train_seconds,
                "lr": self.lr, "lambda": self.lam, "stopped": self.stopped, **self.last}

    def recorded_status(self, snap: Snapshot) -> dict:
        """`status` as it was at one of this run's snapshots, for a replay of an untouched run."""
        return {"step": snap.step, "epoch": snap.step / self.steps_per_epoch, "train_seconds": math.nan,
                "lr": self.config.lr * one_cycle(snap.step / self.total_steps), "lambda": snap.metrics.get("lambda"),
                "stopped": None, "loss": snap.metrics.get("loss", math.nan),
                "train_accuracy": snap.metrics.get("train_accuracy", math.nan)}

    @torch.no_grad()
    def snapshot(self) -> Snapshot:
        """Features of the evaluation images and W now; every snapshot is also a good state to fall back to."""
        self._checkpoint()  # after a rollback the weights are the good ones, and those are recorded
        return self.keep(self.record_window(self.pose()()))

    def record_window(self, snap: Snapshot, window: tuple[torch.Tensor, torch.Tensor] | None = None) -> Snapshot:
        """Keep the training window's Intra and Fisher score in a snapshot to be recorded: a session that
        replays or follows the run has no window of its own and shows these."""
        scores = self.train_scores(window, pairs=False)
        snap.metrics.update({key: scores[key] for key in RECORDED_TRAIN_SCORES if key in scores})
        return snap

    @staticmethod
    def recorded_train_scores(snap: Snapshot) -> dict:
        """The training window's scores as a recorded snapshot kept them (`record_window`); {} for a bare pose."""
        return {key: snap.metrics[key] for key in RECORDED_TRAIN_SCORES if key in snap.metrics}

    def pose(self) -> Callable[[], Snapshot]:
        """Copy what a snapshot of this moment needs; the returned call embeds the evaluation images.
        The forward pass is most of a snapshot's cost (~150 ms for 2,000 MNIST images on one thread, with
        the folded network), so it runs on the network's folded copy: the call needs no lock, and the live
        page has it run while training goes on (player.Player.moment). Posing changes nothing: a redraw
        never alters training."""
        model = self.model.folded()
        bias = getattr(self.loss, "bias", None)
        snap = Snapshot(self.step_count, self.epoch, np.empty((0, self.config.dim), np.float32),
                        self.loss.weight.detach().float().numpy().copy(),
                        None if bias is None else bias.detach().float().numpy().copy(),
                        {**self.last, "lambda": self.lam, **self.loss.hparams()})

        def take() -> Snapshot:
            snap.features = self.features(self.eval_images, model=model).float().numpy()
            return snap
        return take

    def keep(self, snap: Snapshot) -> Snapshot:
        """Record a snapshot for replay, unless a later one already is (steps stay in order). When they are
        max_snapshots, every other one goes, the first kept: a replay always starts at the run's start and
        spans all of it, more thinly as it grows."""
        if not self.snapshots or self.snapshots[-1].step < snap.step:
            if len(self.snapshots) == self.snapshots.maxlen:
                kept = list(self.snapshots)[::2]
                self.snapshots.clear()
                self.snapshots.extend(kept)
            self.snapshots.append(snap)
        return snap
