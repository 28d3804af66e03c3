# Source this file (bash or zsh) to point Isaac Lab at the local asset root and at a kept warp kernel cache:
#   source scripts/isaaclab_env.sh
# ISAACSIM_ASSET_ROOT: the folder written by scripts/install_isaaclab.sh (default .isaaclab-assets in the repository
#   root, or $RSL_SIM_ISAACLAB_ASSETS), so that Isaac Lab loads the ground plane and the Go2 offline.
# WARP_CACHE_PATH: warp's compiled-kernel cache (default .cache/warp in the repository root), kept between runs so that
#   only the first environment creation compiles kernels (about 50 s cold, a few seconds warm).
# Values already set in the environment are kept.
_rsl_sim_repo_root=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)
export ISAACSIM_ASSET_ROOT="${ISAACSIM_ASSET_ROOT:-${RSL_SIM_ISAACLAB_ASSETS:-$_rsl_sim_repo_root/.isaaclab-assets}}"
export WARP_CACHE_PATH="${WARP_CACHE_PATH:-$_rsl_sim_repo_root/.cache/warp}"
mkdir -p "$WARP_CACHE_PATH"
unset _rsl_sim_repo_root
