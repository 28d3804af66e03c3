"""The user documentation stays true: every ```python block of docs/*.md runs, links resolve, the API reference builds.

Each guide's blocks run in order in one fresh namespace, in a temporary working directory, with a fixed torch seed. A
block whose fence reads ```python no-test is skipped.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
import warnings
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
# Pages without examples: the table of contents and the contributors' architecture notes
GUIDES = [path for path in PAGES if path.name not in ("index.md", "architecture.md")]
# The README's snippets run too (its shell commands are checked by tests/test_project.py and CI)
GUIDES.append(ROOT / "README.md")

sys.path.insert(0, str(ROOT / "scripts"))

import gen_api_docs  # noqa: E402

# A fenced block: ```python[ options] ... ``` (the fence at the start of a line)
FENCE = re.compile(r"^```python([^\n]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)

# Markdown links to local files: [text](file.md) or [text](file.md#anchor)
LOCAL_LINK = re.compile(r"\]\((?!https?://)([^)#\s]+)(#[^)\s]*)?\)")


def python_blocks(text: str) -> list[tuple[int, str]]:
    """The ```python blocks of a Markdown text that are to be run, as (line of the first code line, code)."""
    blocks = []
    for match in FENCE.finditer(text):
        if "no-test" in match.group(1).split():
            continue
        first_line = text.count("\n", 0, match.start(2)) + 1
        blocks.append((first_line, match.group(2)))
    return blocks


def test_block_extraction_finds_blocks_and_skips_no_test():
    text = (
        "intro\n```python\nx = 1\n```\n\n"
        "```python no-test\nraise SystemExit\n```\n```bash\nls\n```\n```python\ny = x\n```\n"
    )
    assert python_blocks(text) == [(3, "x = 1\n"), (13, "y = x\n")]


@pytest.mark.parametrize("guide", GUIDES, ids=[path.stem for path in GUIDES])
def test_guide_snippets_run(guide: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    blocks = python_blocks(guide.read_text())
    assert blocks, f"{guide.name} has no runnable ```python block"

    # Fresh namespace, temporary working directory, fixed seed
    monkeypatch.chdir(tmp_path)
    torch.manual_seed(0)
    namespace: dict = {"__name__": f"docs_{guide.stem}"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for first_line, code in blocks:
            # Pad with newlines so that tracebacks point at the line of the Markdown file
            exec(compile("\n" * (first_line - 1) + code, str(guide), "exec"), namespace)


def test_index_links_every_guide_and_links_resolve():
    index = (DOCS / "index.md").read_text()
    linked = {match.group(1) for match in LOCAL_LINK.finditer(index)}
    missing = [path.name for path in PAGES if path.name != "index.md" and path.name not in linked]
    assert not missing, f"docs/index.md does not link {missing}"
    for guide in PAGES:
        for match in LOCAL_LINK.finditer(guide.read_text()):
            target = (guide.parent / match.group(1)).resolve()
            assert target.exists(), f"{guide.name} links {match.group(1)}, which does not exist"


def config_table(guide: str, heading: str) -> dict[str, str]:
    """The ``| `key` | default | ...`` rows of the first table after ``heading`` in docs/<guide>, as key -> default."""
    text = (DOCS / guide).read_text()
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    rows = {}
    for line in text[start : end if end != -1 else len(text)].splitlines():
        match = re.match(r"\|\s*`(\w+)`\s*\|\s*([^|]+?)\s*\|", line)
        if match:
            rows[match.group(1)] = match.group(2).strip("`")
    assert rows, f"no config table under {heading!r} in {guide}"
    return rows


def check_defaults(rows: dict[str, str], defaults: dict[str, object], where: str) -> None:
    """Every documented default equals the code's (``required`` rows must have no default or None)."""
    for key, documented in rows.items():
        assert key in defaults, f"{where}: documented key {key!r} is not in the code"
        if documented == "required":
            assert defaults[key] in (inspect.Parameter.empty, None), f"{where}: {key!r} has a default in the code"
        else:
            assert ast.literal_eval(documented) == defaults[key], f"{where}: {key!r} is {defaults[key]!r} in the code"


def signature_defaults(*classes: type, skip: tuple[str, ...] = ()) -> dict[str, object]:
    """Keyword arguments of the classes' constructors and their defaults (``Parameter.empty`` when required)."""
    defaults: dict[str, object] = {}
    for cls in classes:
        for name, param in inspect.signature(cls.__init__).parameters.items():
            if name not in ("self", *skip) and param.kind is not param.VAR_KEYWORD:
                defaults.setdefault(name, param.default)
    return defaults


def test_config_tables_match_the_code():
    from rsl_sim.extensions import RandomNetworkDistillation, Symmetry
    from rsl_sim.extensions.rnd import RND_CFG_KEYS
    from rsl_sim.extensions.symmetry import SYMMETRY_CFG_KEYS
    from rsl_sim.models import CNNRNNModel
    from rsl_sim.modules import BetaDistribution, GaussianDistribution, HeteroscedasticGaussianDistribution
    from rsl_sim.runners.runner_config import MODEL_KEYS, PASSTHROUGH_KEYS, REQUIRED_KEYS, RUNNER_DEFAULTS

    # Top level: every key the runner knows is documented, with its default
    rows = config_table("config.md", "## Top level")
    code = {**RUNNER_DEFAULTS, **dict.fromkeys(REQUIRED_KEYS, None)}
    assert set(rows) == set(code)
    check_defaults(rows, code, "config.md top level")
    top_level_text = (DOCS / "config.md").read_text().split("## Models")[0]
    for key in (*PASSTHROUGH_KEYS, *MODEL_KEYS):
        assert f"`{key}`" in top_level_text, f"config.md does not mention the top-level key {key!r}"

    # Algorithm: every PPO keyword argument a config may set
    from rsl_sim.algorithms.config import ALGORITHM_CFG_KEYS
    from rsl_sim.algorithms.ppo import PPO

    rows = config_table("config.md", "## Algorithm (PPO)")
    code = signature_defaults(PPO, skip=("actor", "critic", "storage", "device", "multi_gpu_cfg"))
    code.update(dict.fromkeys(ALGORITHM_CFG_KEYS, False))
    assert set(rows) == set(code)
    check_defaults(rows, code, "config.md algorithm")

    # Models, distributions, RND, symmetry
    model_keys = signature_defaults(CNNRNNModel, skip=("obs", "obs_groups", "obs_set", "output_dim"))
    rows = config_table("models.md", "## Config")
    assert set(rows) == set(model_keys)
    check_defaults(rows, model_keys, "models.md")
    distributions = (GaussianDistribution, HeteroscedasticGaussianDistribution, BetaDistribution)
    dist_keys = signature_defaults(*distributions, skip=("output_dim",))
    rows = config_table("distributions.md", "## Config")
    assert set(rows) == set(dist_keys)
    check_defaults(rows, dist_keys, "distributions.md")
    rows = config_table("rnd.md", "## Config")
    assert set(rows) == set(RND_CFG_KEYS)
    check_defaults(rows, signature_defaults(RandomNetworkDistillation), "rnd.md")
    rows = config_table("symmetry.md", "## Config")
    assert set(rows) == set(SYMMETRY_CFG_KEYS)
    check_defaults(rows, signature_defaults(Symmetry, skip=("env",)), "symmetry.md")


def test_api_reference_generates_for_every_public_module(tmp_path: Path):
    pytest.importorskip("pdoc", reason="the API reference needs pdoc (pip install pdoc)")
    modules = gen_api_docs.public_modules()
    # The packages the guides document are all there
    for name in ("rsl_sim.models.export", "rsl_sim.extensions.mirror_terms", "rsl_sim.wrappers.gymnasium"):
        assert name in modules
    files = gen_api_docs.generate(tmp_path, modules=modules, strict=True)
    assert len(files) == len(modules) + 1
    for path in files:
        assert path.is_file(), f"no page {path.relative_to(tmp_path)}"
    # Sphinx roles in docstrings became links (the source listings inside <pre> keep them)
    page = (tmp_path / "rsl_sim" / "models" / "mlp_model.html").read_text()
    prose = re.sub(r"<pre.*?</pre>", "", page, flags=re.DOTALL)
    assert "MLPModel" in prose and ":class:`" not in prose
    assert 'href="../modules.html#EmpiricalNormalization"' in prose
