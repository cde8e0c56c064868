"""`huoba summary` and `huoba graph`: describe a network without training it.

MODEL is one of the lab's networks (lenet, seven-layer, mlp, cifar-net,
resnet18), built for the `--input` size, or 'module.path:Name' /
'path/to/file.py:Name' naming an nn.Module class (or a function returning a
module) in your own code, where `import torch` resolves to huoba.
"""
import os
import sys
import warnings

from ._common import CLIError, positive_int, parse_shape


def add_parsers(sub):
    from .models import MODELS
    names = ", ".join(MODELS)
    s = sub.add_parser("summary", help="a network layer by layer: shapes, parameter shapes and counts, memory",
                       description=__doc__.split("\n\n")[1].replace("\n", " "))
    s.add_argument("model", metavar="MODEL", help=f"{names}, or module.path:Class")
    s.add_argument("--input", type=parse_shape, default=None, metavar="C,H,W",
                   help="input size without the batch dimension (default: the network's own, e.g. 1,28,28)")
    s.add_argument("--batch-size", type=positive_int, default=1)
    s.add_argument("--depth", type=positive_int, default=3, help="how deep to list nested modules (default 3)")
    s.add_argument("--num-classes", type=positive_int, default=10, help="outputs of the lab networks (default 10)")
    s.set_defaults(func=run_summary, parser=s)

    g = sub.add_parser("graph", help="the autograd graph of a network's output as DOT (SVG/PNG with Graphviz)",
                       description="Run one forward pass and write the computation graph behind the output: "
                                   "backward nodes named as their grad_fn, parameters with names and shapes. "
                                   + __doc__.split("\n\n")[1].replace("\n", " "))
    g.add_argument("model", metavar="MODEL", help=f"{names}, or module.path:Class")
    g.add_argument("--input", type=parse_shape, default=None, metavar="C,H,W",
                   help="input size without the batch dimension (default: the network's own)")
    g.add_argument("--out", default="graph.svg", help="graph.dot, graph.svg, graph.png or graph.pdf "
                                                     "(default graph.svg; SVG/PNG/PDF need Graphviz's dot)")
    g.add_argument("--num-classes", type=positive_int, default=10, help="outputs of the lab networks (default 10)")
    g.set_defaults(func=run_graph, parser=g)


def _model_and_input(args):
    from .models import MODELS, NATIVE_INPUT, build_model, load_model_spec
    if args.model in MODELS:
        shape = args.input or NATIVE_INPUT[args.model]
        if len(shape) != 3 or shape[1] != shape[2]:
            raise CLIError(f"--model {args.model} takes square images as --input C,H,W (H = W), got "
                           f"{','.join(map(str, shape))}")
        try:
            model = build_model(args.model, shape[0], shape[1], num_classes=args.num_classes)
        except ValueError as err:
            raise CLIError(str(err)) from None
        return model, shape
    if ":" not in args.model:
        raise CLIError(f"unknown model '{args.model}' (expected one of {', '.join(MODELS)}, or module.path:Class)")
    if args.input is None:
        raise CLIError(f"--input C,H,W is needed for '{args.model}' (the input size without the batch dimension)")
    try:
        model = load_model_spec(args.model)
    except ValueError as err:
        raise CLIError(str(err)) from None
    return model, args.input


def _forward_error(args, shape, err):
    return CLIError(f"the forward pass of {args.model} failed for an input of {[1, *shape]}: "
                    f"{type(err).__name__}: {err}")


def run_summary(args):
    from ..summary import summary
    model, shape = _model_and_input(args)
    try:
        summary(model, shape, batch_size=args.batch_size, depth=args.depth)
    except (RuntimeError, ValueError, TypeError, IndexError) as err:
        raise _forward_error(args, shape, err) from None
    return 0


def run_graph(args):
    import huoba
    from ..autograd.graph import draw
    ext = os.path.splitext(args.out)[1].lower()
    if ext not in (".dot", ".gv", ".svg", ".png", ".pdf"):
        raise CLIError(f"--out must end in .dot, .gv, .svg, .png or .pdf, got '{args.out}'")
    model, shape = _model_and_input(args)
    huoba.manual_seed(0)
    x = huoba.randn(1, *shape)
    try:
        out = model(x)
    except (RuntimeError, ValueError, TypeError, IndexError) as err:
        raise _forward_error(args, shape, err) from None
    if isinstance(out, (tuple, list)):
        out = [t for t in out if hasattr(t, "grad_fn")]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        written = draw(out, args.out, params=model, name="output")
    for w in caught:
        print(f"huoba graph: note: {w.message}", file=sys.stderr)
    print(f"wrote {' and '.join(written)}")
    return 0
