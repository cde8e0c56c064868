"""torchvision.io (read/decode/encode/write via Pillow) and torchvision.utils (make_grid, save_image)."""
import csv
import math
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("PIL")
from PIL import Image  # noqa: E402

import huoba  # noqa: E402
from huoba.utils.data import DataLoader, Dataset  # noqa: E402
from huoba.vision import io, transforms, utils  # noqa: E402
from huoba.vision.io import ImageReadMode, read_image  # noqa: E402

RNG = np.random.default_rng(0)


def save(tmp_path, name, arr, mode=None):
    path = tmp_path / name
    img = Image.fromarray(arr) if mode is None else Image.fromarray(arr).convert(mode)
    img.save(path)
    return path, img


# ------------------------------------------------------------------------------------------------- io


def test_read_image_modes(tmp_path):
    rgb = RNG.integers(0, 256, (6, 9, 3), dtype=np.uint8)
    path, img = save(tmp_path, "a.png", rgb)
    t = read_image(str(path))
    assert t.dtype == huoba.uint8 and tuple(t.shape) == (3, 6, 9)
    np.testing.assert_array_equal(t.numpy(), rgb.transpose(2, 0, 1))
    gray = read_image(path, mode=ImageReadMode.GRAY)
    np.testing.assert_array_equal(gray.numpy(), np.asarray(img.convert("L"))[None])
    rgba = read_image(path, ImageReadMode.RGB_ALPHA)
    assert tuple(rgba.shape) == (4, 6, 9) and (rgba.numpy()[3] == 255).all()
    assert ImageReadMode.RGBA is ImageReadMode.RGB_ALPHA
    la = read_image(path, ImageReadMode.GRAY_ALPHA)
    assert tuple(la.shape) == (2, 6, 9)
    gpath, _ = save(tmp_path, "g.png", rgb[..., 0])
    assert tuple(read_image(gpath).shape) == (1, 6, 9)
    np.testing.assert_array_equal(read_image(gpath, ImageReadMode.RGB).numpy(), np.stack([rgb[..., 0]] * 3))
    ppath, pimg = save(tmp_path, "p.png", rgb, mode="P")
    np.testing.assert_array_equal(read_image(ppath).numpy(), np.asarray(pimg.convert("RGB")).transpose(2, 0, 1))
    jpath = tmp_path / "a.jpg"
    Image.fromarray(rgb).save(jpath, quality=95)
    np.testing.assert_array_equal(read_image(jpath).numpy(), np.asarray(Image.open(jpath)).transpose(2, 0, 1))
    assert ImageReadMode.UNCHANGED.value == 0 and ImageReadMode.RGB_ALPHA.value == 4
    with pytest.raises(RuntimeError, match="No such file or directory"):
        read_image(tmp_path / "missing.png")
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(RuntimeError, match="could not decode"):
        read_image(tmp_path / "bad.png")


def test_decode_encode_write_roundtrip(tmp_path):
    rgb = RNG.integers(0, 256, (5, 4, 3), dtype=np.uint8)
    x = huoba.from_numpy(rgb.transpose(2, 0, 1).copy())
    io.write_png(x, str(tmp_path / "x.png"))
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "x.png")), rgb)
    data = io.read_file(str(tmp_path / "x.png"))
    assert data.dtype == huoba.uint8 and data.ndim == 1 and bytes(data.numpy()[:4]) == b"\x89PNG"
    np.testing.assert_array_equal(io.decode_image(data).numpy(), x.numpy())
    np.testing.assert_array_equal(io.decode_png(io.encode_png(x)).numpy(), x.numpy())
    io.write_jpeg(x, tmp_path / "x.jpg", quality=90)
    back = read_image(tmp_path / "x.jpg")
    Image.fromarray(rgb).save(tmp_path / "pil.jpg", quality=90)
    np.testing.assert_array_equal(back.numpy(), np.asarray(Image.open(tmp_path / "pil.jpg")).transpose(2, 0, 1))
    assert bytes(io.encode_jpeg(x).numpy()[:2]) == b"\xff\xd8"
    np.testing.assert_array_equal(io.decode_image(str(tmp_path / "x.png"), mode="GRAY").shape, (1, 5, 4))
    with pytest.raises(RuntimeError, match="Input tensor dtype should be uint8, got torch.float32"):
        io.encode_png(x.float())
    with pytest.raises(ValueError, match="Image quality should be a positive number between 1 and 100"):
        io.encode_jpeg(x, quality=0)


class CustomImageDataset(Dataset):
    """The tutorial's dataset: a CSV of (file name, label) and read_image."""

    def __init__(self, annotations_file, img_dir, transform=None, target_transform=None):
        with open(annotations_file, newline="") as f:
            self.img_labels = [(row[0], int(row[1])) for row in csv.reader(f)]
        self.img_dir = img_dir
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.img_labels)

    def __getitem__(self, idx):
        img_path = os.path.join(self.img_dir, self.img_labels[idx][0])
        image = read_image(img_path)
        label = self.img_labels[idx][1]
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            label = self.target_transform(label)
        return image, label


