"""torchvision.models on huoba: module layout and state_dict keys/shapes identical to torchvision's,
weights enums, `weights=` / `pretrained=True` from PyTorch's hub cache (never the network), forward values."""
import os
import sys
import urllib.request
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import huoba  # noqa: E402
from huoba.vision import models  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from vision_helpers import NetworkGuard  # noqa: E402

# torchvision 0.28's resnet18 state dict: key and shape ("-" for a 0-d tensor), in order
RESNET18_STATE = """
conv1.weight 64x3x7x7    bn1.weight 64    bn1.bias 64
bn1.running_mean 64    bn1.running_var 64    bn1.num_batches_tracked -
layer1.0.conv1.weight 64x64x3x3    layer1.0.bn1.weight 64    layer1.0.bn1.bias 64
layer1.0.bn1.running_mean 64    layer1.0.bn1.running_var 64    layer1.0.bn1.num_batches_tracked -
layer1.0.conv2.weight 64x64x3x3    layer1.0.bn2.weight 64    layer1.0.bn2.bias 64
layer1.0.bn2.running_mean 64    layer1.0.bn2.running_var 64    layer1.0.bn2.num_batches_tracked -
layer1.1.conv1.weight 64x64x3x3    layer1.1.bn1.weight 64    layer1.1.bn1.bias 64
layer1.1.bn1.running_mean 64    layer1.1.bn1.running_var 64    layer1.1.bn1.num_batches_tracked -
layer1.1.conv2.weight 64x64x3x3    layer1.1.bn2.weight 64    layer1.1.bn2.bias 64
layer1.1.bn2.running_mean 64    layer1.1.bn2.running_var 64    layer1.1.bn2.num_batches_tracked -
layer2.0.conv1.weight 128x64x3x3    layer2.0.bn1.weight 128    layer2.0.bn1.bias 128
layer2.0.bn1.running_mean 128    layer2.0.bn1.running_var 128    layer2.0.bn1.num_batches_tracked -
layer2.0.conv2.weight 128x128x3x3    layer2.0.bn2.weight 128    layer2.0.bn2.bias 128
layer2.0.bn2.running_mean 128    layer2.0.bn2.running_var 128    layer2.0.bn2.num_batches_tracked -
layer2.0.downsample.0.weight 128x64x1x1    layer2.0.downsample.1.weight 128    layer2.0.downsample.1.bias 128
layer2.0.downsample.1.running_mean 128    layer2.0.downsample.1.running_var 128    layer2.0.downsample.1.num_batches_tracked -
layer2.1.conv1.weight 128x128x3x3    layer2.1.bn1.weight 128    layer2.1.bn1.bias 128
layer2.1.bn1.running_mean 128    layer2.1.bn1.running_var 128    layer2.1.bn1.num_batches_tracked -
layer2.1.conv2.weight 128x128x3x3    layer2.1.bn2.weight 128    layer2.1.bn2.bias 128
layer2.1.bn2.running_mean 128    layer2.1.bn2.running_var 128    layer2.1.bn2.num_batches_tracked -
layer3.0.conv1.weight 256x128x3x3    layer3.0.bn1.weight 256    layer3.0.bn1.bias 256
layer3.0.bn1.running_mean 256    layer3.0.bn1.running_var 256    layer3.0.bn1.num_batches_tracked -
layer3.0.conv2.weight 256x256x3x3    layer3.0.bn2.weight 256    layer3.0.bn2.bias 256
layer3.0.bn2.running_mean 256    layer3.0.bn2.running_var 256    layer3.0.bn2.num_batches_tracked -
layer3.0.downsample.0.weight 256x128x1x1    layer3.0.downsample.1.weight 256    layer3.0.downsample.1.bias 256
layer3.0.downsample.1.running_mean 256    layer3.0.downsample.1.running_var 256    layer3.0.downsample.1.num_batches_tracked -
layer3.1.conv1.weight 256x256x3x3    layer3.1.bn1.weight 256    layer3.1.bn1.bias 256
layer3.1.bn1.running_mean 256    layer3.1.bn1.running_var 256    layer3.1.bn1.num_batches_tracked -
layer3.1.conv2.weight 256x256x3x3    layer3.1.bn2.weight 256    layer3.1.bn2.bias 256
layer3.1.bn2.running_mean 256    layer3.1.bn2.running_var 256    layer3.1.bn2.num_batches_tracked -
layer4.0.conv1.weight 512x256x3x3    layer4.0.bn1.weight 512    layer4.0.bn1.bias 512
layer4.0.bn1.running_mean 512    layer4.0.bn1.running_var 512    layer4.0.bn1.num_batches_tracked -
layer4.0.conv2.weight 512x512x3x3    layer4.0.bn2.weight 512    layer4.0.bn2.bias 512
layer4.0.bn2.running_mean 512    layer4.0.bn2.running_var 512    layer4.0.bn2.num_batches_tracked -
layer4.0.downsample.0.weight 512x256x1x1    layer4.0.downsample.1.weight 512    layer4.0.downsample.1.bias 512
layer4.0.downsample.1.running_mean 512    layer4.0.downsample.1.running_var 512    layer4.0.downsample.1.num_batches_tracked -
layer4.1.conv1.weight 512x512x3x3    layer4.1.bn1.weight 512    layer4.1.bn1.bias 512
layer4.1.bn1.running_mean 512    layer4.1.bn1.running_var 512    layer4.1.bn1.num_batches_tracked -
layer4.1.conv2.weight 512x512x3x3    layer4.1.bn2.weight 512    layer4.1.bn2.bias 512
layer4.1.bn2.running_mean 512    layer4.1.bn2.running_var 512    layer4.1.bn2.num_batches_tracked -
fc.weight 1000x512    fc.bias 1000
"""


