#!/usr/bin/env bash
# Install Isaac Lab 3.0 for CPU (kit-less: Newton MJWarp physics, no Isaac Sim) into its own virtual environment,
# together with rsl_sim (editable, with the test extra), and write the local asset root that the tests load from.
#
# Usage: bash scripts/install_isaaclab.sh [--venv PATH] [--assets PATH] [--force]
#   --venv PATH    the virtual environment (default: .venv-isaaclab in the repository root, or $RSL_SIM_ISAACLAB_VENV)
#   --assets PATH  the local asset root (default: .isaaclab-assets in the repository root, or $RSL_SIM_ISAACLAB_ASSETS)
#   --force        reinstall everything even when the venv is complete
#
# Environment: PYTHON (interpreter to build the venv with, default python3.11), TORCH_WHEEL_DIR (folder searched for a
# local CPU torch wheel, default /opt/wheels). Only PyPI is used over the network.
#
# A second run finds the venv complete (a stamp file records what was installed) and only refreshes the editable
# rsl_sim install when the repository has moved, and the asset root when a file is missing: it takes a few seconds.
# Nothing is exported: source scripts/isaaclab_env.sh to set ISAACSIM_ASSET_ROOT and WARP_CACHE_PATH.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="${RSL_SIM_ISAACLAB_VENV:-$repo_root/.venv-isaaclab}"
assets="${RSL_SIM_ISAACLAB_ASSETS:-$repo_root/.isaaclab-assets}"
python_bin="${PYTHON:-python3.11}"
torch_wheel_dir="${TORCH_WHEEL_DIR:-/opt/wheels}"
force=0

# Parse the command line.
while [ $# -gt 0 ]; do
  case "$1" in
    --venv) venv="$2"; shift 2 ;;
    --assets) assets="$2"; shift 2 ;;
    --force) force=1; shift ;;
    -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install_isaaclab.sh: unknown argument '$1' (valid: --venv PATH, --assets PATH, --force)" >&2; exit 2 ;;
  esac
done
venv=$(mkdir -p "$venv" && cd "$venv" && pwd)
mkdir -p "$assets"
assets=$(cd "$assets" && pwd)

# Pinned versions. Isaac Lab 3.0 declares Python 3.12 and torch 2.11, yet its kit-less path runs on Python 3.11 with
# torch 2.13; only the packages that the Newton/MJWarp path imports are installed (not open3d, pinocchio, Kit, ...).
isaaclab_version="3.0.0"
torch_version="2.13.0"
isaaclab_deps=(
  "warp-lang==1.17.0"
  "newton[sim]==1.6.1"
  "usd-exchange==3.0.1"
  "newton-usd-schemas>=0.5.0"
  "gymnasium>=1.2.0"
  "hydra-core"
  "prettytable>=3.3.0"
  "lazy_loader>=0.4"
  "trimesh>=4.6.8"
  "scipy>=1.11.0"
  "psutil"
  "numpy>=2"
  "rich"
  # --video: Isaac Lab writes its clips with moviepy; Newton's OpenGL viewer (pyglet, EGL off-screen) renders them
  "moviepy<2"
  "pyglet>=2.1,<3"
  # the Spot asset: MuJoCo Menagerie's MJCF converted to USD (0.6.1 is the release for mujoco 3.12, mujoco-warp's pin)
  "mujoco-usd-converter==0.6.1"
)
stamp_text="isaaclab=$isaaclab_version torch=$torch_version deps=${isaaclab_deps[*]}"
stamp_file="$venv/.rsl_sim_isaaclab_complete"
cache_dir="$repo_root/.cache/isaaclab-downloads"
start_time=$(date +%s)

step() { printf '\n[install_isaaclab %3ds] %s\n' "$(( $(date +%s) - start_time ))" "$*"; }

venv_python="$venv/bin/python"
pip=("$venv_python" -m pip --disable-pip-version-check)

