//! Walking the latent space: linear and spherical interpolation between latent points.

/// How to move between two latent points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Interpolation {
    /// `(1 − t)·a + t·b`.
    Linear,
    /// Along the great circle between `a` and `b` (slerp), falling back to linear where they are
    /// (anti)parallel.
    Spherical,
}

/// `steps` points from `a` to `b` inclusive (`steps ≥ 2`; fewer gives just `a`).
pub fn interpolate(a: &[f32], b: &[f32], steps: usize, how: Interpolation) -> Vec<Vec<f32>> {
    if steps < 2 {
        return vec![a.to_vec()];
    }
    let norm = |v: &[f32]| v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    let (na, nb) = (norm(a), norm(b));
    let cos = if na > 0.0 && nb > 0.0 {
        a.iter().zip(b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum::<f64>() / (na * nb)
    } else {
        1.0
    };
    let omega = cos.clamp(-1.0, 1.0).acos();
    (0..steps)
        .map(|k| {
            let t = k as f64 / (steps - 1) as f64;
            let (wa, wb) = match how {
                Interpolation::Spherical if omega.sin().abs() > 1e-6 => {
                    (((1.0 - t) * omega).sin() / omega.sin(), (t * omega).sin() / omega.sin())
                }
                _ => (1.0 - t, t),
            };
            a.iter().zip(b).map(|(x, y)| (wa * f64::from(*x) + wb * f64::from(*y)) as f32).collect()
        })
        .collect()
}

/// Projects row-major points (`rows × dim`) onto their first two principal axes, by power
/// iteration with deflation on the covariance; each axis's sign is fixed so that its largest
/// component is positive. Used to draw latent spaces in 2-D.
pub fn principal_plane(points: &[f32], dim: usize) -> Vec<[f32; 2]> {
    if dim == 0 || points.len() < dim {
        return Vec::new();
    }
    let rows = points.len() / dim;
    let mut mean = vec![0f64; dim];
    for row in points.chunks_exact(dim) {
        for (m, x) in mean.iter_mut().zip(row) {
            *m += f64::from(*x) / rows as f64;
        }
    }
    let mut covariance = vec![0f64; dim * dim];
    for row in points.chunks_exact(dim) {
        for i in 0..dim {
            let di = f64::from(row[i]) - mean[i];
            for j in 0..dim {
                covariance[i * dim + j] += di * (f64::from(row[j]) - mean[j]);
            }
        }
    }
    let mut axes: Vec<Vec<f64>> = Vec::with_capacity(2);
    for _ in 0..2 {
        let mut v: Vec<f64> = (0..dim).map(|i| 1.0 + i as f64 / dim as f64).collect();
        let mut eigenvalue = 0.0;
        for _ in 0..200 {
            let mut next: Vec<f64> = (0..dim).map(|i| (0..dim).map(|j| covariance[i * dim + j] * v[j]).sum()).collect();
            let norm = next.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm <= f64::EPSILON {
                break;
            }
            next.iter_mut().for_each(|x| *x /= norm);
            eigenvalue = norm;
            v = next;
        }
        let largest = v.iter().copied().fold(0.0f64, |a, x| if x.abs() > a.abs() { x } else { a });
        if largest < 0.0 {
            v.iter_mut().for_each(|x| *x = -*x);
        }
        for i in 0..dim {
            for j in 0..dim {
                covariance[i * dim + j] -= eigenvalue * v[i] * v[j];
            }
        }
        axes.push(v);
    }
    points
        .chunks_exact(dim)
        .map(|row| {
            let project = |axis: &[f64]| {
                row.iter().zip(&mean).zip(axis).map(|((x, m), a)| (f64::from(*x) - m) * a).sum::<f64>() as f32
            };
            [project(&axes[0]), project(&axes[1])]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_and_midpoints() {
        let a = [1.0, 0.0];
        let b = [0.0, 1.0];
        let linear = interpolate(&a, &b, 3, Interpolation::Linear);
        assert_eq!(linear, vec![vec![1.0, 0.0], vec![0.5, 0.5], vec![0.0, 1.0]]);
        let spherical = interpolate(&a, &b, 3, Interpolation::Spherical);
        let half = std::f32::consts::FRAC_1_SQRT_2;
        assert!((spherical[1][0] - half).abs() < 1e-6 && (spherical[1][1] - half).abs() < 1e-6);
        assert!((spherical[2][1] - 1.0).abs() < 1e-6);
        // Parallel points fall back to linear.
        assert_eq!(interpolate(&a, &[2.0, 0.0], 3, Interpolation::Spherical)[1], vec![1.5, 0.0]);
    }

    #[test]
    fn the_principal_plane_keeps_the_two_widest_directions() {
        // Points spread 10 along (1,1,0), 3 along (0,0,1) and 0.1 along (1,-1,0).
        let mut points = Vec::new();
        for k in -5..=5 {
            for l in -2..=2 {
                let (a, b, c) = (k as f32 * 10.0, l as f32 * 3.0, (k * l % 2) as f32 * 0.1);
                let s = std::f32::consts::FRAC_1_SQRT_2;
                points.extend([a * s + c * s, a * s - c * s, b]);
            }
        }
        let plane = principal_plane(&points, 3);
        assert_eq!(plane.len(), 55);
        // The first coordinate is the position along (1,1,0), the second along (0,0,1).
        let first = plane[54];
        assert!((first[0] - 50.0).abs() < 1e-3, "{first:?}");
        assert!((first[1].abs() - 6.0).abs() < 1e-3, "{first:?}");
        assert!(principal_plane(&[], 3).is_empty());
    }
}
