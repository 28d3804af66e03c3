"""The batched CPU MuJoCo manager-based env (Isaac Lab's ``isaaclab.envs``): env, scene, robot data, sensors, viewer."""
