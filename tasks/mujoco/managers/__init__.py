"""Term configs and the managers of the CPU MuJoCo env (Isaac Lab's ``isaaclab.managers``)."""
