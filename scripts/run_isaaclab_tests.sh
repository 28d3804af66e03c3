#!/usr/bin/env bash
# Run rsl_sim's Isaac Lab tests on real Isaac Lab 3.0 (CPU, kit-less, Newton physics) for CI or by hand:
# installs the Isaac Lab venv when needed (scripts/install_isaaclab.sh: about 40 s fresh, under a second when complete),
# then runs tests/isaaclab_integration/ and the offline adapter tests in that venv. Extra arguments go to pytest.
# Here a missing Isaac Lab is an error, not a skip (RSL_SIM_REQUIRE_ISAACLAB=1).
#
# Usage: bash scripts/run_isaaclab_tests.sh [pytest arguments]
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
venv="${RSL_SIM_ISAACLAB_VENV:-$repo_root/.venv-isaaclab}"
start_time=$(date +%s)

# Install or reuse the venv and the local asset root
bash scripts/install_isaaclab.sh --venv "$venv"
install_done=$(date +%s)

# Asset root and kept warp kernel cache, then the tests
# shellcheck source=scripts/isaaclab_env.sh
source scripts/isaaclab_env.sh
export RSL_SIM_REQUIRE_ISAACLAB=1
status=0
"$venv/bin/python" -m pytest tests/isaaclab_integration tests/test_isaaclab_wrapper_offline.py tests/test_cli_isaaclab.py -rs "$@" || status=$?
end_time=$(date +%s)
echo "run_isaaclab_tests: install $((install_done - start_time)) s, tests $((end_time - install_done)) s," \
  "total $((end_time - start_time)) s (exit $status)"
exit "$status"
