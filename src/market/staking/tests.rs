use super::*;
use proptest::prelude::*;

const A: AgentId = AgentId(0);
const B: AgentId = AgentId(1);

fn book() -> StakeBook {
    let mut b = StakeBook::new(StakingConfig::default()).unwrap();
    b.ensure(B);
    b
}

#[test]
fn golden_default_slash_amounts() {
    let c = StakingConfig::default();
    let bond = Credits(1000);
    // 10 % × 1; 25 % × 2; 100 % × 5 capped at the bond; 50 % × 2.
    assert_eq!(
        c.slash_amount(bond, SlashCondition::TaskFailure, 0),
        Credits(100)
    );
    assert_eq!(
        c.slash_amount(bond, SlashCondition::Timeout, 0),
        Credits(500)
    );
    assert_eq!(
        c.slash_amount(bond, SlashCondition::Byzantine, 0),
        Credits(1000)
    );
    assert_eq!(
        c.slash_amount(bond, SlashCondition::ReputationThreshold, 0),
        Credits(1000)
    );
    // Floor: 10 % of 333 is 33.3 → 33; 50 % of 333 is 166.5 → 166 (timeout).
    assert_eq!(
        c.slash_amount(Credits(333), SlashCondition::TaskFailure, 0),
        Credits(33)
    );
    assert_eq!(
        c.slash_amount(Credits(333), SlashCondition::Timeout, 0),
        Credits(166)
    );
    assert_eq!(
        c.slash_amount(Credits(9), SlashCondition::TaskFailure, 0),
        Credits(0)
    );
    // The default repeat multiplier is neutral.
    assert_eq!(
        c.slash_amount(bond, SlashCondition::TaskFailure, 50),
        Credits(100)
    );
}

#[test]
fn repeat_offender_multiplier_is_configurable_and_capped() {
    let c = StakingConfig {
        repeat_step_bp: 5_000,
        repeat_cap_bp: 20_000,
        ..Default::default()
    };
    c.validate().unwrap();
    assert_eq!(c.repeat_bp(0), 10_000);
    assert_eq!(c.repeat_bp(1), 15_000);
    assert_eq!(c.repeat_bp(2), 20_000);
    assert_eq!(c.repeat_bp(u32::MAX), 20_000);
    let mut b = StakeBook::new(c).unwrap();
    b.ensure(A);
    b.deposit(A, Credits(10_000)).unwrap();
    b.stake(A, Credits(10_000)).unwrap();
    let amounts: Vec<u64> = (0..3)
        .map(|_| b.slash(A, SlashCondition::TaskFailure).unwrap().amount.0)
        .collect();
    // 10 % of 10000; 15 % of 9000; 20 % of 7650.
    assert_eq!(amounts, vec![1000, 1350, 1530]);
    assert_eq!(b.stake_of(A).unwrap().offences, 3);
}

#[test]
fn lifecycle_conserves_and_pools_slashes() {
    let mut b = book();
    b.deposit(A, Credits(500)).unwrap();
    b.stake(A, Credits(400)).unwrap();
    let ev = b.slash(A, SlashCondition::Timeout).unwrap();
    assert_eq!(
        ev,
        SlashEvent {
            agent: A,
            condition: SlashCondition::Timeout,
            amount: Credits(200),
            remaining: Credits(200)
        }
    );
    b.unstake(A, Credits(200)).unwrap();
    b.withdraw(A, Credits(250)).unwrap();
    let t = b.totals();
    assert_eq!(
        t,
        StakeTotals {
            deposited: Credits(500),
            free: Credits(50),
            bonded: Credits(0),
            slashed_pool: Credits(200),
            withdrawn: Credits(250)
        }
    );
    assert!(b.is_conserved());
    assert_eq!(b.stake_of(A).unwrap().slashed, Credits(200));
}

#[test]
fn minimum_stake_rule() {
    let mut b = book();
    b.deposit(A, Credits(1000)).unwrap();
    assert_eq!(
        b.stake(A, Credits(99)),
        Err(StakingError::BelowMinimum {
            resulting: Credits(99),
            minimum: Credits(100)
        })
    );
    b.stake(A, Credits(100)).unwrap();
    assert_eq!(
        b.unstake(A, Credits(50)),
        Err(StakingError::BelowMinimum {
            resulting: Credits(50),
            minimum: Credits(100)
        })
    );
    // A slash may leave the bond under the minimum; a top-up must restore it.
    assert_eq!(
        b.slash(A, SlashCondition::TaskFailure).unwrap().remaining,
        Credits(90)
    );
    assert!(matches!(
        b.stake(A, Credits(5)),
        Err(StakingError::BelowMinimum { .. })
    ));
    b.stake(A, Credits(10)).unwrap();
    b.unstake(A, Credits(100)).unwrap();
    assert_eq!(b.stake_of(A).unwrap().bonded, Credits(0));
}

