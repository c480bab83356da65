//! Deterministic randomness for the load: a splitmix64 generator and Zipf sampling by
//! Hörmann and Derflinger's rejection-inversion ("Rejection-inversion to generate variates from
//! monotone discrete distributions", 1996), which needs O(1) memory and a few `exp`/`ln` calls a
//! sample whatever the number of keys.

/// splitmix64: small, fast, and the same sequence on every machine for a given seed.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Ranks 1..=n with P(k) proportional to 1 / k^s (s > 0, s != 1 handled alike; s = 1 too).
#[derive(Clone, Debug)]
pub struct Zipf {
    n: f64,
    s: f64,
    h_integral_x1: f64,
    h_integral_n: f64,
    /// The squeeze: a candidate this close to its integer is accepted without the full test.
    squeeze: f64,
}

impl Zipf {
    pub fn new(n: u64, s: f64) -> Self {
        assert!(n >= 1 && s > 0.0, "Zipf needs n >= 1 and s > 0");
        let mut z = Zipf {
            n: n as f64,
            s,
            h_integral_x1: 0.0,
            h_integral_n: 0.0,
            squeeze: 0.0,
        };
        z.h_integral_x1 = z.h_integral(1.5) - 1.0;
        z.h_integral_n = z.h_integral(z.n + 0.5);
        z.squeeze = 2.0 - z.h_integral_inverse(z.h_integral(2.5) - z.h(2.0));
        z
    }

    /// A rank in 1..=n.
    pub fn sample(&self, rng: &mut Rng) -> u64 {
        loop {
            let u = self.h_integral_n + rng.next_f64() * (self.h_integral_x1 - self.h_integral_n);
            let x = self.h_integral_inverse(u);
            let k = (x + 0.5).floor().clamp(1.0, self.n);
            if k - x <= self.squeeze || u >= self.h_integral(k + 0.5) - self.h(k) {
                return k as u64;
            }
        }
    }

    /// The density the sampler inverts: x^-s.
    fn h(&self, x: f64) -> f64 {
        (-self.s * x.ln()).exp()
    }

    /// The integral of `h` from 1 to x: (x^(1-s) - 1) / (1 - s), ln x at s = 1.
    fn h_integral(&self, x: f64) -> f64 {
        let log_x = x.ln();
        exp_m1_over_x((1.0 - self.s) * log_x) * log_x
    }

    fn h_integral_inverse(&self, x: f64) -> f64 {
        let t = (x * (1.0 - self.s)).max(-1.0);
        (ln_1p_over_x(t) * x).exp()
    }
}

/// ln(1 + x) / x, continuous at 0.
fn ln_1p_over_x(x: f64) -> f64 {
    if x.abs() > 1e-8 {
        x.ln_1p() / x
    } else {
        1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x))
    }
}

/// (e^x - 1) / x, continuous at 0.
fn exp_m1_over_x(x: f64) -> f64 {
    if x.abs() > 1e-8 {
        x.exp_m1() / x
    } else {
        1.0 + x * 0.5 * (1.0 + x / 3.0 * (1.0 + 0.25 * x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sampled frequencies match the exact probabilities (total variation distance).
    fn check(n: u64, s: f64) {
        let z = Zipf::new(n, s);
        let mut rng = Rng::new(42);
        let draws = 400_000;
        let mut counts = vec![0u64; n as usize + 1];
        for _ in 0..draws {
            let k = z.sample(&mut rng);
            assert!((1..=n).contains(&k));
            counts[k as usize] += 1;
        }
        let norm: f64 = (1..=n).map(|k| (k as f64).powf(-s)).sum();
        let tv: f64 = (1..=n)
            .map(|k| (counts[k as usize] as f64 / draws as f64 - (k as f64).powf(-s) / norm).abs())
            .sum::<f64>()
            / 2.0;
        assert!(tv < 0.02, "n={n} s={s}: total variation {tv}");
        // The most popular rank within 2% of its probability.
        let p1 = 1.0 / norm;
        let f1 = counts[1] as f64 / draws as f64;
        assert!(
            (f1 - p1).abs() < 0.02 * p1 + 0.002,
            "n={n} s={s}: P(1) {f1} vs {p1}"
        );
    }

    #[test]
    fn matches_the_exact_distribution() {
        check(1, 0.99);
        check(10, 0.99);
        check(1000, 0.99);
        check(1000, 1.0);
        check(1000, 0.5);
        check(200, 1.5);
    }

    #[test]
    fn the_same_seed_gives_the_same_ranks() {
        let z = Zipf::new(1_000_000, 0.99);
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..1000 {
            assert_eq!(z.sample(&mut a), z.sample(&mut b));
        }
    }
}
