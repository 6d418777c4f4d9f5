//! Tests of the reputation models (issue 13): each model against a whole-history reference,
//! EigenTrust against a hand-solved example and a dense linear solve, and order independence.

use super::eigentrust::GlobalTrust;
use super::*;
use crate::market::quality::{QualityVector, Weights};
use crate::market::reputation::{ReputationConfig, ReputationEngine};
use proptest::prelude::*;

fn rating(client: u32, agent: u32, score: f64, time: u64) -> Rating {
    Rating {
        client: Some(ClientId(client)),
        agent: AgentId(agent),
        score,
        time,
    }
}

// ---------------------------------------------------------------- beta

proptest! {
    /// `(r, s)` folded one rating at a time equal the whole-history sums
    /// `Σ δ^(N−i) x_i`, `Σ δ^(N−i) (1 − x_i)`, and E = (r + 1)/(r + s + 2).
    #[test]
    fn beta_matches_whole_history(
        forgetting in 0.01f64..=1.0,
        history in prop::collection::vec((0u32..4, 0.0f64..=1.0), 0..60),
    ) {
        let mut m = BetaModel::new(BetaConfig { forgetting });
        for (i, &(a, x)) in history.iter().enumerate() {
            m.record(rating(0, a, x, i as u64));
        }
        for a in 0..4u32 {
            let mine: Vec<f64> = history.iter().filter(|h| h.0 == a).map(|h| h.1).collect();
            let n = mine.len();
            let r: f64 = mine.iter().enumerate().map(|(i, x)| forgetting.powi((n - 1 - i) as i32) * x).sum();
            let s: f64 = mine.iter().enumerate().map(|(i, x)| forgetting.powi((n - 1 - i) as i32) * (1.0 - x)).sum();
            let [gr, gs] = m.evidence(AgentId(a));
            prop_assert!((gr - r).abs() < 1e-9 && (gs - s).abs() < 1e-9);
            let e = m.score(AgentId(a)).unwrap();
            prop_assert!((e - (r + 1.0) / (r + s + 2.0)).abs() < 1e-9);
        }
    }
}

#[test]
fn beta_worked_values() {
    let mut m = BetaModel::new(BetaConfig { forgetting: 0.5 });
    assert_eq!(m.score(AgentId(0)), Some(0.5));
    m.record(rating(0, 0, 1.0, 0));
    // r = 1, s = 0: E = 2/3.
    assert_eq!(m.score(AgentId(0)), Some(2.0 / 3.0));
    m.record(rating(0, 0, 0.0, 1));
    // r = 0.5, s = 1: E = 1.5/3.5.
    assert_eq!(m.score(AgentId(0)), Some(1.5 / 3.5));
    m.reset(AgentId(0));
    assert_eq!(m.score(AgentId(0)), Some(0.5));
}

// ---------------------------------------------------------------- peertrust

/// Whole-history PeerTrust: keeps every rating and recomputes consensus, credibility and the
/// score from the lists (README "Reputation models").
#[derive(Default)]
struct PeerTrustReference {
    /// (client, agent, x, credibility of the client when it rated).
    ratings: Vec<(Option<u32>, u32, f64, f64)>,
    /// Per client, every measured disagreement.
    disagreements: std::collections::BTreeMap<u32, Vec<f64>>,
}

impl PeerTrustReference {
    fn credibility(&self, c: u32) -> f64 {
        match self.disagreements.get(&c) {
            Some(d) if !d.is_empty() => 1.0 - d.iter().sum::<f64>() / d.len() as f64,
            _ => 1.0,
        }
    }

    fn record(&mut self, client: Option<u32>, agent: u32, x: f64) {
        let cr = client.map_or(1.0, |c| self.credibility(c));
        if let Some(c) = client {
            let others: Vec<f64> = self
                .ratings
                .iter()
                .filter(|r| r.1 == agent && r.0.is_some() && r.0 != Some(c))
                .map(|r| r.2)
                .collect();
            if !others.is_empty() {
                let consensus = others.iter().sum::<f64>() / others.len() as f64;
                self.disagreements
                    .entry(c)
                    .or_default()
                    .push((x - consensus).abs());
            }
        }
        self.ratings.push((client, agent, x, cr));
    }

