"""`huoba run` and `huoba.compat.install()`: unmodified PyTorch scripts on huoba."""
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT


def run_script(tmp_path, source, *args, cwd=None):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source))
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.run([sys.executable, "-m", "huoba", "run", str(script), *args], capture_output=True,
                          text=True, cwd=cwd or tmp_path, env=env, timeout=120)


def test_import_torch_resolves_to_huoba(tmp_path):
    result = run_script(tmp_path, """
        import torch
        import torch.nn as nn
        from torch import tensor
        from torch.autograd import grad
        import huoba
        assert torch is huoba and nn is huoba.nn and tensor is huoba.tensor
        print(torch.tensor([1, 2]) + 1)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "tensor([2, 3])\n"


def test_argv_main_and_relative_paths(tmp_path):
    (tmp_path / "data.txt").write_text("hello")
    result = run_script(tmp_path, """
        import sys
        print(__name__, sys.argv[1:], open("data.txt").read())
    """, "--epochs", "3", "-x")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "__main__ ['--epochs', '3', '-x'] hello\n"
    assert result.stdout.split()[0] == "__main__"


def test_exit_codes_match_python(tmp_path):
    assert run_script(tmp_path, "import sys; sys.exit(3)").returncode == 3
    failing = run_script(tmp_path, "raise ValueError('boom')")
    assert failing.returncode == 1
    assert "ValueError: boom" in failing.stderr


def test_script_dir_is_importable(tmp_path):
    (tmp_path / "helper_mod.py").write_text("VALUE = 41\n")
    other = tmp_path / "elsewhere"
    other.mkdir()
    result = run_script(tmp_path, "import helper_mod; print(helper_mod.VALUE + 1)", cwd=other)
    assert result.stdout == "42\n", result.stderr


def test_missing_pytorch_module_names_it(tmp_path):
    result = run_script(tmp_path, "import torch.distributed.fsdp")
    assert result.returncode == 1
    assert "huoba does not implement 'torch.distributed" in result.stderr


def test_missing_script(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    result = subprocess.run([sys.executable, "-m", "huoba", "run", "nope.py"], capture_output=True, text=True,
                            cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "can't open file 'nope.py'" in result.stderr


def test_install_in_process():
    from huoba import compat
    saved = {k: v for k, v in sys.modules.items() if k == "torch" or k.startswith("torch.")}
    try:
        for k in saved:
            del sys.modules[k]
        compat.install()
        import torch as aliased
        import huoba
        assert aliased is huoba
    finally:
        compat.uninstall()
        sys.modules.update(saved)
