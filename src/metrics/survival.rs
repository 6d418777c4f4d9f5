//! Time-to-event with censoring (issue 11): the Kaplan–Meier estimate of the share of
//! identities not yet flagged after a given time. Identities never flagged are *censored* at
//! the end of the run (they count as at risk until then), not dropped.

/// One step of a Kaplan–Meier table, at a time when at least one event happened.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurvivalStep {
    /// Time of the events (same unit as the input).
    pub time: u64,
    /// Subjects still at risk just before `time` (events and censorings at ≥ `time`).
    pub at_risk: u64,
    /// Events at `time`.
    pub events: u64,
    /// Subjects censored in `(previous step's time, time)`, i.e. since the last step,
    /// before this one; censorings at an event time count as at risk at that time.
    pub censored: u64,
    /// Estimated survival S(time) = Π over steps so far of (1 − events / at_risk).
    pub survival: f64,
}

/// The Kaplan–Meier table of `subjects`, each `(time, event)`: `event` false means censored
/// at `time`. One row per distinct event time, in time order.
pub fn kaplan_meier(subjects: &[(u64, bool)]) -> Vec<SurvivalStep> {
    let mut sorted = subjects.to_vec();
    // At equal times, events first: a subject censored at t was at risk at t.
    sorted.sort_unstable_by_key(|&(t, event)| (t, !event));
    let mut at_risk = sorted.len() as u64;
    let mut survival = 1.0;
    let mut censored_since = 0u64;
    let mut steps = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let (time, event) = sorted[i];
        if !event {
            censored_since += 1;
            at_risk -= 1;
            i += 1;
            continue;
        }
        let mut events = 0;
        while i < sorted.len() && sorted[i] == (time, true) {
            events += 1;
            i += 1;
        }
        survival *= 1.0 - events as f64 / at_risk as f64;
        steps.push(SurvivalStep {
            time,
            at_risk,
            events,
            censored: censored_since,
            survival,
        });
        at_risk -= events;
        censored_since = 0;
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn without_censoring_it_is_the_empirical_survival_function(
            times in proptest::collection::vec(0u64..20, 1..50),
        ) {
            let subjects: Vec<_> = times.iter().map(|&t| (t, true)).collect();
            let n = times.len() as f64;
            for step in kaplan_meier(&subjects) {
                let beyond = times.iter().filter(|&&t| t > step.time).count() as f64;
                prop_assert!((step.survival - beyond / n).abs() < 1e-12);
            }
        }

        #[test]
        fn matches_the_product_limit_definition(
            subjects in proptest::collection::vec((0u64..15, any::<bool>()), 1..50),
        ) {
            let mut expected = 1.0;
            let steps = kaplan_meier(&subjects);
            let mut event_times: Vec<u64> =
                subjects.iter().filter(|s| s.1).map(|s| s.0).collect();
            event_times.sort_unstable();
            event_times.dedup();
            prop_assert_eq!(steps.len(), event_times.len());
            for (step, &t) in steps.iter().zip(&event_times) {
                let at_risk = subjects.iter().filter(|s| s.0 >= t).count() as u64;
                let events = subjects.iter().filter(|s| s.0 == t && s.1).count() as u64;
                expected *= 1.0 - events as f64 / at_risk as f64;
                prop_assert_eq!((step.time, step.at_risk, step.events), (t, at_risk, events));
                prop_assert!((step.survival - expected).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn censored_subjects_stay_at_risk_until_censored() {
        // Events at 1 and 3; one censored at 2, one never flagged (censored at 10).
        let steps = kaplan_meier(&[(1, true), (2, false), (3, true), (10, false)]);
        assert_eq!(steps.len(), 2);
        assert_eq!((steps[0].at_risk, steps[0].survival), (4, 0.75));
        assert_eq!((steps[1].at_risk, steps[1].censored), (2, 1));
        assert_eq!(steps[1].survival, 0.375);
    }
}
