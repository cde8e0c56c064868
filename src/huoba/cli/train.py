"""`huoba train`: train one of the lab's networks and report what the lab asks for.

With no arguments it runs offline: MNIST if its IDX files are in the data
directory (./data, or $HUOBA_DATA), otherwise scikit-learn's handwritten digits
(shipped inside the scikit-learn wheel) resized to 28x28, and it says which.

Each epoch shows a progress bar, prints a row of the table (train loss and
accuracy, test loss and accuracy, time) and writes `checkpoint.pth` (model,
optimizer, scheduler, RNG state, epoch, history and configuration; atomic,
PyTorch's format) and the metrics files.  At the end it prints the per-class
test accuracy and writes `curves.png`, `confusion.png`, `samples.png` and
`model.pth` (the state dict alone).  `--resume` continues from the checkpoint
with the very same result as a run that was never interrupted.
"""
import argparse
import math
import os
import sys
import time

import numpy as np

from ._common import (CLIError, positive_int, nonneg_int, positive_float, nonneg_float, resolve_device,
                      import_progress)

# per-dataset training recipes for what the user leaves unset (SGD; Adam's default lr is 0.001)
RECIPES = {
    "digits": dict(epochs=15, batch_size=32, lr=0.1, momentum=0.0),
    "mnist": dict(epochs=3, batch_size=100, lr=0.1, momentum=0.0),
    "fashion-mnist": dict(epochs=10, batch_size=40, lr=0.1, momentum=0.0),
    "cifar10": dict(epochs=5, batch_size=32, lr=0.01, momentum=0.9),
    "folder": dict(epochs=10, batch_size=32, lr=0.05, momentum=0.0),
}
CHECKPOINT = "checkpoint.pth"
# options a resumed run may change; every other one comes from the checkpoint
RESUME_FIXED = ("dataset", "model", "optimizer", "scheduler", "seed", "limit", "batch_size", "lr", "momentum")


