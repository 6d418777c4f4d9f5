//! A fixed-memory log-bucket histogram for latency quantiles (nothing kept per finished job).

/// Histogram of non-negative integers with buckets growing by 1% (values below 100 are exact).
/// A quantile is reported as its bucket's lower bound: relative error ≤ 1%.
#[derive(Debug, Clone, Default)]
pub struct LogHistogram {
    counts: Vec<u64>,
    total: u64,
}

const EXACT: u64 = 100;
const GROWTH: f64 = 1.01;

impl LogHistogram {
    fn bucket(value: u64) -> usize {
        if value < EXACT {
            value as usize
        } else {
            EXACT as usize + ((value as f64 / EXACT as f64).ln() / GROWTH.ln()).floor() as usize
        }
    }

    fn lower_bound(bucket: usize) -> u64 {
        if bucket < EXACT as usize {
            bucket as u64
        } else {
            (EXACT as f64 * GROWTH.powi((bucket - EXACT as usize) as i32)).ceil() as u64
        }
    }

    /// Adds one observation.
    pub fn record(&mut self, value: u64) {
        let b = Self::bucket(value);
        if b >= self.counts.len() {
            self.counts.resize(b + 1, 0);
        }
        self.counts[b] += 1;
        self.total += 1;
    }

    /// Number of observations.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The `q`-quantile (0 ≤ q ≤ 1), or `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (b, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(Self::lower_bound(b));
            }
        }
        unreachable!("rank ≤ total")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_within_one_percent_of_exact() {
        let mut h = LogHistogram::default();
        let values: Vec<u64> = (0..10_000u64).map(|i| (i * i) % 97_331 + 1).collect();
        for &v in &values {
            h.record(v);
        }
        let mut sorted = values.clone();
        sorted.sort_unstable();
        for q in [0.5, 0.95, 0.99] {
            let exact = sorted[((q * sorted.len() as f64).ceil() as usize) - 1] as f64;
            let got = h.quantile(q).unwrap() as f64;
            assert!(
                (got - exact).abs() <= exact * 0.01 + 1.0,
                "q{q}: {got} vs {exact}"
            );
        }
        assert_eq!(h.count(), 10_000);
        assert_eq!(LogHistogram::default().quantile(0.5), None);
    }

    #[test]
    fn small_values_are_exact() {
        let mut h = LogHistogram::default();
        for v in [3, 3, 7, 50] {
            h.record(v);
        }
        assert_eq!(h.quantile(0.5), Some(3));
        assert_eq!(h.quantile(1.0), Some(50));
    }
}
