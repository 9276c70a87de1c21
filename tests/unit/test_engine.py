import os
import threading
import time
from pathlib import Path

from orchestrator.terraform import engine


def test_plugin_cache_lock_serialises_inits(tmp_path):
    inside, overlaps, lock = [0], [0], threading.Lock()

    def init():
        with engine.plugin_cache_lock(str(tmp_path)):
            with lock:
                inside[0] += 1
                overlaps[0] = max(overlaps[0], inside[0])
            time.sleep(0.05)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=init) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps[0] == 1


def test_no_cache_no_lock(tmp_path, monkeypatch):
    """Without a shared cache there is nothing to protect: no lock file, and holders never wait."""
    import threading

    monkeypatch.chdir(tmp_path)
    with engine.plugin_cache_lock(None):
        inner = threading.Thread(target=lambda: engine.plugin_cache_lock(None).__enter__())
        inner.start()
        inner.join(timeout=5)
        assert not inner.is_alive()
    assert list(tmp_path.iterdir()) == []


def test_terraform_bin_wins_then_path_then_bundled(tmp_path):
    own = tmp_path / "terraform"
    own.write_text("#!/bin/sh\necho mine\n")
    own.chmod(0o755)
    assert engine.resolve_binary({"TERRAFORM_BIN": str(own), "PATH": ""}) == engine.Binary(str(own), "TERRAFORM_BIN")
    assert engine.resolve_binary({"PATH": str(tmp_path)}).source == "PATH"
    tofu_only = tmp_path / "tofu-dir"
    tofu_only.mkdir()
    (tofu_only / "tofu").write_text("#!/bin/sh\n")
    (tofu_only / "tofu").chmod(0o755)
    assert engine.resolve_binary({"PATH": str(tofu_only)}).path.endswith("/tofu")
    bundled = engine.resolve_binary({"PATH": str(Path(engine._bundled_binary()).parent)})
    assert bundled.source == "bundled"  # this package's own `terraform` wrapper is not "the user's"
    assert engine.resolve_binary({"TERRAFORM_BIN": "bundled", "PATH": str(tmp_path)}).source == "bundled"


def test_unknown_terraform_bin_is_an_input_error():
    import pytest

    from orchestrator.config.errors import InputError

    with pytest.raises(InputError, match="TERRAFORM_BIN"):
        engine.resolve_binary({"TERRAFORM_BIN": "/nonexistent/terraform", "PATH": os.defpath})
