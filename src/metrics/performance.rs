//! Performance-market measures (SPEC §7, seed 004): does calibration push a miscalibrated
//! agent out, and how fast? Summary columns, empty outside a performance market:
//!
//! - `perf_refused_<reason>`: bids refused, by the first requirement they broke;
//! - `perf_successes`, `perf_failures`, `perf_billed` (credits billed on successes),
//!   `perf_penalty_due` and `perf_penalty_forfeited` (failure penalties, and the part taken
//!   from bonds);
//! - per kind: `calibration_<kind>` (mean final calibration of its live identities),
//!   `perf_value_share_first_<kind>` and `perf_value_share_last_<kind>` (its share of the contract value
//!   won in the first and the last quarter of the horizon, cut at sample times), and
//!   `perf_pushed_out_<kind>` (see [`pushed_out`]).
//!
//! All are computed once from the samples and the market's final state: O(samples × kinds +
//! identities).

use super::summary::Value;
use super::{Outcome, Sample};
use crate::market::AgentId;

/// Refusal reasons in the order of [`Counters::perf_refused`](super::Counters).
pub const REFUSAL_REASONS: [&str; 5] = ["latency", "success", "cost", "capability", "invalid"];

/// The performance-market summary columns of `outcome`, in order (all present in every run;
/// empty when the market does not clear by the performance rule).
pub fn columns(outcome: &Outcome) -> Vec<(String, Value)> {
    let rec = &outcome.recorder;
    let book = outcome.market.performance();
    let int = |v: u64| book.map_or(Value::Missing, |_| Value::Int(v));
    let float = |v: Option<f64>| {
        v.filter(|_| book.is_some())
            .map_or(Value::Missing, Value::Float)
    };
    let c = &rec.counters;
    let mut out: Vec<(String, Value)> = REFUSAL_REASONS
        .iter()
        .zip(c.perf_refused)
        .map(|(reason, n)| (format!("perf_refused_{reason}"), int(n)))
        .collect();
    out.push(("perf_successes".into(), int(c.perf_successes)));
    out.push(("perf_failures".into(), int(c.perf_failures)));
    out.push(("perf_billed".into(), int(c.perf_billed)));
    out.push(("perf_penalty_due".into(), int(c.perf_penalty_due)));
    out.push((
        "perf_penalty_forfeited".into(),
        int(c.perf_penalty_forfeited),
    ));
    let horizon = outcome.scenario.file().run.horizon;
    let threshold = outcome.scenario.file().performance.pushed_out_share;
    let live = outcome.population.identities.iter().filter(|i| i.active);
    let total_live = live.clone().count();
    for (k, &kind) in rec.kinds.iter().enumerate() {
        let label = kind.label();
        let members: Vec<AgentId> = live
            .clone()
            .filter(|i| i.kind == kind)
            .map(|i| i.id)
            .collect();
        let calibration = book
            .filter(|_| !members.is_empty())
            .map(|b| members.iter().map(|&a| b.calibration(a)).sum::<f64>() / members.len() as f64);
        out.push((format!("calibration_{label}"), float(calibration)));
        let (first, last) = quarter_shares(&rec.samples, k, horizon);
        out.push((format!("perf_value_share_first_{label}"), float(first)));
        out.push((format!("perf_value_share_last_{label}"), float(last)));
        let fair = members.len() as f64 / total_live.max(1) as f64;
        let pushed = pushed_out(&rec.samples, k, threshold * fair);
        out.push((
            format!("perf_pushed_out_{label}"),
            pushed
                .filter(|_| book.is_some())
                .map_or(Value::Missing, Value::Int),
        ));
    }
    out
}

/// Contract value won by kind `k` and by everybody at a sample.
fn value(sample: &Sample, k: usize) -> (u64, u64) {
    let total = sample.per_kind.iter().map(|s| s.value_won).sum();
    (sample.per_kind[k].value_won, total)
}

/// Kind `k`'s share of the value won in the first quarter of the horizon (from the start to
/// the last sample at or before `horizon / 4`) and in the last quarter (from the first sample
/// at or after `3 × horizon / 4` to the last sample); `None` for a window without value.
fn quarter_shares(samples: &[Sample], k: usize, horizon: u64) -> (Option<f64>, Option<f64>) {
    let share = |(a, total): (u64, u64)| (total > 0).then(|| a as f64 / total as f64);
    let first = samples
        .iter()
        .rev()
        .find(|s| s.time <= horizon / 4)
        .map(|s| value(s, k));
    let from = samples.iter().find(|s| s.time >= horizon / 4 * 3);
    let last = from.zip(samples.last()).map(|(from, end)| {
        let ((a0, t0), (a1, t1)) = (value(from, k), value(end, k));
        (a1 - a0, t1 - t0)
    });
    (first.and_then(share), last.and_then(share))
}

/// When kind `k` was pushed out: the start time of the earliest window between consecutive
/// samples from which on the kind's share of the value won in *every* window with any value
/// stays below `below` (the caller passes `pushed_out_share ×` the kind's share of live
/// identities, i.e. a fraction of its fair share). `None` if its last such window is not below.
pub fn pushed_out(samples: &[Sample], k: usize, below: f64) -> Option<u64> {
    let mut since = None;
    for w in samples.windows(2) {
        let ((a0, t0), (a1, t1)) = (value(&w[0], k), value(&w[1], k));
        if t1 == t0 {
            continue;
        }
        let share = (a1 - a0) as f64 / (t1 - t0) as f64;
        if share < below {
            since.get_or_insert(w[0].time);
        } else {
            since = None;
        }
    }
    since
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::KindSample;

    fn sample(time: u64, won: [u64; 2]) -> Sample {
        Sample {
            time,
            counters: Default::default(),
            per_kind: won
                .iter()
                .map(|&value_won| KindSample {
                    value_won,
                    ..KindSample::default()
                })
                .collect(),
            concentration: Default::default(),
            ranking: Default::default(),
            tiers: Default::default(),
        }
    }

    #[test]
    fn pushed_out_is_the_start_of_the_final_run_of_low_windows() {
        // Kind 0's window shares: 0.5, 0.1, 0.5, (no value), 0.1, 0.0.
        let s = [
            sample(0, [0, 0]),
            sample(10, [5, 5]),
            sample(20, [6, 14]),
            sample(30, [11, 19]),
            sample(40, [11, 19]),
            sample(50, [12, 28]),
            sample(60, [12, 38]),
        ];
        assert_eq!(pushed_out(&s, 0, 0.25), Some(40));
        assert_eq!(pushed_out(&s, 0, 0.05), Some(50));
        assert_eq!(pushed_out(&s, 0, 0.0), None);
        assert_eq!(pushed_out(&s, 1, 0.25), None);
        // First quarter (t ≤ 15): 5 of 10; last quarter (t ≥ 45 → from t = 50): 0 of 10.
        assert_eq!(quarter_shares(&s, 0, 60), (Some(0.5), Some(0.0)));
    }
}