#[test]
fn bad_operations_are_typed_and_change_nothing() {
    let mut b = book();
    b.deposit(A, Credits(150)).unwrap();
    let before = b.clone();
    let c = AgentId(9);
    assert_eq!(b.deposit(c, Credits(1)), Err(StakingError::UnknownAgent(c)));
    assert_eq!(b.deposit(A, Credits(0)), Err(StakingError::ZeroAmount));
    assert_eq!(
        b.stake(A, Credits(151)),
        Err(StakingError::InsufficientFree {
            agent: A,
            available: Credits(150),
            requested: Credits(151)
        })
    );
    assert_eq!(
        b.unstake(A, Credits(1)),
        Err(StakingError::InsufficientBond {
            agent: A,
            bonded: Credits(0),
            requested: Credits(1)
        })
    );
    assert_eq!(
        b.slash(A, SlashCondition::Byzantine),
        Err(StakingError::NoBond(A))
    );
    assert!(matches!(
        b.withdraw(A, Credits(151)),
        Err(StakingError::InsufficientFree { .. })
    ));
    assert_eq!(b, before);
    b.deposit(A, Credits(u64::MAX - 150)).unwrap();
    let before = b.clone();
    assert_eq!(b.deposit(B, Credits(1)), Err(StakingError::Overflow));
    assert_eq!(b, before);
}

