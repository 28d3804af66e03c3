"""Generate the HTML API reference of rsl_sim from its docstrings with pdoc.

Usage::

    python scripts/gen_api_docs.py                 # writes docs/api/ (git-ignored); open docs/api/index.html
    python scripts/gen_api_docs.py --output /tmp/api --strict

Every public module (no ``_`` in its dotted name) under ``rsl_sim``, ``rsl_sim.wrappers`` and ``rsl_sim.tasks`` gets a
page, also those a package leaves out of its ``__all__``. Docstrings are read as Google style; Sphinx cross-reference
roles such as ``:class:`~rsl_sim.models.MLPModel``` become pdoc links. Needs ``pip install pdoc``.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import pkgutil
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

# Packages whose modules are documented (wrappers/ and tasks/ install as rsl_sim.wrappers and rsl_sim.tasks)
ROOT_PACKAGES = ("rsl_sim", "rsl_sim.wrappers", "rsl_sim.tasks")

# Default output folder, relative to the repository root
DEFAULT_OUTPUT = Path(__file__).resolve().parents[1] / "docs" / "api"

# Sphinx roles (:class:`x`, :func:`~a.b`, :meth:`...`, :data:`...`, :mod:`...`, :attr:`...`) -> `x`
_SPHINX_ROLE = re.compile(r":(?:class|func|meth|data|mod|attr|exc|obj):`~?([^`]+)`")


def public_modules(roots: Sequence[str] = ROOT_PACKAGES) -> list[str]:
    """List the importable public modules under the given packages, sorted.

    Args:
        roots: Dotted names of the root packages.

    Returns:
        Dotted module names, the roots included; names with a component starting with ``_`` are left out, and so
        are modules that need Isaac Lab when it is not installed (with the whole package that holds them).

    Raises:
        ImportError: If a root package cannot be imported.
    """
    names = _walk(roots)
    missing = [name for name in names if not _importable(name)]
    # The package holding such modules goes too, with all it holds: pdoc would import them to list them on its page
    parents = {name.rsplit(".", 1)[0] for name in missing}
    return [name for name in names if not any(name == p or name.startswith(f"{p}.") for p in parents)]


def _walk(roots: Sequence[str]) -> list[str]:
    """All public module names under the root packages (the roots included), sorted."""
    names: set[str] = set()
    for root in roots:
        package = importlib.import_module(root)
        names.add(root)
        # Walk the package's folders; sub-packages without __init__.py are not modules and are skipped
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{root}."):
            if not any(part.startswith("_") for part in info.name.split(".")):
                names.add(info.name)
    return sorted(names)


def _importable(name: str) -> bool:
    """Whether a module imports here; modules that need Isaac Lab (its config subclasses) are left out without it."""
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] == "isaaclab":
            return False
        raise
    return True


def generate(
    output_dir: str | Path = DEFAULT_OUTPUT, modules: Sequence[str] | None = None, strict: bool = False
) -> list[Path]:
    """Write the HTML API reference.

    Args:
        output_dir: Folder to write into (created if missing); ``index.html`` is the entry page.
        modules: Dotted module names to document; None documents :func:`public_modules`.
        strict: Raise on any warning pdoc emits (a module that fails to import, an annotation it cannot resolve).

    Returns:
        The HTML files written, one per module plus ``index.html``.

    Raises:
        ImportError: If pdoc is not installed.
        RuntimeError: If ``strict`` is set and pdoc warned; the message lists the warnings.
    """
    try:
        import pdoc
        import pdoc.docstrings
        import pdoc.render
    except ImportError as err:
        raise ImportError("The API reference needs pdoc: pip install pdoc") from err

    modules = list(modules) if modules is not None else public_modules()
    output_dir = Path(output_dir)
    pdoc.render.configure(docformat="google", search=True, show_source=True)

    # Turn Sphinx roles into backtick references, which pdoc links
    original_convert = pdoc.docstrings.convert

    @functools.wraps(original_convert)
    def convert(docstring: str, docformat: str, source_file: Path | None) -> str:
        return original_convert(_SPHINX_ROLE.sub(r"`\1`", docstring), docformat, source_file)

    pdoc.docstrings.convert = convert
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # Listing a package and its submodules is intended (pdoc skips submodules a package's __all__ leaves out)
            warnings.filterwarnings("ignore", message=r".*has already been added")
            # Modules left out (they need Isaac Lab) are excluded by name, or pdoc would import them with their package
            excluded = [f"!{name}" for name in _walk(ROOT_PACKAGES) if name not in modules]
            pdoc.pdoc(*modules, *excluded, output_directory=output_dir)
    finally:
        pdoc.docstrings.convert = original_convert

    # pdoc reports import and annotation problems as warnings
    problems = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    if strict and problems:
        raise RuntimeError("pdoc warned while generating the API reference:\n- " + "\n- ".join(problems))
    for problem in problems:
        print(f"warning: {problem}")
    return [output_dir / "index.html"] + [output_dir / (name.replace(".", "/") + ".html") for name in modules]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="Output folder (default: docs/api).")
    parser.add_argument("--strict", action="store_true", help="Fail on any pdoc warning.")
    args = parser.parse_args()
    files = generate(args.output, strict=args.strict)
    print(f"Wrote {len(files)} pages to {args.output} (open {args.output / 'index.html'}).")


if __name__ == "__main__":
    main()