def parse_state(text):
    out = []
    for item in text.split("    "):
        for line in item.strip().splitlines():
            name, shape = line.split()
            out.append((name, () if shape == "-" else tuple(int(s) for s in shape.split("x"))))
    return out


@pytest.fixture
def fast_init(monkeypatch):
    """Skip the (slow, irrelevant here) random initialisation: the layout is what these tests check."""
    from huoba import nn
    for name in ("kaiming_normal_", "kaiming_uniform_", "normal_", "constant_", "ones_", "zeros_", "uniform_"):
        monkeypatch.setattr(nn.init, name, lambda tensor, *a, **k: tensor)
    for cls in (nn.Linear, nn.Conv2d, nn.BatchNorm2d):
        if hasattr(cls, "reset_parameters"):
            monkeypatch.setattr(cls, "reset_parameters", lambda self: None)


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    guard = NetworkGuard()
    monkeypatch.setattr(urllib.request, "urlopen", guard)
    return tmp_path / "torch_home", guard


def shapes(model):
    return [(k, tuple(v.shape)) for k, v in model.state_dict().items()]


def test_resnet18_state_dict_is_torchvisions(fast_init):
    expected = parse_state(RESNET18_STATE)
    assert len(expected) == 122
    got = shapes(models.resnet18())
    assert got == expected
    assert got[0] == ("conv1.weight", (64, 3, 7, 7)) and got[-1] == ("fc.bias", (1000,))
    assert shapes(models.resnet18(num_classes=10))[-2:] == [("fc.weight", (10, 512)), ("fc.bias", (10,))]


VGG11_KEYS = ["features.0.weight", "features.0.bias", "features.3.weight", "features.3.bias", "features.6.weight",
              "features.6.bias", "features.8.weight", "features.8.bias", "features.11.weight", "features.11.bias",
              "features.13.weight", "features.13.bias", "features.16.weight", "features.16.bias",
              "features.18.weight", "features.18.bias", "classifier.0.weight", "classifier.0.bias",
              "classifier.3.weight", "classifier.3.bias", "classifier.6.weight", "classifier.6.bias"]
ALEXNET_KEYS = ["features.0.weight", "features.0.bias", "features.3.weight", "features.3.bias", "features.6.weight",
                "features.6.bias", "features.8.weight", "features.8.bias", "features.10.weight", "features.10.bias",
                "classifier.1.weight", "classifier.1.bias", "classifier.4.weight", "classifier.4.bias",
                "classifier.6.weight", "classifier.6.bias"]