    fn score(&self, agent: u32, decay: f64) -> Option<f64> {
        let mine: Vec<_> = self.ratings.iter().filter(|r| r.1 == agent).collect();
        let n = mine.len();
        let w = |i: usize| decay.powi((n - 1 - i) as i32);
        let num: f64 = mine.iter().enumerate().map(|(i, r)| w(i) * r.3 * r.2).sum();
        let den: f64 = mine.iter().enumerate().map(|(i, r)| w(i) * r.3).sum();
        (den > 0.0).then(|| num / den)
    }
}

proptest! {
    /// The O(1) PeerTrust equals the whole-history reference after every rating.
    #[test]
    fn peertrust_matches_whole_history(
        decay in 0.05f64..=1.0,
        history in prop::collection::vec((prop::option::weighted(0.9, 0u32..5), 0u32..4, 0.0f64..=1.0), 0..60),
    ) {
        let mut m = PeerTrustModel::new(PeerTrustConfig { decay });
        let mut reference = PeerTrustReference::default();
        for (i, &(c, a, x)) in history.iter().enumerate() {
            m.record(Rating { client: c.map(ClientId), agent: AgentId(a), score: x, time: i as u64 });
            reference.record(c, a, x);
            for client in 0..5 {
                prop_assert!((m.credibility(client) - reference.credibility(client)).abs() < 1e-9);
            }
            for agent in 0..4 {
                match (m.score(AgentId(agent)), reference.score(agent, decay)) {
                    (Some(g), Some(w)) => prop_assert!((g - w).abs() < 1e-9, "{} vs {}", g, w),
                    (None, None) => {}
                    (g, w) => prop_assert!(false, "{:?} vs {:?}", g, w),
                }
            }
        }
    }
}

/// A client that contradicts the consensus loses credibility and its later praise counts less.
#[test]
fn peertrust_discounts_a_dissenting_rater() {
    let mut m = PeerTrustModel::new(PeerTrustConfig { decay: 1.0 });
    // Honest clients 0 and 1 rate agent 0 at 0.2; client 2 (a shill) rates it 1.0.
    for c in [0, 1] {
        m.record(rating(c, 0, 0.2, 0));
    }
    m.record(rating(2, 0, 1.0, 0));
    // Disagreement 0.8: credibility 0.2.
    assert!((m.credibility(2) - 0.2).abs() < 1e-12);
    // Client 0 disagreed with nobody yet (it rated first); client 1 agreed with client 0.
    assert_eq!((m.credibility(0), m.credibility(1)), (1.0, 1.0));
    // The shill's first rating carried its credibility before that disagreement (1): (0.2 +
    // 0.2 + 1.0)/3. Its next one carries 0.2.
    assert!((m.score(AgentId(0)).unwrap() - 1.4 / 3.0).abs() < 1e-12);
    m.record(rating(2, 0, 1.0, 1));
    // Its second disagreement is |1 − 0.2| again: credibility stays 0.2.
    assert!((m.score(AgentId(0)).unwrap() - (1.4 + 0.2) / 3.2).abs() < 1e-12);
}

// ---------------------------------------------------------------- eigentrust

fn et(alpha: f64, pretrusted: u32) -> EigenTrustModel {
    EigenTrustModel::new(EigenTrustConfig {
        alpha,
        pretrusted_clients: pretrusted,
        interval: 1,
        tolerance: 1e-13,
        satisfaction: 0.5,
    })
}

/// The hand-solved example (README "Reputation models"): clients c0 (pre-trusted) and c1,
/// agents a0 and a1, α = 1/5. c0 rates a0 satisfactory twice and a1 once; c1 rates a1
/// satisfactory once and a0 unsatisfactory once. Normalised local trust:
/// c0 → (a0 2/3, a1 1/3), c1 → (a1 1), a0 → (c0 2/3, c1 1/3), a1 → (c0 1/2, c1 1/2).
/// Solving t = (4/5)·Cᵀt + (1/5)·e_c0 exactly with fractions gives
/// t = (85/209, 280/1881, 136/627, 428/1881) for (c0, c1, a0, a1).
#[test]
fn eigentrust_hand_solved_example() {
    let mut m = et(0.2, 1);
    for (c, a, x) in [
        (0, 0, 0.9),
        (0, 0, 0.8),
        (0, 1, 0.7),
        (1, 1, 0.6),
        (1, 0, 0.2),
    ] {
        m.add(ClientId(c), AgentId(a), x);
    }
    let t = m.global_trust();
    let want_c = [85.0 / 209.0, 280.0 / 1881.0];
    let want_a = [136.0 / 627.0, 428.0 / 1881.0];
    for (got, want) in t
        .clients
        .iter()
        .zip(want_c)
        .chain(t.agents.iter().zip(want_a))
    {
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }
    m.recompute();
    // Scores are trust over the best agent's: a1 = 1, a0 = (136/627)/(428/1881) = 102/107.
    assert_eq!(m.score(AgentId(1)), Some(1.0));
    assert!((m.score(AgentId(0)).unwrap() - 102.0 / 107.0).abs() < 1e-12);
}

