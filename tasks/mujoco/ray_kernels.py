"""warp-lang kernels of :mod:`rsl_sim.tasks.mujoco.ray_caster` (imported by it on first use).

The annotations are warp types evaluated by warp at definition time, so this module does not use
``from __future__ import annotations``.
"""

import warp as wp

# no banner, no compile-time log lines
wp.config.quiet = True
wp.config.log_level = wp.LOG_WARNING
wp.init()
# forward kernels only: no adjoints to compile
wp.set_module_options({"enable_backward": False})

f64 = wp.float64


@wp.func
def surface(h: wp.array2d(dtype=wp.float32), i: int, j: int, u: f64, v: f64) -> f64:
    """Height of MuJoCo's triangle surface of cell (i, j) at (u, v) (grid units), fractions clamped into the cell."""
    fu = wp.clamp(u - f64(i), f64(0.0), f64(1.0))
    fv = wp.clamp(v - f64(j), f64(0.0), f64(1.0))
    corner = f64(0.0)
    if fu >= fv:
        corner = f64(h[i + 1, j])
    else:
        corner = f64(h[i, j + 1])
    high = wp.max(fu, fv)
    low = wp.min(fu, fv)
    return f64(h[i, j]) * (f64(1.0) - high) + corner * (high - low) + f64(h[i + 1, j + 1]) * low


@wp.func
def clearance(h: wp.array2d(dtype=wp.float32), i: int, j: int, u: f64, v: f64, z: f64) -> f64:
    """Height of (u, v, z) above the ground of cell (i, j)."""
    return z - surface(h, i, j, u, v)


@wp.func
def cell_crossing(
    h: wp.array2d(dtype=wp.float32), i: int, j: int, u0: f64, du: f64, v0: f64, dv: f64, z0: f64, dz: f64,
    ta: f64, tb: f64,
) -> f64:  # fmt: skip
    """First crossing of the ground in cell (i, j) on [ta, tb], or -1 (break points: entry, diagonal, exit)."""
    zero = f64(0.0)
    ua = u0 + ta * du
    va = v0 + ta * dv
    ub = u0 + tb * du
    vb = v0 + tb * dv
    ga = clearance(h, i, j, ua, va, z0 + ta * dz)
    if ga <= zero:
        return ta
    sa = (ua - f64(i)) - (va - f64(j))
    sb = (ub - f64(i)) - (vb - f64(j))
    t1 = tb
    if (sa > zero and sb < zero) or (sa < zero and sb > zero):
        t1 = ta + sa / (sa - sb) * (tb - ta)
    g1 = clearance(h, i, j, u0 + t1 * du, v0 + t1 * dv, z0 + t1 * dz)
    if g1 <= zero:
        return ta + ga / (ga - g1) * (t1 - ta)
    if t1 < tb:
        g2 = clearance(h, i, j, ub, vb, z0 + tb * dz)
        if g2 <= zero:
            return t1 + g1 / (g1 - g2) * (tb - t1)
    return f64(-1.0)


@wp.func
def cell_of(u: f64, n: int) -> int:
    """Cell index along one axis of a grid of n cells (the last vertex line belongs to the cell before it)."""
    k = int(wp.floor(u))
    if k == n and u == f64(n):
        k = n - 1
    return k


@wp.func
def axis_walk(p0: f64, d: f64, k: int):
    """Walk along one grid axis of a ray ``p0 + t d`` that is in cell k at the current t (grid units).

    Returns the cell step (+1, -1, or 0 for a ray parallel to the axis), the t between two vertex lines of that axis
    and the t of the next one (inf for a parallel ray).
    """
    zero = f64(0.0)
    step = int(0)  # noqa: UP018 (warp: a typed variable, not a constant)
    delta = f64(wp.inf)
    next_t = f64(wp.inf)
    if d > zero:
        step = 1
        delta = f64(1.0) / d
        next_t = (f64(k + 1) - p0) * delta
    elif d < zero:
        step = -1
        delta = f64(-1.0) / d
        next_t = (p0 - f64(k)) * delta
    return step, delta, next_t


