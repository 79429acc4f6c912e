"""The layers docs/architecture.md describes hold in the code: the apps import each other in one direction
only, pages and API views never query a model themselves (they read through selectors, or the queryset an
API view declares for its sealed base to restrict), and neither asks the engine for a decision by hand
(they declare requirements; a page gets the engine's answers as flags)."""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Each app may import those before it, never one after it.
LAYERS = ("permissions", "accounts", "projects", "secrets_store")
# On top of every layer, side by side: neither imports the other.
CHANNELS = ("api", "web")
FIRST_PARTY = {*LAYERS, *CHANNELS}

# What decides access: a page view declares what it needs instead of calling these.
DECISIONS = {"can", "restrict", "require", "require_create", "is_visible", "access_on", "require_owner", "is_owner"}


def python_files(package: str) -> Iterator[Path]:
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def imports_of(path: Path) -> Iterator[tuple[str, list[str]]]:
    """Each module `path` imports (at any depth: a function's own imports count too), with the names
    taken from it."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []


def first_party_apps_imported_by(package: str) -> dict[str, set[str]]:
    """The other first-party apps each file of `package` imports, for the files that import any."""
    found = {}
    for path in python_files(package):
        apps = {module.split(".")[0] for module, _ in imports_of(path)} & FIRST_PARTY - {package}
        if apps:
            found[str(path.relative_to(ROOT))] = apps
    return found


def is_manager(node: ast.AST) -> bool:
    """`node` reads a model's manager (``Project.objects``, ``self.kind.model._default_manager``); a view's
    own attribute of that name (``self.objects()``) is not one."""
    if not isinstance(node, ast.Attribute) or node.attr not in {"objects", "_default_manager"}:
        return False
    return not (isinstance(node.value, ast.Name) and node.value.id == "self")


@pytest.mark.parametrize("app", LAYERS)
def test_an_app_imports_only_the_apps_beneath_it(app):
    beneath = set(LAYERS[: LAYERS.index(app)])

    above = {path: apps - beneath for path, apps in first_party_apps_imported_by(app).items() if apps - beneath}

    assert above == {}


@pytest.mark.parametrize("channel", CHANNELS)
def test_the_api_and_the_pages_do_not_import_each_other(channel):
    other = set(CHANNELS) - {channel}

    crossing = {path: apps & other for path, apps in first_party_apps_imported_by(channel).items() if apps & other}

    assert crossing == {}


def test_pages_read_through_selectors_and_never_query_a_model_themselves():
    queries = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in python_files("web")
        for node in ast.walk(ast.parse(path.read_text()))
        if is_manager(node)
    ]

    assert queries == []


def declared_querysets(tree: ast.AST) -> set[int]:
    """The ids of the nodes inside a view's declared ``queryset = ...`` (the rows its sealed base restricts)."""
    inside = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            (isinstance(target, ast.Name) and target.id == "queryset") or (isinstance(target, ast.Attribute) and target.attr == "queryset")
            for target in node.targets
        ):
            inside |= {id(child) for child in ast.walk(node.value)}
    return inside


def test_api_views_read_through_selectors_or_the_queryset_they_declare():
    queries = []
    for path in python_files("api"):
        tree = ast.parse(path.read_text())
        declared = declared_querysets(tree)
        queries += [f"{path.relative_to(ROOT)}:{node.lineno}" for node in ast.walk(tree) if is_manager(node) and id(node) not in declared]

    assert queries == []


def decisions_imported(package: str) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}: {name} from {module}"
        for path in python_files(package)
        for module, names in imports_of(path)
        if module.startswith("permissions.engine")
        for name in names
        if name in DECISIONS
    ]


def test_no_page_view_asks_the_engine_for_a_decision_by_hand():
    assert decisions_imported("web/views") == []


def test_no_api_view_asks_the_engine_for_a_decision_but_the_sealed_base_that_restricts_every_list():
    assert decisions_imported("api") == ["api/base.py: restrict from permissions.engine"]


def test_these_checks_see_what_they_look_for(tmp_path):
    """The checks above read real imports and queries: a file that breaks each rule is caught."""
    offender = tmp_path / "offender.py"
    offender.write_text(
        "from permissions.engine import can\nfrom projects.models import Project\n\ndef f():\n    return Project.objects.all()\n"
    )

    assert ("permissions.engine", ["can"]) in list(imports_of(offender))
    assert any(isinstance(node, ast.Attribute) and node.attr == "objects" for node in ast.walk(ast.parse(offender.read_text())))