/// Dense reference: builds the row-stochastic matrix M (inactive rows = p) from the whole
/// rating list and solves (I − (1−α)Mᵀ) t = α p by Gaussian elimination with partial pivoting.
fn dense_reference(ratings: &[(u32, u32, f64)], alpha: f64, pretrusted: u32) -> GlobalTrust {
    let k = pretrusted as usize;
    let nc = ratings
        .iter()
        .map(|r| r.0 as usize + 1)
        .max()
        .unwrap_or(0)
        .max(k);
    let na = ratings.iter().map(|r| r.1 as usize + 1).max().unwrap_or(0);
    let n = nc + na;
    let mut p = vec![0.0; n];
    if k > 0 {
        p[..k].fill(1.0 / k as f64);
    } else {
        p.fill(1.0 / n as f64);
    }
    let mut local = vec![vec![0.0f64; n]; n];
    let mut count = vec![vec![0.0f64; n]; n];
    for &(c, a, x) in ratings {
        local[c as usize][nc + a as usize] += if x >= 0.5 { 1.0 } else { -1.0 };
        count[nc + a as usize][c as usize] += 1.0;
    }
    let mut m = vec![vec![0.0; n]; n];
    for i in 0..n {
        let row: Vec<f64> = if i < nc {
            local[i].iter().map(|v| v.max(0.0)).collect()
        } else {
            count[i].clone()
        };
        let sum: f64 = row.iter().sum();
        for j in 0..n {
            m[i][j] = if sum > 0.0 { row[j] / sum } else { p[j] };
        }
    }
    // A = I − (1−α) Mᵀ, b = α p.
    let mut a: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| f64::from(u8::from(i == j)) - (1.0 - alpha) * m[j][i])
                .collect()
        })
        .collect();
    let mut b: Vec<f64> = p.iter().map(|x| alpha * x).collect();
    for col in 0..n {
        let piv = (col..n)
            .max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))
            .unwrap();
        a.swap(col, piv);
        b.swap(col, piv);
        let (pivot_rows, rest) = a.split_at_mut(col + 1);
        let pivot = &pivot_rows[col];
        for (k, row) in rest.iter_mut().enumerate() {
            let f = row[col] / pivot[col];
            for (x, p) in row[col..].iter_mut().zip(&pivot[col..]) {
                *x -= f * p;
            }
            b[col + 1 + k] -= f * b[col];
        }
    }
    let mut t = vec![0.0; n];
    for i in (0..n).rev() {
        let rest: f64 = (i + 1..n).map(|j| a[i][j] * t[j]).sum();
        t[i] = (b[i] - rest) / a[i][i];
    }
    GlobalTrust {
        clients: t[..nc].to_vec(),
        agents: t[nc..].to_vec(),
        iterations: 0,
    }
}

fn max_gap(x: &GlobalTrust, y: &GlobalTrust) -> f64 {
    assert_eq!(
        (x.clients.len(), x.agents.len()),
        (y.clients.len(), y.agents.len())
    );
    x.clients
        .iter()
        .zip(&y.clients)
        .chain(x.agents.iter().zip(&y.agents))
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max)
}

fn ratings() -> impl Strategy<Value = Vec<(u32, u32, f64)>> {
    prop::collection::vec((0u32..8, 0u32..8, 0.0f64..=1.0), 1..80)
}

