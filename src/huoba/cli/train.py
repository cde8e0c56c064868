"""`huoba train`: train one of the lab's networks and report what the lab asks for.

With no arguments it runs offline: MNIST if its IDX files are in the data
directory, otherwise scikit-learn's handwritten digits (shipped inside the
package) resized to 28x28.
"""
import json
import os
import sys
import time


def add_parser(sub):
    p = sub.add_parser("train", help="train a lab network (LeNet on MNIST by default)")
    p.add_argument("--dataset", default="auto", help="mnist | fashion-mnist | digits | auto (default)")
    p.add_argument("--model", default="lenet", choices=sorted(MODELS), help="network to train")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--momentum", type=float, default=0.0)
    p.add_argument("--optimizer", default="sgd", choices=["sgd", "adam"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--data-dir", default=os.environ.get("HUOBA_DATA", "./data"))
    p.add_argument("--out", default="./runs/latest")
    p.add_argument("--limit", type=int, default=None, help="use at most this many training images")
    p.set_defaults(func=run)


def _lenet(nn):
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 12, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(192, 120), nn.ReLU(), nn.Linear(120, 60), nn.ReLU(), nn.Linear(60, 10))


def _mlp(nn):
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                         nn.Linear(512, 10))


MODELS = {"lenet": _lenet, "mlp": _mlp}


def _fail(message):
    print(f"huoba train: error: {message}", file=sys.stderr)
    return 2


def load_dataset(name, data_dir):
    """(train_images, train_labels, test_images, test_labels, description) as NumPy arrays,
    images float32 (N, 1, 28, 28) normalised like the lab's MNIST transform."""
    from . import _data
    return _data.load(name, data_dir)


def run(args):
    import numpy as np
    import huoba
    from huoba import nn, optim

    if args.device.startswith("cuda") and not huoba.cuda.is_available():
        return _fail(f"device '{args.device}' is not available (no CUDA GPU found); use --device cpu")
    try:
        xtr, ytr, xte, yte, description = load_dataset(args.dataset, args.data_dir)
    except (FileNotFoundError, ValueError, ImportError) as err:
        return _fail(str(err))
    if args.limit:
        xtr, ytr = xtr[:args.limit], ytr[:args.limit]
    print(f"data: {description}: {len(xtr)} training and {len(xte)} test images")

    huoba.manual_seed(args.seed)
    model = MODELS[args.model](nn)
    if args.optimizer == "sgd":
        opt = optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    else:
        opt = optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    xtr_t, ytr_t = huoba.from_numpy(xtr), huoba.from_numpy(ytr)
    xte_t, yte_t = huoba.from_numpy(xte), huoba.from_numpy(yte)
    os.makedirs(args.out, exist_ok=True)
    history = []
    print(f"{'epoch':>5} {'train loss':>10} {'train acc':>9} {'test loss':>9} {'test acc':>8} {'time':>7}")
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        model.train()
        order = huoba.randperm(len(xtr))
        total, correct, loss_sum = 0, 0, 0.0
        for i in range(0, len(xtr), args.batch_size):
            idx = order[i:i + args.batch_size]
            images, labels = xtr_t[idx], ytr_t[idx]
            out = model(images)
            loss = loss_fn(out, labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(labels)
            correct += (out.argmax(1) == labels).sum().item()
            total += len(labels)
        test_loss, test_acc, per_class = evaluate(model, loss_fn, xte_t, yte_t, args.batch_size)
        elapsed = time.perf_counter() - start
        row = dict(epoch=epoch, train_loss=loss_sum / total, train_acc=correct / total, test_loss=test_loss,
                   test_acc=test_acc, time=elapsed)
        history.append(row)
        print(f"{epoch:>5} {row['train_loss']:>10.4f} {row['train_acc']:>9.2%} {test_loss:>9.4f} "
              f"{test_acc:>8.2%} {elapsed:>6.1f}s")
        huoba.save({"epoch": epoch, "model": model.state_dict(), "optimizer": opt.state_dict()},
                   os.path.join(args.out, "checkpoint.pth"))
    print("per-class test accuracy: " + ", ".join(f"{c}: {a:.1%}" for c, a in enumerate(per_class)))
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump({"history": history, "per_class_accuracy": per_class, "data": description}, f, indent=2)
    with open(os.path.join(args.out, "metrics.csv"), "w") as f:
        f.write(",".join(history[0]) + "\n")
        for row in history:
            f.write(",".join(str(v) for v in row.values()) + "\n")
    print(f"wrote {args.out}/metrics.json, metrics.csv and checkpoint.pth")
    return 0


def evaluate(model, loss_fn, images, labels, batch_size):
    import huoba
    model.eval()
    n_classes = 10
    hits = [0] * n_classes
    counts = [0] * n_classes
    loss_sum = 0.0
    with huoba.no_grad():
        for i in range(0, len(images), batch_size):
            x, y = images[i:i + batch_size], labels[i:i + batch_size]
            out = model(x)
            loss_sum += loss_fn(out, y).item() * len(y)
            pred = out.argmax(1)
            for c, p in zip(y.tolist(), pred.tolist()):
                counts[c] += 1
                hits[c] += int(c == p)
    per_class = [h / c if c else 0.0 for h, c in zip(hits, counts)]
    return loss_sum / len(images), sum(hits) / len(images), per_class