# Reuse a complete venv: the stamp matches and the key packages are importable (found without importing them).
complete=0
if [ "$force" -eq 0 ] && [ -x "$venv_python" ] && [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp_text" ]; then
  if "$venv_python" - <<'EOF'
import importlib.util, sys
names = ["torch", "warp", "newton", "pxr", "isaaclab", "isaaclab_tasks", "isaaclab_rl", "tensordict", "pytest",
         "mujoco_usd_converter"]
sys.exit(0 if all(importlib.util.find_spec(n) is not None for n in names) else 1)
EOF
  then
    complete=1
  fi
fi

if [ "$complete" -eq 1 ]; then
  step "venv $venv is complete (stamp matches); skipping the package install (use --force to redo it)"
else
  # 1. The virtual environment itself.
  if ! command -v "$python_bin" >/dev/null 2>&1; then
    echo "install_isaaclab.sh: '$python_bin' not found; set PYTHON to a Python 3.11 interpreter" >&2
    exit 1
  fi
  step "creating the venv $venv with $($python_bin --version 2>&1)"
  rm -f "$stamp_file"
  "$python_bin" -m venv "$venv"
  "${pip[@]}" install --quiet --upgrade pip

  # 2. torch: the CPU wheel from this machine's disk when there is one, else torch from PyPI.
  torch_wheel=$(ls "$torch_wheel_dir"/torch-"$torch_version"+cpu-cp311-*.whl 2>/dev/null | head -n 1 || true)
  if [ -n "$torch_wheel" ]; then
    step "installing torch from $torch_wheel"
    "${pip[@]}" install --progress-bar on "$torch_wheel"
  else
    step "no local CPU torch wheel in $torch_wheel_dir; installing torch==$torch_version from PyPI"
    "${pip[@]}" install --progress-bar on "torch==$torch_version"
  fi

  # 3. A constraints file pins the installed torch, so that no dependency pulls another (CUDA) torch.
  installed_torch=$("$venv_python" -c "import importlib.metadata as m; print(m.version('torch'))")
  constraints="$venv/rsl_sim-constraints.txt"
  printf 'torch==%s\n' "$installed_torch" > "$constraints"
  step "pinned torch==$installed_torch in $constraints"

  # 4. The dependencies that Isaac Lab's kit-less Newton path imports.
  step "installing Isaac Lab's runtime dependencies: ${isaaclab_deps[*]}"
  "${pip[@]}" install --progress-bar on -c "$constraints" "${isaaclab_deps[@]}"

  # 5. rsl_sim itself, editable, with its test extra (before isaaclab, so pip's dependency check
  # does not list the isaaclab requirements that are deliberately left out).
  step "installing rsl_sim (editable, [test]) from $repo_root"
  "${pip[@]}" install --progress-bar on -c "$constraints" -e "$repo_root[test]"

  # 6. The isaaclab wheel itself (it declares Python 3.12 and its full dependency list; neither is needed here).
  mkdir -p "$cache_dir"
  isaaclab_wheel="$cache_dir/isaaclab-$isaaclab_version-py3-none-any.whl"
  if [ ! -f "$isaaclab_wheel" ]; then
    step "downloading isaaclab==$isaaclab_version from PyPI"
    "${pip[@]}" download --no-deps --only-binary=:all: --python-version 3.12 "isaaclab==$isaaclab_version" -d "$cache_dir"
  fi
  step "installing $isaaclab_wheel (--no-deps --ignore-requires-python)"
  "${pip[@]}" install --no-deps --ignore-requires-python "$isaaclab_wheel"

  printf '%s' "$stamp_text" > "$stamp_file"
fi

# 7. Keep the editable rsl_sim pointing at this repository (the venv may have been built from another clone).
rsl_sim_dir=$("$venv_python" -c "import importlib.util, os; s = importlib.util.find_spec('rsl_sim'); \
print(os.path.dirname(os.path.dirname(s.origin)) if s else '')" 2>/dev/null || true)
if [ "$rsl_sim_dir" != "$repo_root" ]; then
  step "pointing the editable rsl_sim install at $repo_root (was: '${rsl_sim_dir:-none}')"
  "${pip[@]}" install --quiet --no-deps -e "$repo_root"
fi

# 8. The local asset root, at the relative paths that Isaac Lab asks its asset server for: ground plane, Go2, Ant,
# Cartpole, Humanoid and Spot, built from files that the packages above ship (each with its LICENSE.txt; see
# scripts/build_isaaclab_assets.py). Assets that exist are kept, so a second run takes about two seconds.
step "building the missing assets of $assets"
"$venv_python" "$repo_root/scripts/build_isaaclab_assets.py" --root "$assets" --cache "$cache_dir"

step "done in $(( $(date +%s) - start_time )) s"
echo "venv: $venv"
echo "python: $venv_python"
echo "asset root: $assets"
echo "next: source scripts/isaaclab_env.sh  (sets ISAACSIM_ASSET_ROOT and WARP_CACHE_PATH)"