proptest! {
    /// Power iteration reaches the stationary vector of the dense matrix within 1e-9, and the
    /// vector is a distribution.
    #[test]
    fn eigentrust_converges_to_dense_solution(
        ratings in ratings(),
        alpha in 0.05f64..=1.0,
        pretrusted in 0u32..4,
    ) {
        let mut m = et(alpha, pretrusted);
        for &(c, a, x) in &ratings {
            m.add(ClientId(c), AgentId(a), x);
        }
        let got = m.global_trust();
        let want = dense_reference(&ratings, alpha, pretrusted);
        prop_assert!(max_gap(&got, &want) < 1e-9, "gap {}", max_gap(&got, &want));
        let total: f64 = got.clients.iter().chain(&got.agents).sum();
        prop_assert!((total - 1.0).abs() < 1e-9);
    }

    /// A recomputation warm-started from the previous vector reaches the same stationary
    /// vector as a cold one.
    #[test]
    fn eigentrust_warm_start_reaches_the_same_vector(
        first in ratings(),
        second in ratings(),
        alpha in 0.05f64..=1.0,
    ) {
        let mut m = et(alpha, 1);
        for &(c, a, x) in &first {
            m.add(ClientId(c), AgentId(a), x);
        }
        m.recompute();
        for &(c, a, x) in &second {
            m.add(ClientId(c), AgentId(a), x);
        }
        m.recompute();
        let all: Vec<_> = first.iter().chain(&second).copied().collect();
        let want = dense_reference(&all, alpha, 1);
        let got = m.vector().unwrap();
        prop_assert!(max_gap(got, &want) < 1e-9, "gap {}", max_gap(got, &want));
    }

    /// The global trust vector does not depend on the order the ratings arrived in.
    #[test]
    fn eigentrust_ignores_rating_order(
        ratings in ratings(),
        keys in prop::collection::vec(any::<u64>(), 80),
        alpha in 0.05f64..=1.0,
    ) {
        let mut shuffled: Vec<_> = ratings.iter().copied().zip(&keys).collect();
        shuffled.sort_by_key(|(_, k)| **k);
        let (mut m1, mut m2) = (et(alpha, 2), et(alpha, 2));
        for &(c, a, x) in &ratings {
            m1.add(ClientId(c), AgentId(a), x);
        }
        for &((c, a, x), _) in &shuffled {
            m2.add(ClientId(c), AgentId(a), x);
        }
        prop_assert!(max_gap(&m1.global_trust(), &m2.global_trust()) < 1e-12);
    }
}

#[test]
fn eigentrust_recomputes_once_per_interval() {
    let mut m = EigenTrustModel::new(EigenTrustConfig {
        interval: 3600,
        ..EigenTrustConfig::default()
    });
    for t in [0, 10, 3599] {
        m.record(rating(0, 0, 0.9, t));
    }
    assert_eq!(m.recomputations(), 1);
    assert!(m.take_global_change());
    assert!(!m.take_global_change());
    m.record(rating(0, 1, 0.9, 3600));
    assert_eq!(m.recomputations(), 2);
    // A prior (no rater) is not in the graph.
    m.record(Rating {
        client: None,
        agent: AgentId(2),
        score: 1.0,
        time: 99_999,
    });
    assert_eq!((m.rated_pairs(), m.recomputations()), (2, 2));
    assert_eq!(m.score(AgentId(2)), None);
}

// ---------------------------------------------------------------- engine

fn q(x: f64) -> QualityVector {
    QualityVector::new([x; 6]).unwrap()
}

/// Under a non-paper model R is the model's score and T = R·(1−γ)·min(1, N/N_min).
#[test]
fn engine_ranks_by_the_model_score() {
    let config = ReputationConfig {
        model: ModelConfig::Beta(BetaConfig { forgetting: 1.0 }),
        ..ReputationConfig::default()
    };
    let mut e = ReputationEngine::new(config).unwrap();
    let a = e.register();
    assert_eq!((e.reputation(a), e.trust(a)), (0.5, 0.0));
    let rec = e
        .record_by(a, q(0.8), Some(600), Some((ClientId(0), 0)))
        .unwrap();
    // r = 0.8, s = 0.2: E = 1.8/3 = 0.6; one job of N_min = 5 seasons T to a fifth.
    let want = 1.8 / 3.0;
    assert!((rec.reputation - want).abs() < 1e-12);
    assert!((rec.trust - want * (1.0 - rec.suspicion) / 5.0).abs() < 1e-12);
    assert_eq!(e.reputation(a), rec.reputation);
}

