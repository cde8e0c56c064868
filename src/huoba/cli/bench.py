"""`huoba bench devices`: the lab's CPU vs GPU comparison.

Trains the lab's CNN for N epochs on the same few thousand images on every
available device (the CPU, then each CUDA GPU) and prints the training times
and the GPU's speedup over the CPU.  Each device first runs one untimed batch
on a throwaway copy of the network (CuPy compiles its kernels on first use);
the timed runs start from the same seed, so they do the same work.
"""
import os
import platform
import sys
import time

from ._common import CLIError, positive_int, positive_float, import_progress


def add_parser(sub):
    p = sub.add_parser("bench", help="benchmarks (huoba bench devices: CPU vs GPU training time)",
                       description="Benchmarks of the lab's workloads.")
    p.set_defaults(func=None, parser=p)
    bsub = p.add_subparsers(dest="bench", metavar="BENCHMARK")
    d = bsub.add_parser("devices", help="train the lab CNN on the CPU and on each GPU and compare the times",
                        description=__doc__.split("\n\n")[1].replace("\n", " "))
    d.add_argument("--epochs", type=positive_int, default=1, help="epochs per device (default 1)")
    d.add_argument("--model", default="lenet", help="network (default: lenet, the lab's CNN)")
    d.add_argument("--dataset", default="auto", help="as for huoba train (default: MNIST if present, else digits)")
    d.add_argument("--data-dir", default=None, help="where the datasets are (default: $HUOBA_DATA or ./data)")
    d.add_argument("--limit", type=positive_int, default=4000, help="training images (default 4000)")
    d.add_argument("--batch-size", type=positive_int, default=100)
    d.add_argument("--lr", type=positive_float, default=0.1)
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--quiet", action="store_true", help="no progress bar")
    d.set_defaults(func=run_devices, parser=d)
    return p


def _cpu_name():
    name = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    name = name or platform.processor() or platform.machine()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{name} ({cores} cores)"


def _devices():
    import huoba
    devices = [(huoba.device("cpu"), _cpu_name())]
    if huoba.cuda.is_available():
        for i in range(huoba.cuda.device_count()):
            devices.append((huoba.device("cuda", i), huoba.cuda.get_device_name(i)))
    return devices


def _sync(device):
    import huoba
    if device.type == "cuda":
        huoba.cuda.synchronize(device)


def run_devices(args):
    import huoba
    from .. import nn, optim
    from . import _data
    from .models import build_model, MODELS
    from .train import make_loaders, train_epoch

    if args.model not in MODELS:
        raise CLIError(f"unknown model '{args.model}' (expected one of {', '.join(MODELS)})")
    data_dir = args.data_dir or os.environ.get("HUOBA_DATA") or "data"
    try:
        data = _data.load(args.dataset, data_dir)
    except _data.DataError as err:
        raise CLIError(str(err)) from None
    data.train_x, data.train_y = data.train_x[:args.limit], data.train_y[:args.limit]
    n = len(data.train_y)
    print(f"data: {data.description}: {n:,} training images of {'x'.join(map(str, data.image_shape))}")
    devices = _devices()
    if len(devices) == 1:
        print("no CUDA GPU is available (huoba needs an NVIDIA GPU and CuPy): timing the CPU alone")
    print(f"training {args.model} for {args.epochs} epoch(s), batch size {args.batch_size}, SGD lr={args.lr:g}, "
          f"on {', '.join(str(d) for d, _ in devices)}")
    progress = import_progress(args.quiet)
    channels, size = data.image_shape[0], data.image_shape[1]
    loss_fn = nn.CrossEntropyLoss()
    results = []
    for device, name in devices:
        if device.type == "cuda":
            huoba.cuda.set_device(device)  # CuPy runs kernels on the current device

        def fresh():
            model = build_model(args.model, channels, size, num_classes=len(data.classes)).to(device)
            return model, optim.SGD(model.parameters(), lr=args.lr)
        # warm-up on a throwaway network: first-use costs (kernel compilation, allocation)
        huoba.manual_seed(args.seed)
        try:
            model, opt = fresh()
        except ValueError as err:  # images too small for the network
            raise CLIError(str(err)) from None
        loader, _ = make_loaders(data, args.batch_size, 0)
        images, labels = next(iter(loader))
        loss = loss_fn(model(images.to(device)), labels.to(device))
        opt.zero_grad()
        loss.backward()
        opt.step()
        _sync(device)
        huoba.manual_seed(args.seed)
        model, opt = fresh()
        loader, _ = make_loaders(data, args.batch_size, 0)
        _sync(device)
        t0 = time.perf_counter()
        for epoch in range(1, args.epochs + 1):
            loss, acc, _ = train_epoch(model, loader, opt, loss_fn, device, progress,
                                       desc=f"{device} epoch {epoch}/{args.epochs}")
        _sync(device)
        elapsed = time.perf_counter() - t0
        results.append((device, name, elapsed, loss, acc))
        print(f"  {str(device):<7} {elapsed:8.2f} s   final train loss {loss:.4f}, accuracy {acc:.2%}", flush=True)

    cpu_time = results[0][2]
    images = n * args.epochs
    width = max(len("name"), max(len(r[1]) for r in results))
    print()
    print(f"{'device':<8}  {'name':<{width}}  {'time (s)':>9}  {'images/s':>9}  {'speedup':>8}")
    print("-" * (8 + width + 9 + 9 + 8 + 8))
    for device, name, elapsed, _, _ in results:
        print(f"{str(device):<8}  {name:<{width}}  {elapsed:>9.2f}  {images / elapsed:>9,.0f}  "
              f"{cpu_time / elapsed:>7.2f}x")
    if len(results) > 1:
        best = min(results[1:], key=lambda r: r[2])
        print(f"\n{best[0]} trains {cpu_time / best[2]:.1f}x as fast as the CPU on this workload "
              f"(a small network: larger ones gain more from the GPU)")
    sys.stdout.flush()
    return 0
