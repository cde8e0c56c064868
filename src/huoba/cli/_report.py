"""What `huoba train` writes besides checkpoints: metrics files and the three figures.

The figures use matplotlib's object API on the Agg canvas (no pyplot, no
display, no change to the process-wide backend).
"""
import csv
import io
import json
import os

import numpy as np

__all__ = ["write_json", "write_csv", "plot_curves", "plot_confusion", "plot_samples", "have_matplotlib"]

CSV_FIELDS = ("epoch", "train_loss", "train_acc", "test_loss", "test_acc", "lr", "time")


def _atomic_write(path, text):
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", newline="") as f:
        f.write(text)
    os.replace(tmp, path)


def write_json(path, payload):
    _atomic_write(path, json.dumps(payload, indent=2) + "\n")


def write_csv(path, history):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for row in history:
        writer.writerow([row[k] for k in CSV_FIELDS])
    _atomic_write(path, buf.getvalue())


def have_matplotlib():
    try:
        import matplotlib  # noqa: F401
        return True
    except ImportError:
        return False


def _figure(width, height, layout="constrained"):
    from matplotlib.figure import Figure
    return Figure(figsize=(width, height), layout=layout)


def _save(fig, path):
    tmp = f"{path}.tmp{os.getpid()}.png"
    fig.savefig(tmp, dpi=110)
    os.replace(tmp, path)


def plot_curves(path, history, title):
    """Loss and accuracy per epoch, train and test."""
    from matplotlib.ticker import MaxNLocator
    epochs = [r["epoch"] for r in history]
    fig = _figure(10, 4)
    ax_loss, ax_acc = fig.subplots(1, 2)
    for ax, key, label in ((ax_loss, "loss", "Cross-entropy loss"), (ax_acc, "acc", "Accuracy (%)")):
        scale = 100.0 if key == "acc" else 1.0
        for split, style in (("train", "o-"), ("test", "s--")):
            ax.plot(epochs, [r[f"{split}_{key}"] * scale for r in history], style, label=split)
        ax.set_xlabel("Epoch")
        ax.set_ylabel(label)
        ax.set_title(("Loss" if key == "loss" else "Accuracy") + " per epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    _save(fig, path)


def plot_confusion(path, matrix, classes, title):
    """Counts of (true, predicted) test labels, annotated, with the class names on both axes."""
    matrix = np.asarray(matrix)
    n = len(classes)
    side = min(max(5.0, 0.55 * n + 2.5), 14.0)
    fig = _figure(side + 1.2, side)
    ax = fig.subplots()
    im = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(im, ax=ax, label="Test images")
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xticklabels(classes, rotation=45 if max(len(c) for c in classes) > 2 else 0, ha="right"
                       if max(len(c) for c in classes) > 2 else "center")
    ax.set_yticklabels(classes)
    ax.set_xlabel("Predicted label")
    ax.set_ylabel("True label")
    ax.set_title(title)
    if n <= 30:
        threshold = matrix.max() / 2 if matrix.size else 0
        for i in range(n):
            for j in range(n):
                ax.text(j, i, str(int(matrix[i, j])), ha="center", va="center", fontsize=8,
                        color="white" if matrix[i, j] > threshold else "black")
    _save(fig, path)


def plot_samples(path, images, preds, labels, classes, title, columns=8):
    """A grid of test images (values in [0, 1], (N, C, H, W)), each titled with its predicted
    and true label: green when right, red when wrong."""
    n = len(images)
    rows = max(1, -(-n // columns))
    height = rows * 1.6 + 0.6
    fig = _figure(columns * 1.35, height, layout=None)  # a fixed layout: constrained layout is slow here
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=1 - 0.6 / height, wspace=0.08,
                        hspace=0.45 * 1.6 / 1.35)
    axes = np.atleast_1d(fig.subplots(rows, columns)).reshape(-1)
    for k, ax in enumerate(axes):
        ax.set_axis_off()
        if k >= n:
            continue
        img = images[k]
        if img.shape[0] == 1:
            ax.imshow(img[0], cmap="gray", vmin=0.0, vmax=1.0)
        else:
            ax.imshow(np.transpose(img, (1, 2, 0)))
        right = preds[k] == labels[k]
        ax.set_title(f"pred: {classes[preds[k]]}\ntrue: {classes[labels[k]]}", fontsize=7,
                     color="green" if right else "red")
    fig.suptitle(title)
    _save(fig, path)