/// `detectors = false` keeps every flag down and γ at 0, whatever the history.
#[test]
fn detectors_can_be_switched_off() {
    for detectors in [true, false] {
        let mut e = ReputationEngine::new(ReputationConfig {
            detectors,
            ..ReputationConfig::default()
        })
        .unwrap();
        let a = e.register();
        let mut flagged = false;
        for _ in 0..12 {
            flagged |= !e.record(a, q(0.995), Some(5)).unwrap().flags.is_empty();
        }
        assert_eq!(flagged, detectors);
        assert_eq!(e.suspicion(a) == 0.0, !detectors);
    }
}

/// An EigenTrust engine refreshes every agent's cached R at a recomputation, not only the
/// rated one's.
#[test]
fn engine_refreshes_all_agents_on_recomputation() {
    let config = ReputationConfig {
        model: ModelConfig::EigenTrust(EigenTrustConfig {
            interval: 100,
            ..EigenTrustConfig::default()
        }),
        weights: Weights::uniform(),
        ..ReputationConfig::default()
    };
    let mut e = ReputationEngine::new(config).unwrap();
    let (a, b) = (e.register(), e.register());
    e.record_by(a, q(0.9), None, Some((ClientId(0), 0)))
        .unwrap();
    assert_eq!(e.reputation(a), 1.0);
    e.record_by(b, q(0.9), None, Some((ClientId(0), 50)))
        .unwrap();
    // No recomputation yet: b has no score and answers the initial 0.5.
    assert_eq!(e.reputation(b), 0.5);
    e.record_by(b, q(0.9), None, Some((ClientId(0), 100)))
        .unwrap();
    // c0 now trusts b twice as much as a: b is the best agent, a scores about half.
    assert_eq!(e.reputation(b), 1.0);
    assert!((e.reputation(a) - 0.5).abs() < 1e-9, "{}", e.reputation(a));
}

/// The published five-peer example of the EigenTrust book (eigen-books.gitbook.io, "Algorithm"):
/// opinions `op[i][j]` (each row sums to 1), scores s = [1000, 2000, 500, 300, 200]. One step
/// of `s ← Cᵀ s` gives the book's [490, 300, 790, 840, 1580]; iterated to convergence it gives
/// the stationary vector, solved here exactly in fractions (total trust 4000 is conserved):
/// s = [1293750, 693250, 1851250, 1321000, 1172750] / 1583.
#[test]
fn eigentrust_published_five_peer_example() {
    use crate::market::reputation_model::eigentrust::{TrustEdge, power_iteration};
    let op = [
        [0.0, 0.2, 0.3, 0.5, 0.0],
        [0.1, 0.0, 0.1, 0.1, 0.7],
        [0.4, 0.1, 0.0, 0.2, 0.3],
        [0.1, 0.1, 0.7, 0.0, 0.1],
        [0.3, 0.1, 0.4, 0.2, 0.0],
    ];
    let edges: Vec<TrustEdge> = (0..5)
        .flat_map(|i| (0..5).map(move |j| (i, j)))
        .filter(|&(i, j)| op[i][j] > 0.0)
        .map(|(from, to)| TrustEdge {
            from,
            to,
            num: op[from][to],
            den: 1.0,
        })
        .collect();
    let p = [0.2; 5];
    let s0 = vec![1000.0, 2000.0, 500.0, 300.0, 200.0];
    let (one, n) = power_iteration(&edges, &p, 0.0, f64::INFINITY, s0.clone());
    assert_eq!(n, 1);
    for (got, want) in one.iter().zip([490.0, 300.0, 790.0, 840.0, 1580.0]) {
        assert!((got - want).abs() < 1e-9, "{got} vs {want}");
    }
    let (t, _) = power_iteration(&edges, &p, 0.0, 1e-12, s0);
    let exact = [1293750.0, 693250.0, 1851250.0, 1321000.0, 1172750.0].map(|x| x / 1583.0);
    for (got, want) in t.iter().zip(exact) {
        assert!((got - want).abs() < 1e-9, "{got} vs {want}");
    }
}
