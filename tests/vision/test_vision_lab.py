"""A lab-style script, unchanged PyTorch/torchvision code, run with `python -m huoba run` on fixture data."""
import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("PIL")

sys.path.insert(0, os.path.dirname(__file__))
from vision_helpers import write_cifar, write_mnist  # noqa: E402
from conftest import ROOT  # noqa: E402

LAB = """
import torch
import torchvision
import torchvision.transforms as transforms
import torch.nn as nn
import torch.nn.functional as F
from torchvision import datasets
from torchvision.transforms import ToTensor, Lambda

batch_size = 4
train_set = torchvision.datasets.MNIST('./dataset_mnist', train=True, download=True,
                                       transform=torchvision.transforms.Compose([
                                           torchvision.transforms.ToTensor(),
                                           torchvision.transforms.Normalize((0.1307,), (0.3081,))]))
test_set = torchvision.datasets.MNIST('./dataset_mnist', train=False, download=True,
                                      transform=torchvision.transforms.Compose([
                                          torchvision.transforms.ToTensor(),
                                          torchvision.transforms.Normalize((0.1307,), (0.3081,))]))
print(test_set)
train_loader = torch.utils.data.DataLoader(train_set, batch_size=batch_size, shuffle=True)
test_loader = torch.utils.data.DataLoader(test_set, batch_size=batch_size, shuffle=False)
images, labels = next(iter(train_loader))
print(f"Feature batch shape: {images.size()}")
print(f"Labels batch shape: {labels.size()}")


class Network(nn.Module):
    def __init__(self):
        super(Network, self).__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(28 * 28, 32)
        self.out = nn.Linear(32, 10)

    def forward(self, t):
        return self.out(F.relu(self.fc1(self.flatten(t))))


torch.manual_seed(0)
network = Network()
optimizer = torch.optim.SGD(network.parameters(), lr=0.01)
for epoch in range(2):
    for images, labels in train_loader:
        loss = F.cross_entropy(network(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
correct = 0
with torch.no_grad():
    for images, labels in test_loader:
        correct += (network(images).argmax(dim=1) == labels).sum().item()
print("accuracy in [0, 1]:", 0 <= correct / len(test_set) <= 1)

ds = datasets.FashionMNIST(root="data", train=False, download=True, transform=ToTensor(),
                           target_transform=Lambda(lambda y: torch.zeros(10, dtype=torch.float).scatter_(
                               0, torch.tensor(y), value=1)))
img, label = ds[0]
print(img.shape, label.sum().item(), ds.classes[0])

transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
trainset = torchvision.datasets.CIFAR10(root='../data', train=True, download=True, transform=transform)
trainloader = torch.utils.data.DataLoader(trainset, batch_size=4, shuffle=True, num_workers=0)
classes = ('plane', 'car', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck')
dataiter = iter(trainloader)
images, labels = next(dataiter)
grid = torchvision.utils.make_grid(images)
print(grid.shape, len(' '.join('%5s' % classes[labels[j]] for j in range(4))))
"""

NO_NETWORK = """
import urllib.request


def _offline(*args, **kwargs):
    raise AssertionError("the lab script tried to use the network")


urllib.request.urlopen = _offline
"""


def test_lab_script_runs_under_huoba_run(tmp_path):
    work = tmp_path / "lab"
    work.mkdir()
    write_mnist(work / "dataset_mnist", n_train=16, n_test=8, gz=True)
    write_mnist(work / "data", name="FashionMNIST", n_train=4, n_test=3)
    write_cifar(tmp_path / "data")
    (work / "lab.py").write_text(textwrap.dedent(LAB))
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(NO_NETWORK)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(guard), str(ROOT / "src")]))
    result = subprocess.run([sys.executable, "-m", "huoba", "run", "lab.py"], capture_output=True, text=True,
                            cwd=work, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Dataset MNIST",
        "    Number of datapoints: 8",
        "    Root location: ./dataset_mnist",
        "    Split: Test",
        "    StandardTransform",
        "Transform: Compose(",
        "               ToTensor()",
        "               Normalize(mean=(0.1307,), std=(0.3081,))",
        "           )",
        "Feature batch shape: torch.Size([4, 1, 28, 28])",
        "Labels batch shape: torch.Size([4])",
        "accuracy in [0, 1]: True",
        "torch.Size([1, 28, 28]) 1.0 T-shirt/top",
        "torch.Size([3, 36, 138]) 23",
    ]