@wp.func
def heightfield_distance(
    h: wp.array2d(dtype=wp.float32), cell_max: wp.array2d(dtype=wp.float32), u0: f64, du: f64, v0: f64,
    dv: f64, z0: f64, dz: f64, t_min: f64, t_max: f64, z_top: f64,
) -> f64:  # fmt: skip
    """Distance to the first ground crossing on [t_min, t_max], inf for none (u, v in grid units, z in metres)."""
    nx = h.shape[0] - 1
    ny = h.shape[1] - 1
    zero = f64(0.0)
    inf = f64(wp.inf)
    t = t_min
    u = u0 + t * du
    v = v0 + t * dv
    i = cell_of(u, nx)
    j = cell_of(v, ny)
    # a ray that starts under the ground stops there
    if i >= 0 and i < nx and j >= 0 and j < ny:
        if clearance(h, i, j, u, v, z0 + t * dz) <= zero:
            return t
    # no ground within reach is above z_top: skip the flight down to it
    if dz < zero:
        t = wp.max(t, (z0 - z_top) / -dz)
    elif z0 > z_top:
        return inf
    if t >= t_max:
        return inf
    u = u0 + t * du
    v = v0 + t * dv
    i = cell_of(u, nx)
    j = cell_of(v, ny)
    step_i, delta_u, next_u = axis_walk(u0, du, i)
    step_j, delta_v, next_v = axis_walk(v0, dv, j)
    # walk the cells under the ray; solve exactly where the ray comes down to the cell's highest vertex
    while t < t_max:
        tb = wp.min(wp.min(next_u, next_v), t_max)
        # a NaN pose makes no progress: no hit
        if not (tb >= t):
            return inf
        if i >= 0 and i < nx and j >= 0 and j < ny:
            if wp.min(z0 + t * dz, z0 + tb * dz) <= f64(cell_max[i, j]):
                hit = cell_crossing(h, i, j, u0, du, v0, dv, z0, dz, t, tb)
                if hit >= zero:
                    return hit
        if next_u < next_v:
            i += step_i
            next_u += delta_u
        else:
            j += step_j
            next_v += delta_v
        t = wp.max(t, tb)
    return inf


@wp.func
def plane_distance(z0: f64, dz: f64, t_min: f64, t_max: f64) -> f64:
    """Distance to the plane z = 0 on [t_min, t_max], inf for none."""
    t = f64(wp.inf)
    if z0 <= f64(0.0):
        t = t_min
    elif dz < f64(0.0):
        t = wp.max(z0 / -dz, t_min)
    if t > t_max:
        t = f64(wp.inf)
    return t


@wp.kernel
def camera_kernel(
    h: wp.array2d(dtype=wp.float32), cell_max: wp.array2d(dtype=wp.float32), is_plane: int, inv_scale: f64,
    x_min: f64, y_min: f64, position: wp.array(dtype=wp.vec3d), rotation: wp.array(dtype=wp.mat33d),
    directions: wp.array(dtype=wp.vec3d), depth_scale: wp.array(dtype=f64), max_length: wp.array(dtype=f64),
    z_top: wp.array(dtype=f64), near: f64, far: f64, num_pixels: int, offset: int, depth: wp.array(dtype=f64),
    image: wp.array(dtype=wp.float32),
):  # fmt: skip
    """Depth and normalized image of every pixel of camera ``offset + tid`` (one thread per camera)."""
    env = wp.tid() + offset
    p = position[env]
    rot = rotation[env]
    top = z_top[env]
    u0 = (p[0] - x_min) * inv_scale
    v0 = (p[1] - y_min) * inv_scale
    for pixel in range(num_pixels):
        d = rot * directions[pixel]
        length = f64(0.0)
        if is_plane != 0:
            length = plane_distance(p[2], d[2], near, max_length[pixel])
        else:
            length = heightfield_distance(
                h, cell_max, u0, d[0] * inv_scale, v0, d[1] * inv_scale, p[2], d[2], near, max_length[pixel], top
            )
        # depth of the hit (along the optical axis or the ray), nothing beyond far
        value = length * depth_scale[pixel]
        if value > far:
            value = f64(wp.inf)
        r = env * num_pixels + pixel
        depth[r] = value
        image[r] = wp.float32((wp.clamp(value, near, far) - near) / (far - near))


@wp.kernel
def height_scan_kernel(
    h: wp.array2d(dtype=wp.float32), is_plane: int, inv_scale: f64, x_min: f64, y_min: f64,
    position: wp.array(dtype=wp.vec3d), heading: wp.array(dtype=wp.vec2d), pattern: wp.array(dtype=wp.vec2d),
    start_offset: wp.vec3d, num_rays: int, offset: int, hit_z: wp.array(dtype=f64),
):  # fmt: skip
    """World z where the vertical rays of robot ``offset + tid`` hit the ground from above, inf for none.

    ``heading`` holds ``(cos yaw, sin yaw)`` of each robot's grid (``(1, 0)`` for a world-aligned grid).
    """
    env = wp.tid() + offset
    p = position[env]
    c = heading[env][0]
    s = heading[env][1]
    top = p[2] + start_offset[2]
    nx = h.shape[0] - 1
    ny = h.shape[1] - 1
    for ray in range(num_rays):
        lx = pattern[ray][0] + start_offset[0]
        ly = pattern[ray][1] + start_offset[1]
        x = c * lx - s * ly + p[0]
        y = s * lx + c * ly + p[1]
        z = f64(0.0)
        if is_plane == 0:
            u = (x - x_min) * inv_scale
            v = (y - y_min) * inv_scale
            if u >= f64(0.0) and u <= f64(nx) and v >= f64(0.0) and v <= f64(ny):
                i = wp.clamp(int(wp.floor(u)), 0, nx - 1)
                j = wp.clamp(int(wp.floor(v)), 0, ny - 1)
                z = surface(h, i, j, u, v)
            else:
                z = f64(wp.inf)
        # a surface above the ray start is not seen
        if z > top:
            z = f64(wp.inf)
        hit_z[env * num_rays + ray] = z