def test_custom_csv_dataset_with_read_image(tmp_path):
    arrays = []
    with open(tmp_path / "labels.csv", "w", newline="") as f:
        writer = csv.writer(f)
        for i in range(5):
            arr = RNG.integers(0, 256, (8, 8), dtype=np.uint8)
            Image.fromarray(arr).save(tmp_path / f"img{i}.png")
            writer.writerow([f"img{i}.png", i % 3])
            arrays.append(arr)
    ds = CustomImageDataset(tmp_path / "labels.csv", str(tmp_path),
                            transform=transforms.ConvertImageDtype(huoba.float32))
    image, label = ds[2]
    assert image.dtype == huoba.float32 and tuple(image.shape) == (1, 8, 8) and label == 2
    np.testing.assert_allclose(image.numpy()[0], arrays[2] / np.float32(255), rtol=0, atol=0)
    loader = DataLoader(ds, batch_size=2, shuffle=False)
    batches = list(loader)
    assert [tuple(b[0].shape) for b in batches] == [(2, 1, 8, 8), (2, 1, 8, 8), (1, 1, 8, 8)]
    assert batches[0][1].tolist() == [0, 1]


def test_custom_dataset_with_pandas(tmp_path):
    pd = pytest.importorskip("pandas")
    Image.fromarray(np.zeros((3, 3), np.uint8)).save(tmp_path / "z.png")
    pd.DataFrame({"file": ["z.png"], "label": [4]}).to_csv(tmp_path / "a.csv", index=False)
    table = pd.read_csv(tmp_path / "a.csv")
    image = read_image(os.path.join(tmp_path, table.iloc[0, 0]))
    assert tuple(image.shape) == (1, 3, 3) and int(table.iloc[0, 1]) == 4


# ---------------------------------------------------------------------------------------------- utils


def _ref_make_grid(t, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """torchvision's make_grid, in torch."""
    if t.dim() == 3:
        t = t.unsqueeze(0)
    if t.size(1) == 1:
        t = torch.cat((t, t, t), 1)
    if normalize:
        t = t.clone()

        def norm(img, lo, hi):
            img.clamp_(min=lo, max=hi)
            img.sub_(lo).div_(max(hi - lo, 1e-5))
        for part in (t if scale_each else [t]):
            lo, hi = value_range if value_range is not None else (float(part.min()), float(part.max()))
            norm(part, lo, hi)
    if t.size(0) == 1:
        return t.squeeze(0)
    n = t.size(0)
    xmaps = min(nrow, n)
    ymaps = int(math.ceil(n / xmaps))
    height, width = t.size(2) + padding, t.size(3) + padding
    grid = t.new_full((t.size(1), height * ymaps + padding, width * xmaps + padding), pad_value)
    for k in range(n):
        y, x = divmod(k, xmaps)
        grid[:, y * height + padding:(y + 1) * height, x * width + padding:(x + 1) * width] = t[k]
    return grid


@pytest.mark.parametrize("shape", [(4, 3, 5, 6), (10, 1, 4, 4), (1, 3, 3, 3), (3, 5, 5), (2, 2, 3, 3)])
@pytest.mark.parametrize("kwargs", [{}, {"nrow": 3, "padding": 1, "pad_value": 0.5}, {"normalize": True},
                                    {"normalize": True, "scale_each": True},
                                    {"normalize": True, "value_range": (-1.0, 1.0)}, {"padding": 0}])
def test_make_grid(shape, kwargs):
    x = RNG.standard_normal(shape).astype(np.float32)
    out = utils.make_grid(huoba.from_numpy(x.copy()), **kwargs)
    ref = _ref_make_grid(torch.from_numpy(x.copy()), **kwargs)
    assert out.dtype == huoba.float32 and tuple(out.shape) == tuple(ref.shape)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())


def test_make_grid_list_and_errors():
    imgs = [huoba.rand(3, 4, 4) for _ in range(3)]
    np.testing.assert_array_equal(utils.make_grid(imgs, nrow=2).numpy(), utils.make_grid(huoba.stack(imgs), nrow=2)
                                  .numpy())
    assert tuple(utils.make_grid(huoba.rand(4, 3, 32, 32)).shape) == (3, 36, 138)     # the CIFAR tutorial's 4 images
    with pytest.raises(TypeError, match="tensor or list of tensors expected, got <class 'int'>"):
        utils.make_grid(3)
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        utils.make_grid(huoba.rand(2, 3, 2, 2), normalize=True, value_range=[0, 1])


def test_save_image(tmp_path):
    x = RNG.random((5, 3, 6, 6)).astype(np.float32)
    utils.save_image(huoba.from_numpy(x), tmp_path / "grid.png", nrow=2, padding=1)
    grid = _ref_make_grid(torch.from_numpy(x), nrow=2, padding=1)
    ref = grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to(torch.uint8).numpy()
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "grid.png")), ref)
    utils.save_image(huoba.from_numpy(x[0]), str(tmp_path / "one.jpg"))
    assert Image.open(tmp_path / "one.jpg").size == (6, 6)
