"""The velocity task's MDP terms as vectorized numpy functions on the CPU MuJoCo env (Isaac Lab's ``mdp``).

Isaac Lab terms that Isaac Lab's own ``mdp`` lacks are in :mod:`.isaaclab` (imports Isaac Lab). Importing this
package imports nothing.
"""
