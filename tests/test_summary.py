"""huoba.summary: layer rows, shapes and parameter counts checked against PyTorch twins."""

import pytest

import huoba
import huoba.nn as hnn
import huoba.nn.functional as HF

torch = pytest.importorskip("torch")


def _conv_available():
    try:
        hnn.Conv2d(1, 1, 3)(huoba.zeros(1, 1, 5, 5))
        hnn.MaxPool2d(2)(huoba.zeros(1, 1, 4, 4))
        return True
    except (NotImplementedError, ImportError, AttributeError):
        return False


needs_conv = pytest.mark.skipif(not _conv_available(), reason="huoba's Conv2d / MaxPool2d forward not available yet")


def _lenet(nn, F):
    """The MNIST lab's CNN written once for both frameworks."""
    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, kernel_size=5)
            self.pool1 = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 12, kernel_size=5)
            self.pool2 = nn.MaxPool2d(2, 2)
            self.fc1 = nn.Linear(192, 120)
            self.fc2 = nn.Linear(120, 60)
            self.out = nn.Linear(60, 10)

        def forward(self, t):
            t = self.pool1(F.relu(self.conv1(t)))
            t = self.pool2(F.relu(self.conv2(t)))
            t = t.reshape(t.shape[0], -1)
            return self.out(F.relu(self.fc2(F.relu(self.fc1(t)))))
    return LeNet()


def _mlp(nn):
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                         nn.Linear(512, 10))


def _torch_rows(model, x):
    """(class name, input shape, output shape, own parameter count) for every module call, in order."""
    rows = []

    def pre(mod, inp):
        rows.append([type(mod).__name__, list(inp[0].shape), None,
                     sum(p.numel() for p in mod.parameters(recurse=False))])
        stack.append(rows[-1])

    def post(mod, inp, out):
        stack.pop()[2] = list(out.shape)

    stack = []
    handles = [m.register_forward_pre_hook(pre) for m in model.modules()]
    handles += [m.register_forward_hook(post) for m in model.modules()]
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return rows


def _compare_with_torch(h_model, t_model, input_size, batch_size=1):
    s = huoba.summary(h_model, input_size, batch_size=batch_size, verbose=0)
    expected = _torch_rows(t_model, torch.zeros((batch_size,) + tuple(input_size)))
    got = [[r.class_name, eval(r.input_shape), eval(r.output_shape), r.num_params] for r in s.summary_list]
    assert got == expected
    assert s.total_params == sum(p.numel() for p in t_model.parameters())
    assert s.trainable_params == s.total_params
    return s


@needs_conv
def test_lenet_matches_torch():
    s = _compare_with_torch(_lenet(hnn, HF), _lenet(torch.nn, torch.nn.functional), (1, 28, 28))
    assert s.total_params == 32_998
    text = str(s)
    lines = text.splitlines()
    row = next(line for line in lines if "Conv2d (conv1)" in line)
    assert row.split()[-1] == "156"
    assert "[1, 1, 28, 28]" in row and "[1, 6, 24, 24]" in row and "weight [6, 1, 5, 5], bias [6]" in row
    row = next(line for line in lines if "Linear (fc1)" in line)
    assert "[1, 192]" in row and "[1, 120]" in row and "weight [120, 192], bias [120]" in row
    assert row.split()[-1] == "23,160"
    assert "MaxPool2d (pool2): 1-4" in text and "[1, 12, 4, 4]" in text
    assert "Total params: 32,998" in text and "Trainable params: 32,998" in text
    # conv1 3456 outputs x 25 + conv2 768 x 150 + fc 23040 + 7200 + 600
    assert s.total_mult_adds == 86_400 + 115_200 + 23_040 + 7_200 + 600
    assert "Total mult-adds (M): 0.23" in text
    assert s.input_bytes == 28 * 28 * 4 and s.param_bytes == 32_998 * 4
    assert "Params size (MB): 0.13" in text


@needs_conv
def test_lab_networks_of_the_cli_match_torch():
    from huoba.cli.models import CifarNet, SevenLayerNet
    for cls, size in ((SevenLayerNet, (1, 28, 28)), (CifarNet, (3, 32, 32))):
        s = huoba.summary(cls(), size, verbose=0)
        convs = [r for r in s.summary_list if r.class_name == "Conv2d"]
        assert all(r.output_shape != "--" for r in convs)
    s = huoba.summary(SevenLayerNet(), (1, 28, 28), verbose=0)
    t = torch.nn.Sequential(torch.nn.Conv2d(1, 6, 5), torch.nn.Conv2d(6, 12, 5), torch.nn.Conv2d(12, 24, 2, padding=1),
                            torch.nn.Linear(96, 120), torch.nn.Linear(120, 60), torch.nn.Linear(60, 10))
    assert s.total_params == sum(p.numel() for p in t.parameters())
    shapes = [(r.class_name, r.output_shape) for r in s.summary_list if r.depth == 1]
    assert ("Conv2d", "[1, 24, 5, 5]") in shapes and shapes[-1] == ("Linear", "[1, 10]")


