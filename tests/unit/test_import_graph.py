"""What importing the service costs, and the stand-ins that keep it cheap (chalicelib/lazy.py).

The import graph itself (layers, no circles, storage only in dal/) is checked by `make check`
(import-linter, pyproject.toml)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("pydantic", "jwt", "pynamodb", "boto3", "botocore", "aws_lambda_powertools", "PIL", "xlsxwriter")


def _fresh(code: str) -> dict:
    """What a fresh interpreter (a cold Lambda) holds after running `code`."""
    report = (
        "import json, sys\n"
        "from chalicelib.config import settings\n"
        "print(json.dumps({'modules': sorted(sys.modules), 'settings_read': settings.cache_info().currsize}))"
    )
    out = subprocess.run([sys.executable, "-c", f"{code}\n{report}"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_a_cold_function_imports_no_use_case_no_request_body_and_no_heavy_library():
    """Every Lambda function imports app.py: what it loads, each function's cold start pays."""
    loaded = _fresh("import app")
    modules = loaded["modules"]
    assert [m for m in modules if m.startswith(("chalicelib.logic", "chalicelib.dal"))] == []
    assert "chalicelib.handlers.schemas" not in modules
    assert [m for m in HEAVY if m in modules] == []


def test_the_use_cases_import_without_reading_the_settings():
    """The models read the settings when imported; a test or the local stack sets them after it
    has imported the use cases (tests/unit/conftest.py does), so no use case may load a model."""
    logic = sorted(p.stem for p in (ROOT / "chalicelib" / "logic").glob("*.py") if p.stem != "__init__")
    loaded = _fresh("\n".join(f"import chalicelib.logic.{name}" for name in logic) + "\nimport app")
    assert loaded["settings_read"] == 0
    assert "chalicelib.dal.models" not in loaded["modules"]


def _stand_ins(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """({name: module} imported under TYPE_CHECKING, {name: module} bound to on_first_use)."""
    imported, bound = {}, {}
    for node in ast.parse(path.read_text()).body:
        if not (isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"):
            continue
        for stmt in node.body:
            if isinstance(stmt, ast.ImportFrom):
                for alias in stmt.names:
                    imported[alias.asname or alias.name] = f"{stmt.module}.{alias.name}"
            elif isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    imported[alias.asname or alias.name] = alias.name
        for stmt in node.orelse:
            assert isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call), ast.unparse(stmt)
            assert ast.unparse(stmt.value.func) == "on_first_use", ast.unparse(stmt)
            (target,) = stmt.targets
            bound[ast.unparse(target)] = ast.literal_eval(stmt.value.args[0])
    return imported, bound


MODULES_WITH_STAND_INS = sorted(
    p.relative_to(ROOT).as_posix()
    for p in (ROOT / "chalicelib").rglob("*.py")
    if "on_first_use(" in p.read_text() and p.name != "lazy.py"
)


def test_the_modules_that_defer_imports_are_found():
    assert "chalicelib/handlers/routes/campaigns.py" in MODULES_WITH_STAND_INS
    assert "chalicelib/logic/reports.py" in MODULES_WITH_STAND_INS


@pytest.mark.parametrize("path", MODULES_WITH_STAND_INS)
def test_each_stand_in_is_the_module_imported_for_the_type_checker(path):
    """mypy and import-linter read the TYPE_CHECKING import; the code runs the stand-in."""
    imported, bound = _stand_ins(ROOT / path)
    assert bound, "no stand-in found"
    for name, module in bound.items():
        assert imported.get(name) == module, (
            f"{name} = on_first_use({module!r}) but the import says {imported.get(name)}"
        )
