"""`huoba bench devices`, `huoba summary` and `huoba graph` from the command line."""
import shutil

import pytest

import huoba
from huoba.cli import main

from cli_helpers import huoba_cmd, conv_available

HAS_CONV = conv_available()


def test_bench_devices_on_cpu(tmp_path):
    model = "lenet" if HAS_CONV else "mlp"
    result = huoba_cmd("bench", "devices", "--epochs", "1", "--limit", "200", "--model", model, "--quiet",
                       "--dataset", "digits", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "200 training images" in out
    if not huoba.cuda.is_available():
        assert "no CUDA GPU is available" in out and "timing the CPU alone" in out
    table = out[out.index("device "):].splitlines()
    assert table[0].split() == ["device", "name", "time", "(s)", "images/s", "speedup"]
    cpu_row = next(line for line in table if line.startswith("cpu "))
    assert cpu_row.rstrip().endswith("1.00x")


def test_bench_errors(tmp_path, capsys):
    assert main(["bench", "devices", "--model", "alexnet9"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == ("huoba bench devices: error: unknown model 'alexnet9' "
                           "(expected one of lenet, seven-layer, mlp, cifar-net, resnet18)")
    with pytest.raises(SystemExit) as exc:
        main(["bench", "devices", "--epochs", "0"])
    assert exc.value.code == 2
    assert "argument --epochs: expected a positive integer" in capsys.readouterr().err


def test_bench_without_subcommand_prints_help(capsys):
    assert main(["bench"]) == 0
    assert "devices" in capsys.readouterr().out


# --------------------------------------------------------------------------- summary

def test_summary_mlp_command(tmp_path):
    result = huoba_cmd("summary", "mlp", "--input", "1,28,28", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Linear (0): 2-1" in out and "[1, 784]" in out and "[1, 512]" in out
    assert "weight [512, 784], bias [512]" in out
    assert "Total params: 669,706" in out


@pytest.mark.skipif(not HAS_CONV, reason="huoba's Conv2d / MaxPool2d forward is not available yet")
@pytest.mark.parametrize("name, shape, total", [("lenet", "1,28,28", 32_998), ("seven-layer", "1,28,28", 22_654),
                                               ("cifar-net", "3,32,32", 62_006)])
def test_summary_lab_networks(capsys, name, shape, total):
    assert main(["summary", name, "--input", shape]) == 0
    out = capsys.readouterr().out
    assert f"Total params: {total:,}" in out


def test_summary_of_a_user_class_written_for_pytorch(tmp_path):
    """'module:Class' and 'file.py:Class' import the user's code with torch aliased to huoba
    (in a subprocess: the aliasing must not leak into this test process's real torch)."""
    (tmp_path / "mynet.py").write_text(
        "import torch\nfrom torch import nn\n\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.fc1 = nn.Linear(20, 30)\n"
        "        self.fc2 = nn.Linear(30, 5)\n\n"
        "    def forward(self, x):\n"
        "        return self.fc2(torch.relu(self.fc1(x)))\n")
    result = huoba_cmd("summary", "mynet:Net", "--input", "20", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Linear (fc1): 1-1" in result.stdout and "[1, 20]" in result.stdout and "[1, 30]" in result.stdout
    assert "Total params: 785" in result.stdout
    result = huoba_cmd("summary", tmp_path / "mynet.py:Net", "--input", "20", cwd=tmp_path.parent)
    assert result.returncode == 0, result.stderr
    assert "Total params: 785" in result.stdout


@pytest.mark.parametrize("args, fragment", [
    (["summary", "nonet"], "unknown model 'nonet'"),
    (["summary", "os.path:Net"], "--input C,H,W is needed"),
    (["summary", "mlp", "--input", "1,28,29"], "takes square images"),
    (["summary", "lenet", "--input", "1,8,8"], "images of 8x8 pixels are too small for --model lenet"),
    (["graph", "mlp", "--out", "graph.jpg"], "--out must end in .dot"),
])
def test_describe_errors_are_one_line(capsys, args, fragment):
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"huoba {args[0]}: error: ") and fragment in err, err


def test_unimportable_model_is_one_line(tmp_path):
    result = huoba_cmd("summary", "nosuchmodule:Net", "--input", "3", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == ("huoba summary: error: cannot import 'nosuchmodule': "
                                     "No module named 'nosuchmodule'")


def test_bad_input_shape_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["summary", "mlp", "--input", "1,a,3"])
    assert exc.value.code == 2
    assert "expected a shape such as 1,28,28, got '1,a,3'" in capsys.readouterr().err


# --------------------------------------------------------------------------- graph

def test_graph_command_writes_dot(tmp_path):
    result = huoba_cmd("graph", "mlp", "--out", tmp_path / "g.dot", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "g.dot").read_text()
    assert text.startswith("digraph")
    for name in ("AddmmBackward0", "ReluBackward0", "TBackward0", "layers.0.weight\\n(512, 784)", "output\\n(1, 10)"):
        assert name in text


def test_graph_svg_with_or_without_graphviz(tmp_path, capsys):
    assert main(["graph", "mlp", "--out", str(tmp_path / "g.svg")]) == 0
    out, err = capsys.readouterr()
    assert (tmp_path / "g.dot").is_file()
    if shutil.which("dot"):
        assert (tmp_path / "g.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
        assert "AddmmBackward0" in (tmp_path / "g.svg").read_text()
    else:
        assert not (tmp_path / "g.svg").exists()
        assert "needs Graphviz's `dot` program" in err