#[test]
fn config_validation_names_the_field() {
    let field = |c: StakingConfig| match c.validate() {
        Err(StakingError::InvalidConfig { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    let d = StakingConfig::default();
    assert_eq!(d.validate(), Ok(()));
    let mut c = d;
    c.timeout.pct_bp = 10_001;
    assert_eq!(field(c), "timeout.pct_bp");
    let c = StakingConfig {
        major_multiplier_bp: 5_000,
        ..d
    };
    assert_eq!(field(c), "major_multiplier_bp");
    let c = StakingConfig {
        critical_multiplier_bp: MAX_MULTIPLIER_BP + 1,
        ..d
    };
    assert_eq!(field(c), "critical_multiplier_bp");
    let c = StakingConfig {
        repeat_cap_bp: 9_999,
        ..d
    };
    assert_eq!(field(c), "repeat_cap_bp");
    assert!(StakeBook::new(c).is_err());
}

#[test]
fn extreme_values_do_not_overflow() {
    let c = StakingConfig {
        minor_multiplier_bp: MAX_MULTIPLIER_BP,
        major_multiplier_bp: MAX_MULTIPLIER_BP,
        critical_multiplier_bp: MAX_MULTIPLIER_BP,
        repeat_step_bp: MAX_MULTIPLIER_BP,
        repeat_cap_bp: MAX_MULTIPLIER_BP,
        ..Default::default()
    };
    c.validate().unwrap();
    let max = Credits(u64::MAX);
    assert_eq!(
        c.slash_amount(max, SlashCondition::Byzantine, u32::MAX),
        max
    );
    assert_eq!(
        StakingConfig::default().slash_amount(max, SlashCondition::TaskFailure, 0),
        Credits(u64::MAX / 10)
    );
}

#[derive(Debug, Clone)]
enum Op {
    Ensure(u32),
    Deposit(u32, u64),
    Stake(u32, u64),
    Unstake(u32, u64),
    Withdraw(u32, u64),
    Slash(u32, usize),
}

fn arb_op() -> impl Strategy<Value = Op> {
    let agent = 0u32..5;
    let amount = prop_oneof![Just(0u64), 1u64..150, 90u64..400];
    prop_oneof![
        1 => agent.clone().prop_map(Op::Ensure),
        3 => (agent.clone(), amount.clone()).prop_map(|(a, x)| Op::Deposit(a, x)),
        3 => (agent.clone(), amount.clone()).prop_map(|(a, x)| Op::Stake(a, x)),
        2 => (agent.clone(), amount.clone()).prop_map(|(a, x)| Op::Unstake(a, x)),
        2 => (agent.clone(), amount).prop_map(|(a, x)| Op::Withdraw(a, x)),
        3 => (agent, 0usize..4).prop_map(|(a, c)| Op::Slash(a, c)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Random operation sequences, including bad ones: failures change nothing, successes do
    /// exactly what they say, conservation and the running totals hold after every operation,
    /// a slash never exceeds the bond, and voluntary operations respect the bond rule.
    #[test]
    fn random_operations_conserve(ops in proptest::collection::vec(arb_op(), 1..120), repeat in prop_oneof![Just(0u32), 0u32..20_000]) {
        let config = StakingConfig { repeat_step_bp: repeat, repeat_cap_bp: 40_000, ..Default::default() };
        let mut b = StakeBook::new(config).unwrap();
        b.ensure(AgentId(2));
        for op in ops {
            let before = b.clone();
            let (agent, result) = match op {
                Op::Ensure(a) => { b.ensure(AgentId(a)); (AgentId(a), Ok(None)) }
                Op::Deposit(a, x) => (AgentId(a), b.deposit(AgentId(a), Credits(x)).map(|_| None)),
                Op::Stake(a, x) => (AgentId(a), b.stake(AgentId(a), Credits(x)).map(|_| None)),
                Op::Unstake(a, x) => (AgentId(a), b.unstake(AgentId(a), Credits(x)).map(|_| None)),
                Op::Withdraw(a, x) => (AgentId(a), b.withdraw(AgentId(a), Credits(x)).map(|_| None)),
                Op::Slash(a, c) => (AgentId(a), b.slash(AgentId(a), SlashCondition::ALL[c]).map(Some)),
            };
            match &result {
                Err(_) => prop_assert_eq!(&b, &before),
                Ok(_) => {
                    let old = before.stake_of(agent).copied().unwrap_or_default();
                    let new = *b.stake_of(agent).unwrap();
                    match op {
                        Op::Ensure(_) => prop_assert_eq!(old, new),
                        Op::Deposit(_, x) => prop_assert_eq!(new.free.0, old.free.0 + x),
                        Op::Stake(_, x) => {
                            prop_assert_eq!((new.free.0, new.bonded.0), (old.free.0 - x, old.bonded.0 + x));
                            prop_assert!(new.bonded >= config.minimum_stake);
                        }
                        Op::Unstake(_, x) => {
                            prop_assert_eq!((new.free.0, new.bonded.0), (old.free.0 + x, old.bonded.0 - x));
                            prop_assert!(new.bonded.is_zero() || new.bonded >= config.minimum_stake);
                        }
                        Op::Withdraw(_, x) => prop_assert_eq!(new.free.0, old.free.0 - x),
                        Op::Slash(_, c) => {
                            let ev = result.clone().unwrap().unwrap();
                            prop_assert!(ev.amount <= old.bonded);
                            prop_assert_eq!(ev.amount, config.slash_amount(old.bonded, SlashCondition::ALL[c], old.offences));
                            prop_assert_eq!(ev.remaining.0, old.bonded.0 - ev.amount.0);
                            prop_assert_eq!(new.bonded, ev.remaining);
                            prop_assert_eq!(new.offences, old.offences + 1);
                            prop_assert_eq!(b.totals().slashed_pool.0, before.totals().slashed_pool.0 + ev.amount.0);
                        }
                    }
                }
            }
            // Conservation, and the incremental totals agree with a recount.
            prop_assert!(b.is_conserved());
            let t = b.totals();
            let n = b.agent_count() as u32;
            let free: u64 = (0..n).map(|i| b.stake_of(AgentId(i)).unwrap().free.0).sum();
            let bonded: u64 = (0..n).map(|i| b.stake_of(AgentId(i)).unwrap().bonded.0).sum();
            let slashed: u64 = (0..n).map(|i| b.stake_of(AgentId(i)).unwrap().slashed.0).sum();
            prop_assert_eq!((t.free.0, t.bonded.0, t.slashed_pool.0), (free, bonded, slashed));
        }
    }

    /// With the default rules, the slash grows with the seriousness of the condition, and for
    /// any one percentage it grows with the severity class; it never exceeds the bond.
    #[test]
    fn severities_are_ordered(bond in 0u64..1_000_000_000, pct in 0u32..=10_000, prior in 0u32..10) {
        let c = StakingConfig::default();
        let bond = Credits(bond);
        let amt = |cond| c.slash_amount(bond, cond, prior);
        prop_assert!(amt(SlashCondition::TaskFailure) <= amt(SlashCondition::Timeout));
        prop_assert!(amt(SlashCondition::Timeout) <= amt(SlashCondition::ReputationThreshold));
        prop_assert!(amt(SlashCondition::ReputationThreshold) <= amt(SlashCondition::Byzantine));
        prop_assert!(amt(SlashCondition::Byzantine) <= bond);
        let with = |severity| StakingConfig { timeout: SlashRule { pct_bp: pct, severity }, ..c }
            .slash_amount(bond, SlashCondition::Timeout, prior);
        prop_assert!(with(Severity::Minor) <= with(Severity::Major));
        prop_assert!(with(Severity::Major) <= with(Severity::Critical));
        prop_assert!(with(Severity::Critical) <= bond);
    }
}
