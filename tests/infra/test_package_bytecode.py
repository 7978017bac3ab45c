"""The deployment package carries its bytecode, so a cold start in Lambda (read-only /var/task)
does not compile app.py, chalicelib/ and the vendored libraries before the first request."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from importlib.util import MAGIC_NUMBER, cache_from_source
from pathlib import Path

import pytest

UNCHECKED_HASH = 0b01  # PEP 552 flags: hash-based, source not checked


@pytest.fixture(scope="module")
def package(template_path) -> Path:
    return template_path.with_name("deployment.zip")


def _pyc_name(source: str) -> str:
    return cache_from_source(source)


def test_every_python_file_of_the_package_has_unchecked_hash_bytecode_for_the_runtime(package, template):
    runtimes = {
        r["Properties"]["Runtime"] for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Function"
    }
    assert runtimes == {f"python{sys.version_info.major}.{sys.version_info.minor}"}
    with zipfile.ZipFile(package) as zf:
        names = set(zf.namelist())
        sources = sorted(n for n in names if n.endswith(".py"))
        missing = [s for s in sources if _pyc_name(s) not in names]
        assert "app.py" in sources and "chalicelib/handlers/api.py" in sources and "botocore/client.py" in sources
        assert missing == [], f"{len(missing)} sources without bytecode, e.g. {missing[:5]}"
        for source in ("app.py", "chalicelib/domain/campaign.py", "pynamodb/models.py", "botocore/client.py"):
            header = zf.read(_pyc_name(source))[:8]
            assert header[:4] == MAGIC_NUMBER, source
            assert int.from_bytes(header[4:8], "little") == UNCHECKED_HASH, source


def test_the_unpacked_package_imports_the_app_from_its_bytecode(package, tmp_path):
    """As Lambda runs it: unpacked, nothing written beside it, `import app` served from .pyc."""
    with zipfile.ZipFile(package) as zf:
        zf.extractall(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-B", "-v", "-c", "import app, chalicelib.handlers.routes.campaigns"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1", "HUIXIANG_STAGE": "prod"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    ours = [
        line for line in proc.stderr.splitlines() if line.startswith("# code object from") and str(tmp_path) in line
    ]
    from_source = [line for line in ours if not line.rstrip("'").endswith(".pyc")]
    assert any("chalicelib/handlers/routes/__pycache__/campaigns" in line for line in ours), ours[:5]
    assert from_source == []


def test_bytecode_left_in_the_source_tree_is_replaced_by_the_packages_own(tmp_path):
    """A checkout where Python ran writes timestamp-checked .pyc files beside chalicelib/, and
    Chalice zips them with the sources: in Lambda they never match (a zip keeps no exact mtime),
    so every cold start compiled those modules again. The package's own bytecode replaces them."""
    import py_compile

    from infra.package import add_bytecode

    source = tmp_path / "src" / "m.py"
    source.parent.mkdir()
    source.write_text("VALUE = 1\n")
    stale = Path(py_compile.compile(str(source), invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP))
    package = tmp_path / "deployment.zip"
    with zipfile.ZipFile(package, "w") as zf:
        zf.write(source, "chalicelib/m.py")
        zf.write(stale, _pyc_name("chalicelib/m.py"))
        zf.writestr("chalicelib/data.json", "{}")
    add_bytecode(package)
    with zipfile.ZipFile(package) as zf:
        names = zf.namelist()
        assert sorted(names) == sorted(["chalicelib/m.py", _pyc_name("chalicelib/m.py"), "chalicelib/data.json"])
        assert int.from_bytes(zf.read(_pyc_name("chalicelib/m.py"))[4:8], "little") == UNCHECKED_HASH
        assert zf.read("chalicelib/data.json") == b"{}"