def add_parser(sub):
    from .models import MODELS
    p = sub.add_parser(
        "train", help="train a lab network (LeNet on MNIST, or on scikit-learn's digits offline)",
        description="Train one of the lab's networks, print a per-epoch table and the per-class accuracy, and "
                    "write metrics, figures and checkpoints to --out.")
    p.add_argument("--dataset", default="auto", metavar="NAME",
                   help="mnist | fashion-mnist | cifar10 | digits | folder:PATH (default: MNIST when its files "
                        "are in --data-dir, else digits)")
    p.add_argument("--model", choices=list(MODELS), default=None,
                   help="network (default: cifar-net for cifar10, else lenet)")
    p.add_argument("--epochs", type=positive_int, default=None, help="(default: per dataset, 15 for digits)")
    p.add_argument("--batch-size", type=positive_int, default=None, help="(default: per dataset)")
    p.add_argument("--lr", type=positive_float, default=None, help="learning rate (default: per dataset)")
    p.add_argument("--momentum", type=nonneg_float, default=None, help="SGD momentum (default: per dataset)")
    p.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
    p.add_argument("--scheduler", choices=["none", "step", "cosine"], default="none",
                   help="learning-rate schedule over the epochs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default=None, help="cpu (default) | cuda | cuda:N")
    p.add_argument("--data-dir", default=None, help="where the datasets are (default: $HUOBA_DATA or ./data)")
    p.add_argument("--download", action="store_true",
                   help="download mnist / fashion-mnist / cifar10 into --data-dir when missing")
    p.add_argument("--out", default="runs/latest", help="output folder (default: runs/latest)")
    p.add_argument("--workers", type=nonneg_int, default=0, help="DataLoader worker processes (default 0)")
    p.add_argument("--limit", type=positive_int, default=None, metavar="N",
                   help="use at most N training and N test images (quick runs)")
    p.add_argument("--resume", nargs="?", const=True, default=None, metavar="CHECKPOINT",
                   help=f"continue from CHECKPOINT (default: --out/{CHECKPOINT})")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--no-figures", action="store_true", help="skip curves.png, confusion.png and samples.png")
    # stop after N epochs as if killed (for testing --resume); the run's --epochs stays as given
    p.add_argument("--stop-after", type=positive_int, default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=run, parser=p)
    return p


# --------------------------------------------------------------------------- configuration

def _config(args):
    """The settings that decide the result; per-dataset defaults fill what the user left unset
    (for 'auto' once the data is known: `_fill`)."""
    cfg = dict(dataset=args.dataset, model=args.model, optimizer=args.optimizer, scheduler=args.scheduler,
               seed=args.seed, limit=args.limit, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
               momentum=args.momentum)
    if cfg["lr"] is None and args.optimizer == "adam":
        cfg["lr"] = 1e-3
    if args.dataset == "auto":
        cfg["_recipe"] = True
    else:
        _fill(cfg, "folder" if args.dataset.startswith("folder:") else args.dataset)
    return cfg


def _fill(cfg, kind):
    for key, value in RECIPES.get(kind, RECIPES["folder"]).items():
        if cfg.get(key) is None:
            cfg[key] = value
    if cfg["model"] is None:
        cfg["model"] = "cifar-net" if kind == "cifar10" else "lenet"
    cfg.pop("_recipe", None)


def _describe_config(cfg, n_params, device):
    opt = "SGD" if cfg["optimizer"] == "sgd" else "Adam"
    hyper = f"lr={cfg['lr']:g}" + (f", momentum={cfg['momentum']:g}" if cfg["optimizer"] == "sgd" else "")
    sched = "" if cfg["scheduler"] == "none" else f", {cfg['scheduler']} schedule"
    return (f"model: {cfg['model']} ({n_params:,} parameters); {opt} {hyper}{sched}; batch size {cfg['batch_size']}; "
            f"{cfg['epochs']} epoch{'s' if cfg['epochs'] != 1 else ''}; seed {cfg['seed']}; device {device}")


def _load_checkpoint(path):
    import huoba
    if not os.path.isfile(path):
        raise CLIError(f"cannot resume: no checkpoint at '{path}'")
    try:
        ckpt = huoba.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise CLIError(f"cannot resume: '{path}' is not a readable checkpoint ({type(err).__name__}: {err})") from None
    needed = ("epoch", "model", "optimizer", "rng_state", "config", "history")
    if not isinstance(ckpt, dict) or any(k not in ckpt for k in needed):
        raise CLIError(f"cannot resume: '{path}' is not a checkpoint written by huoba train")
    return ckpt


# --------------------------------------------------------------------------- the loops

def make_loaders(data, batch_size, workers, eval_batch_size=500):
    """Training (shuffled by huoba's default generator) and test DataLoaders over `data`."""
    from ..utils.data import DataLoader
    from ._data import ArrayDataset, collate_batch
    train = DataLoader(ArrayDataset(data.train_x, data.train_y), batch_size=batch_size, shuffle=True,
                       num_workers=workers, collate_fn=collate_batch)
    test = DataLoader(ArrayDataset(data.test_x, data.test_y), batch_size=max(batch_size, eval_batch_size),
                      shuffle=False, num_workers=workers, collate_fn=collate_batch)
    return train, test


def train_epoch(model, loader, optimizer, loss_fn, device, progress=None, desc=""):
    """One pass over `loader`; returns (mean loss, accuracy, images seen)."""
    model.train()
    total_loss = total_correct = None
    seen = 0
    bar = progress(total=len(loader), desc=desc, unit="batch", leave=False, file=sys.stdout,
                   dynamic_ncols=True) if progress else None
    for step, (images, labels) in enumerate(loader, 1):
        if device.type != "cpu":
            images, labels = images.to(device), labels.to(device)
        out = model(images)
        loss = loss_fn(out, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        n = labels.shape[0]
        batch_loss = loss.detach() * n
        batch_correct = (out.detach().argmax(1) == labels).sum()
        total_loss = batch_loss if total_loss is None else total_loss + batch_loss
        total_correct = batch_correct if total_correct is None else total_correct + batch_correct
        seen += n
        if bar is not None:
            bar.update(1)
            if step % 10 == 0 or step == len(loader):
                bar.set_postfix(loss=f"{total_loss.item() / seen:.4f}", acc=f"{total_correct.item() / seen:.2%}")
    if bar is not None:
        bar.close()
    if not seen:
        return float("nan"), float("nan"), 0
    return total_loss.item() / seen, total_correct.item() / seen, seen


def evaluate(model, loader, loss_fn, device):
    """(mean loss, accuracy, predictions as a NumPy array) over `loader`."""
    import huoba
    model.eval()
    total_loss, preds = 0.0, []
    seen = 0
    with huoba.no_grad():
        for images, labels in loader:
            if device.type != "cpu":
                images, labels = images.to(device), labels.to(device)
            out = model(images)
            n = labels.shape[0]
            total_loss += loss_fn(out, labels).item() * n
            preds.append(out.argmax(1).cpu().numpy())
            seen += n
    pred = np.concatenate(preds) if preds else np.zeros(0, np.int64)
    correct = int((pred == loader.dataset.labels[:len(pred)]).sum())
    return total_loss / max(seen, 1), correct / max(seen, 1), pred


def confusion_matrix(labels, preds, n_classes):
    return np.bincount(labels * n_classes + preds, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def _build_optimizer(cfg, model):
    from .. import optim
    if cfg["optimizer"] == "sgd":
        opt = optim.SGD(model.parameters(), lr=cfg["lr"], momentum=cfg["momentum"])
    else:
        opt = optim.Adam(model.parameters(), lr=cfg["lr"])
    sched = None
    if cfg["scheduler"] == "step":
        sched = optim.lr_scheduler.StepLR(opt, step_size=max(1, math.ceil(cfg["epochs"] / 3)), gamma=0.1)
    elif cfg["scheduler"] == "cosine":
        sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg["epochs"])
    return opt, sched


# --------------------------------------------------------------------------- the command

def run(args):
    try:
        return _run(args)
    except KeyboardInterrupt:
        out = getattr(args, "out", "runs/latest")
        print(f"\ninterrupted; continue with: huoba train --resume --out {out}", file=sys.stderr)
        return 130


def _run(args):
    import huoba
    from .. import nn
    from . import _data
    from .models import build_model

    data_dir = args.data_dir or os.environ.get("HUOBA_DATA") or "data"
    ckpt = None
    if args.resume is not None:
        path = os.path.join(args.out, CHECKPOINT) if args.resume is True else args.resume
        ckpt = _load_checkpoint(path)
        cfg = dict(ckpt["config"])
        if args.epochs is not None:
            cfg["epochs"] = args.epochs
        parser = getattr(args, "parser", None)
        ignored = [k for k in RESUME_FIXED if parser is not None and getattr(args, k) != parser.get_default(k)
                   and getattr(args, k) != cfg.get(k)]
        if ignored:
            print(f"note: {', '.join('--' + k.replace('_', '-') for k in ignored)} ignored: a resumed run keeps the "
                  f"checkpoint's settings", file=sys.stderr)
        print(f"resuming from {path} (epoch {ckpt['epoch']} of {cfg['epochs']})")
    else:
        cfg = _config(args)
    device = resolve_device(args.device)
    if device.type == "cuda":
        huoba.cuda.set_device(device)  # CuPy runs kernels on the current device

    try:
        data = _data.load(cfg["dataset"], data_dir, download=args.download)
    except _data.DataError as err:
        raise CLIError(str(err)) from None
    if cfg.pop("_recipe", False):
        _fill(cfg, data.name)
        cfg["dataset"] = data.name
    data.limit(cfg["limit"])
    print(f"data: {data.description}: {len(data.train_y):,} training and {len(data.test_y):,} test images "
          f"of {'x'.join(map(str, data.image_shape))}")

    huoba.manual_seed(cfg["seed"])
    channels, size = data.image_shape[0], data.image_shape[1]
    try:
        model = build_model(cfg["model"], channels, size, num_classes=len(data.classes))
    except ValueError as err:
        raise CLIError(str(err)) from None
    model.to(device)
    optimizer, scheduler = _build_optimizer(cfg, model)
    loss_fn = nn.CrossEntropyLoss()
    history, start = [], 1
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        if scheduler is not None and ckpt.get("scheduler") is not None:
            scheduler.load_state_dict(ckpt["scheduler"])
        huoba.set_rng_state(ckpt["rng_state"])
        history = [dict(r) for r in ckpt["history"]]
        start = int(ckpt["epoch"]) + 1
    n_params = sum(p.numel() for p in model.parameters())
    print(_describe_config(cfg, n_params, device))

    os.makedirs(args.out, exist_ok=True)
    train_loader, test_loader = make_loaders(data, cfg["batch_size"], args.workers)
    progress = import_progress(args.quiet)
    header = f"{'epoch':>5}  {'train loss':>10}  {'train acc':>9}  {'test loss':>9}  {'test acc':>8}  {'time':>7}"
    print(header)
    print("-" * len(header))
    for row in history:
        _print_row(row)
    preds = None
    last = cfg["epochs"] if args.stop_after is None else min(cfg["epochs"], start - 1 + args.stop_after)
    for epoch in range(start, last + 1):
        t0 = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        train_loss, train_acc, _ = train_epoch(model, train_loader, optimizer, loss_fn, device, progress,
                                               desc=f"epoch {epoch}/{cfg['epochs']}")
        if scheduler is not None:
            scheduler.step()
        test_loss, test_acc, preds = evaluate(model, test_loader, loss_fn, device)
        row = dict(epoch=epoch, train_loss=train_loss, train_acc=train_acc, test_loss=test_loss, test_acc=test_acc,
                   lr=lr, time=round(time.perf_counter() - t0, 3))
        history.append(row)
        _print_row(row)
        huoba.save({"epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict() if scheduler is not None else None,
                    "rng_state": _rng_state(), "history": history, "config": cfg,
                    "classes": data.classes}, os.path.join(args.out, CHECKPOINT))
        _write_metrics(args.out, cfg, data, history, None)
    if last < cfg["epochs"]:
        print(f"stopped after epoch {last}; continue with: huoba train --resume --out {args.out}")
        return 0
    if preds is None:  # resumed a finished run: evaluate once more for the report
        _, _, preds = evaluate(model, test_loader, loss_fn, device)
    _final_report(args.out, cfg, data, history, preds, model, figures=not args.no_figures)
    return 0


def _rng_state():
    """The default generator's state as a uint8 tensor, as torch.get_rng_state() gives it."""
    import huoba
    state = huoba.get_rng_state()
    if not isinstance(state, huoba.Tensor):  # huoba.random hands back the NumPy array
        state = huoba.from_numpy(np.array(state, dtype=np.uint8))
    return state


def _print_row(row):
    print(f"{row['epoch']:>5}  {row['train_loss']:>10.4f}  {row['train_acc']:>9.2%}  {row['test_loss']:>9.4f}  "
          f"{row['test_acc']:>8.2%}  {row['time']:>6.1f}s", flush=True)


def _write_metrics(out, cfg, data, history, confusion):
    from . import _report
    payload = {"config": cfg, "data": data.description, "classes": data.classes,
               "train_images": int(len(data.train_y)), "test_images": int(len(data.test_y)), "history": history}
    if confusion is not None:
        totals = confusion.sum(axis=1)
        payload["per_class_accuracy"] = {c: (float(confusion[i, i] / totals[i]) if totals[i] else None)
                                         for i, c in enumerate(data.classes)}
        payload["confusion_matrix"] = confusion.tolist()
        payload["final"] = {k: history[-1][k] for k in ("epoch", "train_loss", "train_acc", "test_loss", "test_acc")}
    _report.write_json(os.path.join(out, "metrics.json"), payload)
    _report.write_csv(os.path.join(out, "metrics.csv"), history)


def _final_report(out, cfg, data, history, preds, model, figures=True):
    import huoba
    from . import _report
    labels = data.test_y[:len(preds)]
    confusion = confusion_matrix(labels, preds, len(data.classes))
    totals = confusion.sum(axis=1)
    width = max(8, max(len(c) for c in data.classes))
    print(f"\nper-class test accuracy (final test accuracy {history[-1]['test_acc']:.2%}):")
    print(f"  {'class':<{width}}  {'accuracy':>8}  {'correct':>9}")
    for i, c in enumerate(data.classes):
        acc = f"{confusion[i, i] / totals[i]:.1%}" if totals[i] else "--"
        print(f"  {c:<{width}}  {acc:>8}  {f'{confusion[i, i]}/{totals[i]}':>9}")
    _write_metrics(out, cfg, data, history, confusion)
    huoba.save(model.state_dict(), os.path.join(out, "model.pth"))
    written = ["metrics.json", "metrics.csv", CHECKPOINT, "model.pth"]
    if not figures:
        pass
    elif _report.have_matplotlib():
        title = f"{cfg['model']} on {data.name}"
        _report.plot_curves(os.path.join(out, "curves.png"), history, f"{title}: training curves")
        _report.plot_confusion(os.path.join(out, "confusion.png"), confusion, data.classes,
                               f"{title}: confusion matrix (test accuracy {history[-1]['test_acc']:.2%})")
        k = min(32, len(preds))
        _report.plot_samples(os.path.join(out, "samples.png"), data.denormalise(data.test_x[:k]), preds[:k],
                             labels[:k], data.classes, f"{title}: test images, predicted vs true label")
        written += ["curves.png", "confusion.png", "samples.png"]
    else:
        print("matplotlib is not installed: no figures (pip install 'huoba[lab]')")
    print(f"wrote {', '.join(written)} to {out}")
