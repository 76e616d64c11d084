"""Every English text the server can put in a problem: read from the source, not listed by hand."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "api", "sync")


def _error_classes(trees: dict[Path, ast.Module]) -> set[str]:
    """Names of DomainError and of every class deriving from it, anywhere in the packages."""
    names = {"DomainError"}
    grew = True
    while grew:
        grew = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names and any(
                        isinstance(b, ast.Name) and b.id in names for b in node.bases):
                    names.add(node.name)
                    grew = True
    return names


def template(node: ast.expr) -> str | None:
    """A text constant as is; an f-string with each placeholder as {}."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def _texts_in(node: ast.AST) -> Iterator[str]:
    parts = {id(v) for sub in ast.walk(node) if isinstance(sub, ast.JoinedStr) for v in sub.values}
    for sub in ast.walk(node):
        if id(sub) in parts or not isinstance(sub, ast.Constant | ast.JoinedStr):
            continue
        text = template(sub)
        if text and text[:1].isupper() and " " in text:
            yield text


def harvest() -> set[str]:
    """Details, titles and field messages of every domain error raised, and the texts of the
    account rules (their field messages are built in lists before the raise)."""
    trees = {p: ast.parse(p.read_text(), str(p))
             for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    classes = _error_classes(trees)
    found: set[str] = set()
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name in classes:
                for stmt in node.body:
                    if isinstance(stmt, ast.Assign):
                        found.update(t for t in _texts_in(stmt.value) if not t.startswith("/"))
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in classes:
                    if node.args and (text := template(node.args[0])):
                        found.add(text)
                    for kw in node.keywords:
                        if kw.arg == "errors":
                            found.update(_texts_in(kw.value))
            if (isinstance(node, ast.FunctionDef) and path.name == "accounts.py"
                    and node.name in ("password_problems", "register")):
                found.update(t for t in _texts_in(node) if t.endswith("."))
    return found


if __name__ == "__main__":
    for text in sorted(harvest()):
        print(repr(text))