@pytest.mark.parametrize("name,count,first,last,num_params", [
    ("vgg11", 22, ("features.0.weight", (64, 3, 3, 3)), ("classifier.6.bias", (1000,)), 132863336),
    ("vgg16", 32, ("features.0.weight", (64, 3, 3, 3)), ("classifier.6.bias", (1000,)), 138357544),
    ("alexnet", 16, ("features.0.weight", (64, 3, 11, 11)), ("classifier.6.bias", (1000,)), 61100840),
    ("resnet34", 218, ("conv1.weight", (64, 3, 7, 7)), ("fc.bias", (1000,)), 21797672),
    ("resnet50", 320, ("conv1.weight", (64, 3, 7, 7)), ("fc.bias", (1000,)), 25557032),
    ("mobilenet_v2", 314, ("features.0.0.weight", (32, 3, 3, 3)), ("classifier.1.bias", (1000,)), 3504872),
    ("squeezenet1_0", 52, ("features.0.weight", (96, 3, 7, 7)), ("classifier.1.bias", (1000,)), 1248424),
])
def test_state_dict_layout(fast_init, name, count, first, last, num_params):
    model = getattr(models, name)()
    got = shapes(model)
    assert len(got) == count and got[0] == first and got[-1] == last
    assert sum(p.numel() for p in model.parameters()) == num_params        # torchvision's weights meta num_params
    if name == "vgg11":
        assert [k for k, _ in got] == VGG11_KEYS
    if name == "alexnet":
        assert [k for k, _ in got] == ALEXNET_KEYS
    if name == "mobilenet_v2":
        assert [k for k, _ in got][6:10] == ["features.1.conv.0.0.weight", "features.1.conv.0.1.weight",
                                             "features.1.conv.0.1.bias", "features.1.conv.0.1.running_mean"]
    if name == "resnet50":
        assert ("layer1.0.downsample.0.weight", (256, 64, 1, 1)) in got and ("layer4.2.conv3.weight", (2048, 512, 1, 1)) in got


def test_module_reprs(fast_init):
    r = repr(models.resnet18())
    tnn = torch.nn
    assert r.startswith(f"ResNet(\n  (conv1): {tnn.Conv2d(3, 64, 7, 2, 3, bias=False)!r}\n  (bn1): "
                        f"{tnn.BatchNorm2d(64)!r}\n  (relu): ReLU(inplace=True)\n  (maxpool): {tnn.MaxPool2d(3, 2, 1)!r}"
                        "\n  (layer1): Sequential(\n    (0): BasicBlock(")
    assert r.endswith("  (avgpool): AdaptiveAvgPool2d(output_size=(1, 1))\n  (fc): Linear(in_features=512, "
                      "out_features=1000, bias=True)\n)")
    s = repr(models.squeezenet1_0(num_classes=5))
    assert "    (3): Fire(\n      (squeeze): Conv2d(96, 16, kernel_size=(1, 1), stride=(1, 1))\n" in s
    assert "(1): Conv2d(512, 5, kernel_size=(1, 1), stride=(1, 1))" in s


def test_weights_enums():
    W = models.ResNet18_Weights
    assert W.DEFAULT is W.IMAGENET1K_V1 and repr(W.DEFAULT) == "ResNet18_Weights.IMAGENET1K_V1"
    assert W.DEFAULT.url == "https://download.pytorch.org/models/resnet18-f37072fd.pth"
    assert len(W.DEFAULT.meta["categories"]) == 1000 and W.DEFAULT.meta["categories"][:2] == ["tench", "goldfish"]
    assert models.ResNet50_Weights.DEFAULT is models.ResNet50_Weights.IMAGENET1K_V2
    assert models.MobileNet_V2_Weights.DEFAULT.url.endswith("mobilenet_v2-7ebf99e0.pth")
    for enum in (models.ResNet34_Weights, models.VGG11_Weights, models.VGG16_Weights, models.AlexNet_Weights,
                 models.SqueezeNet1_0_Weights):
        assert enum.DEFAULT.url.startswith("https://download.pytorch.org/models/")
    assert models.get_weight("ResNet18_Weights.IMAGENET1K_V1") is W.IMAGENET1K_V1
    assert models.get_model_weights("resnet18") is W
    assert "resnet18" in models.list_models() and "vgg11" in models.list_models(include="vgg*")
    preprocess = W.DEFAULT.transforms()
    assert repr(preprocess) == ("ImageClassification(\n    crop_size=[224]\n    resize_size=[256]\n"
                                "    mean=[0.485, 0.456, 0.406]\n    std=[0.229, 0.224, 0.225]\n"
                                "    interpolation=InterpolationMode.BILINEAR\n)")
    x = preprocess(huoba.randint(0, 256, (3, 300, 260), dtype=huoba.uint8))
    assert tuple(x.shape) == (3, 224, 224) and x.dtype == huoba.float32
    with pytest.raises(TypeError, match="Invalid Weight class provided; expected ResNet18_Weights but received "
                                        "VGG11_Weights."):
        models.resnet18(weights=models.VGG11_Weights.DEFAULT)