def test_mlp_matches_torch_and_prints(capsys):
    model = _mlp(hnn)
    s = _compare_with_torch(model, _mlp(torch.nn), (1, 28, 28), batch_size=4)
    huoba.summary(model, (1, 28, 28), batch_size=4)
    printed = capsys.readouterr().out
    assert printed.rstrip("\n") == str(s)
    assert printed.splitlines()[1].split() == ["Layer", "(type", "(var_name):depth-idx)", "Input", "Shape",
                                               "Output", "Shape", "Param", "Shapes", "Param", "#"]
    assert "Sequential" in printed and "├─Linear (1): 1-2" in printed and "[4, 784]" in printed
    assert "Total params: 669,706" in printed and "Non-trainable params: 0" in printed
    assert s.total_mult_adds == 4 * (784 * 512 + 512 * 512 + 512 * 10)
    # every line of the table has the same width as the rules
    width = len(printed.splitlines()[0])
    body = printed.splitlines()[3:11]
    assert all(len(line) == width for line in body)


def test_verbose_zero_prints_nothing(capsys):
    s = huoba.summary(hnn.Linear(3, 2), (3,), verbose=0)
    assert capsys.readouterr().out == ""
    assert s.total_params == 8
    assert s.summary_list[0].depth == 0 and s.summary_list[0].output_shape == "[1, 2]"
    assert "Linear" in repr(s)


def test_nested_depth_shared_modules_and_frozen_parameters():
    class Block(hnn.Module):
        def __init__(self):
            super().__init__()
            self.inner = hnn.Sequential(hnn.Linear(8, 8), hnn.Tanh())

        def forward(self, x):
            return self.inner(x)

    class Net(hnn.Module):
        def __init__(self):
            super().__init__()
            self.block = Block()
            self.shared = hnn.Linear(8, 8)
            self.head = hnn.Linear(8, 2)
            self.scale = hnn.Parameter(huoba.ones(8))
            self.head.weight.requires_grad_(False)

        def forward(self, x):
            x = self.shared(self.shared(self.block(x))) * self.scale
            return self.head(x)

    net = Net()
    s = huoba.summary(net, (8,), verbose=0)
    names = [(r.class_name, r.depth, r.index, r.repeated) for r in s.summary_list]
    assert names == [("Net", 0, 1, False), ("Block", 1, 1, False), ("Sequential", 2, 1, False),
                     ("Linear", 3, 1, False), ("Tanh", 3, 2, False), ("Linear", 1, 2, False),
                     ("Linear", 1, 3, True), ("Linear", 1, 4, False)]
    total = sum(p.numel() for p in net.parameters())
    assert s.total_params == total == 72 + 72 + 18 + 8
    assert s.trainable_params == total - 16
    text = str(s)
    assert "(recursive)" in text
    assert "Non-trainable params: 16" in text
    assert "scale [8]" in text.splitlines()[3]          # the root's own parameter
    shallow = str(huoba.summary(net, (8,), depth=1, verbose=0))
    assert "Sequential" not in shallow
    block_row = next(line for line in shallow.splitlines() if "Block (block)" in line)
    assert block_row.split()[-1] == "72"               # children hidden: the block's total
    deep_block_row = next(line for line in text.splitlines() if "Block (block)" in line)
    assert deep_block_row.split()[-1] == "--"


def test_several_inputs_and_input_data():
    class Two(hnn.Module):
        def __init__(self):
            super().__init__()
            self.a = hnn.Linear(3, 4)
            self.b = hnn.Linear(5, 4)

        def forward(self, x, y):
            return self.a(x) + self.b(y)

    s = huoba.summary(Two(), [(3,), (5,)], batch_size=2, verbose=0)
    assert [r.input_shape for r in s.summary_list] == ["[2, 3]", "[2, 3]", "[2, 5]"]
    assert s.input_bytes == (6 + 10) * 4
    s = huoba.summary(Two(), input_data=[huoba.zeros(7, 3), huoba.zeros(7, 5)], verbose=0)
    assert s.summary_list[0].output_shape == "[7, 4]"


def test_training_mode_is_restored_and_errors():
    model = _mlp(hnn)
    model.train()
    huoba.summary(model, (1, 28, 28), verbose=0)
    assert model.training and all(m.training for m in model.modules())
    assert not model._forward_hooks and not model._forward_pre_hooks
    with pytest.raises(ValueError, match="needs input_size"):
        huoba.summary(model)
    with pytest.raises(ValueError, match="positive integers"):
        huoba.summary(model, (1, 0, 28))
    with pytest.raises(RuntimeError):
        huoba.summary(model, (1, 27, 28), verbose=0)   # the Linear rejects 756 features
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())
