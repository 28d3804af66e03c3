"""Package mapping: the top-level folders `wrappers/` and `tasks/` install as `rsl_sim.wrappers` and `rsl_sim.tasks`."""

from setuptools import find_packages, setup

ROOTS = {"rsl_sim": "rsl_sim", "rsl_sim.wrappers": "wrappers", "rsl_sim.tasks": "tasks"}

packages, package_dir = [], {}
for name, folder in ROOTS.items():
    package_dir[name] = folder
    packages.append(name)
    packages += [f"{name}.{sub}" for sub in find_packages(where=folder)]

setup(packages=sorted(set(packages)), package_dir=package_dir, include_package_data=True)