def test_pretrained_offline_gives_a_clear_error(torch_home, fast_init):
    home, guard = torch_home
    folder = os.path.join(str(home), "hub", "checkpoints")
    with pytest.raises(RuntimeError) as info:
        models.resnet18(weights=models.ResNet18_Weights.DEFAULT)
    msg = str(info.value)
    assert msg.startswith("Pretrained weights resnet18-f37072fd.pth are not available offline and could not be "
                          "downloaded from https://download.pytorch.org/models/resnet18-f37072fd.pth (")
    assert f"Place resnet18-f37072fd.pth in {folder} (or set TORCH_HOME) and run again" in msg
    assert guard.urls == ["https://download.pytorch.org/models/resnet18-f37072fd.pth"]
    assert not os.path.exists(folder) or os.listdir(folder) == []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(RuntimeError, match="mobilenet_v2-b0353104.pth are not available offline"):
            models.mobilenet_v2(pretrained=True)                # the legacy spelling means IMAGENET1K_V1
    assert any("'pretrained' is deprecated since 0.13" in str(w.message) for w in caught)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        assert models.resnet18(pretrained=False).fc.out_features == 1000


def test_pretrained_weights_from_the_hub_cache(torch_home):
    home, guard = torch_home
    folder = home / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    donor = models.squeezenet1_1()
    state = {k: torch.from_numpy(v.numpy().copy()) for k, v in donor.state_dict().items()}
    state = {k: (v + 1 if v.is_floating_point() else v) for k, v in state.items()}
    torch.save(state, folder / "squeezenet1_1-b8a52dc0.pth")                 # as PyTorch's hub would have it
    model = models.squeezenet1_1(weights="DEFAULT")
    assert guard.urls == []
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), state[k].numpy())
    with pytest.raises(ValueError, match="The parameter 'num_classes' expected value 1000 but got 10 instead."):
        models.squeezenet1_1(weights=models.SqueezeNet1_1_Weights.IMAGENET1K_V1, num_classes=10)


def _conv_available():
    try:
        huoba.nn.functional.conv2d(huoba.zeros(1, 1, 3, 3), huoba.zeros(1, 1, 1, 1))
        huoba.nn.functional.max_pool2d(huoba.zeros(1, 1, 3, 3), 2)
        huoba.nn.functional.adaptive_avg_pool2d(huoba.zeros(1, 1, 3, 3), 1)
        return True
    except NotImplementedError:
        return False


def _torch_resnet18(x, sd):
    """resnet18's forward in eval mode, with torch.nn.functional and the given state dict."""
    F = torch.nn.functional

    def bn(t, p):
        return F.batch_norm(t, sd[p + ".running_mean"], sd[p + ".running_var"], sd[p + ".weight"], sd[p + ".bias"],
                            False, 0.1, 1e-5)

    x = F.relu(bn(F.conv2d(x, sd["conv1.weight"], stride=2, padding=3), "bn1"))
    x = F.max_pool2d(x, 3, 2, 1)
    for layer, stride in ((1, 1), (2, 2), (3, 2), (4, 2)):
        for block in (0, 1):
            p = f"layer{layer}.{block}"
            s = stride if block == 0 else 1
            out = F.relu(bn(F.conv2d(x, sd[p + ".conv1.weight"], stride=s, padding=1), p + ".bn1"))
            out = bn(F.conv2d(out, sd[p + ".conv2.weight"], padding=1), p + ".bn2")
            if p + ".downsample.0.weight" in sd:
                x = bn(F.conv2d(x, sd[p + ".downsample.0.weight"], stride=s), p + ".downsample.1")
            x = F.relu(out + x)
    x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
    return F.linear(x, sd["fc.weight"], sd["fc.bias"])


@pytest.mark.skipif(not _conv_available(), reason="huoba.nn.functional.conv2d / pooling not available yet")
def test_resnet18_forward_matches_torch():
    huoba.manual_seed(0)
    model = models.resnet18(num_classes=10).eval()
    rng = np.random.default_rng(0)
    with huoba.no_grad():
        for name, buf in model.named_buffers():
            if name.endswith("running_mean"):
                buf.copy_(huoba.from_numpy(rng.standard_normal(buf.shape).astype(np.float32) * 0.1))
            elif name.endswith("running_var"):
                buf.copy_(huoba.from_numpy(rng.random(buf.shape).astype(np.float32) + 0.5))
    sd = {k: torch.from_numpy(v.numpy().copy()) for k, v in model.state_dict().items()}
    x = rng.standard_normal((2, 3, 32, 32)).astype(np.float32)
    with huoba.no_grad():
        out = model(huoba.from_numpy(x))
    ref = _torch_resnet18(torch.from_numpy(x), sd)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-4, atol=1e-4)
