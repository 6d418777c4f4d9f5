//! Staking and slashing (SPEC §7, seed 002 "Economic Fault Tolerance").
//!
//! ```text
//!             deposit            stake              slash
//!  outside ──────────▶ free ──────────▶ bonded ──────────▶ slashed_pool (platform insurance)
//!     ▲                 │  ◀──────────
//!     └─────────────────┘    unstake
//!          withdraw
//! ```
//!
//! Units: all amounts are integer [`Credits`]; percentages and multipliers are integer basis
//! points (1 bp = 0.01 %, 10 000 bp = 100 % = ×1).
//!
//! Conservation (checked by [`StakeBook::is_conserved`] in O(1) from running totals):
//! `Σ(free + bonded) + slashed_pool + withdrawn == Σ deposits`, exactly. Slashed credits are
//! never destroyed: they move into `slashed_pool`, which stands for the platform insurance pool
//! (seed 002 pays slashes out via `execute_slash_payment` without saying to whom).
//!
//! Slash amount (seed 002 `calculate_slash_amount`):
//! `min(bond, floor(bond × pct × severity × repeat))`, computed as one integer product in
//! `u128` over basis points and floored once at the end (`/ 10 000³`), so the amount rounds
//! toward the agent and no intermediate rounding compounds. Seed 002 calls a
//! `calculate_repeat_offender_multiplier` that it never defines; here it is
//! `min(repeat_cap, 1 + repeat_step × prior_offences)` with a neutral default (step 0 → ×1).
//! Seed 002's `grace_period` fields and `stake_multiplier`/`performance_bond` are declared but never
//! used by the seed, and are not modelled.
//!
//! Bond rule: after a voluntary operation (stake, unstake) an agent's bond is either 0 or at
//! least `minimum_stake`. Only a slash can leave a bond between the two; the agent may then top
//! it up to the minimum or unstake all of it.
//!
//! Every failing operation returns a [`StakingError`] and changes nothing. Every operation is
//! O(1); memory is one small record per registered agent.

use thiserror::Error;

use crate::market::ids::AgentId;
use crate::market::money::Credits;

/// 100 % (and ×1) in basis points.
pub const BP: u32 = 10_000;

/// Largest multiplier (severity or repeat) a configuration may hold: ×100. It keeps the
/// slash product within `u128`.
pub const MAX_MULTIPLIER_BP: u32 = 100 * BP;

/// Why a staking operation or configuration was refused (SPEC §7, seed 002). The operation
/// changed nothing.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StakingError {
    /// A configuration field is outside its allowed range.
    #[error("staking config field `{field}` = {value} is not in {allowed}")]
    InvalidConfig {
        /// Name of the field (its scenario key).
        field: &'static str,
        /// The offending value.
        value: u64,
        /// The allowed range, in words.
        allowed: &'static str,
    },
    /// The agent was never registered with [`StakeBook::ensure`].
    #[error("agent {0} is not registered in the stake book")]
    UnknownAgent(AgentId),
    /// A deposit, stake, unstake or withdrawal of zero credits.
    #[error("amount must be positive")]
    ZeroAmount,
    /// Staking or withdrawing more than the agent's free balance.
    #[error("agent {agent} has {available} free credits, {requested} requested")]
    InsufficientFree {
        /// The agent.
        agent: AgentId,
        /// Free credits.
        available: Credits,
        /// Credits asked for.
        requested: Credits,
    },
    /// Unstaking more than the agent's bond.
    #[error("agent {agent} has a bond of {bonded}, {requested} requested")]
    InsufficientBond {
        /// The agent.
        agent: AgentId,
        /// Bonded credits.
        bonded: Credits,
        /// Credits asked for.
        requested: Credits,
    },
    /// The bond after a stake or unstake would be positive but below `minimum_stake`.
    #[error("resulting bond {resulting} is below the minimum stake {minimum}")]
    BelowMinimum {
        /// The bond the operation would leave.
        resulting: Credits,
        /// The configured minimum.
        minimum: Credits,
    },
    /// Slashing an agent whose bond is zero.
    #[error("agent {0} has no bond to slash")]
    NoBond(AgentId),
    /// The total of deposits would overflow `u64`.
    #[error("deposit total overflows")]
    Overflow,
}

/// What an agent is slashed for (SPEC §7, seed 002 `slashing_conditions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlashCondition {
    /// Failed task: 10 %, minor.
    TaskFailure,
    /// Deadline missed (seed 002 `timeout_violation`): 25 %, major.
    Timeout,
    /// Byzantine behaviour: 100 %, critical.
    Byzantine,
    /// Reputation fell under a threshold: 50 %, major.
    ReputationThreshold,
}

impl SlashCondition {
    /// All conditions, in declaration order.
    pub const ALL: [SlashCondition; 4] = [
        SlashCondition::TaskFailure,
        SlashCondition::Timeout,
        SlashCondition::Byzantine,
        SlashCondition::ReputationThreshold,
    ];
}

/// How serious a condition is; selects a multiplier (SPEC §7, seed 002: 1 / 2 / 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// ×1 by default.
    Minor,
    /// ×2 by default.
    Major,
    /// ×5 by default.
    Critical,
}

/// Percentage and severity of one slash condition (SPEC §7, seed 002).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlashRule {
    /// Base share of the bond, in basis points (≤ 10 000).
    pub pct_bp: u32,
    /// Severity class.
    pub severity: Severity,
}

/// Every staking constant (SPEC §7, seed 002); each is a scenario key. Defaults are the seed's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StakingConfig {
    /// Smallest non-zero bond after a voluntary operation (100).
    pub minimum_stake: Credits,
    /// Task failure: 1 000 bp, minor.
    pub task_failure: SlashRule,
    /// Timeout: 2 500 bp, major.
    pub timeout: SlashRule,
    /// Byzantine behaviour: 10 000 bp, critical.
    pub byzantine: SlashRule,
    /// Reputation threshold: 5 000 bp, major.
    pub reputation_threshold: SlashRule,
    /// Minor multiplier in bp (10 000 = ×1).
    pub minor_multiplier_bp: u32,
    /// Major multiplier in bp (20 000 = ×2).
    pub major_multiplier_bp: u32,
    /// Critical multiplier in bp (50 000 = ×5).
    pub critical_multiplier_bp: u32,
    /// Repeat-offender increment per prior offence, in bp (0: seed 002 leaves it undefined).
    pub repeat_step_bp: u32,
    /// Cap of the repeat-offender multiplier, in bp (≥ 10 000; default 10 000).
    pub repeat_cap_bp: u32,
}

impl Default for StakingConfig {
    fn default() -> Self {
        Self {
            minimum_stake: Credits(100),
            task_failure: SlashRule {
                pct_bp: 1_000,
                severity: Severity::Minor,
            },
            timeout: SlashRule {
                pct_bp: 2_500,
                severity: Severity::Major,
            },
            byzantine: SlashRule {
                pct_bp: 10_000,
                severity: Severity::Critical,
            },
            reputation_threshold: SlashRule {
                pct_bp: 5_000,
                severity: Severity::Major,
            },
            minor_multiplier_bp: BP,
            major_multiplier_bp: 2 * BP,
            critical_multiplier_bp: 5 * BP,
            repeat_step_bp: 0,
            repeat_cap_bp: BP,
        }
    }
}

impl StakingConfig {
    /// Checks every field (SPEC §7): percentages ≤ 10 000 bp; multipliers ≤
    /// [`MAX_MULTIPLIER_BP`] and ordered minor ≤ major ≤ critical; `repeat_cap_bp` in
    /// [10 000, MAX]; `repeat_step_bp` ≤ MAX. The error names the first offending field.
    pub fn validate(&self) -> Result<(), StakingError> {
        let bad = |field, value: u32, allowed| {
            Err(StakingError::InvalidConfig {
                field,
                value: u64::from(value),
                allowed,
            })
        };
        for (field, rule) in [
            ("task_failure.pct_bp", self.task_failure),
            ("timeout.pct_bp", self.timeout),
            ("byzantine.pct_bp", self.byzantine),
            ("reputation_threshold.pct_bp", self.reputation_threshold),
        ] {
            if rule.pct_bp > BP {
                return bad(field, rule.pct_bp, "[0, 10000]");
            }
        }
        if self.minor_multiplier_bp > MAX_MULTIPLIER_BP {
            return bad(
                "minor_multiplier_bp",
                self.minor_multiplier_bp,
                "[0, 1000000]",
            );
        }
        if self.major_multiplier_bp < self.minor_multiplier_bp
            || self.major_multiplier_bp > MAX_MULTIPLIER_BP
        {
            return bad(
                "major_multiplier_bp",
                self.major_multiplier_bp,
                "[minor_multiplier_bp, 1000000]",
            );
        }
        if self.critical_multiplier_bp < self.major_multiplier_bp
            || self.critical_multiplier_bp > MAX_MULTIPLIER_BP
        {
            return bad(
                "critical_multiplier_bp",
                self.critical_multiplier_bp,
                "[major_multiplier_bp, 1000000]",
            );
        }
        if self.repeat_step_bp > MAX_MULTIPLIER_BP {
            return bad("repeat_step_bp", self.repeat_step_bp, "[0, 1000000]");
        }
        if !(BP..=MAX_MULTIPLIER_BP).contains(&self.repeat_cap_bp) {
            return bad("repeat_cap_bp", self.repeat_cap_bp, "[10000, 1000000]");
        }
        Ok(())
    }

    /// The rule of a condition.
    pub fn rule(&self, condition: SlashCondition) -> SlashRule {
        match condition {
            SlashCondition::TaskFailure => self.task_failure,
            SlashCondition::Timeout => self.timeout,
            SlashCondition::Byzantine => self.byzantine,
            SlashCondition::ReputationThreshold => self.reputation_threshold,
        }
    }

    /// The multiplier of a severity, in bp.
    pub fn severity_bp(&self, severity: Severity) -> u32 {
        match severity {
            Severity::Minor => self.minor_multiplier_bp,
            Severity::Major => self.major_multiplier_bp,
            Severity::Critical => self.critical_multiplier_bp,
        }
    }

    /// The repeat-offender multiplier after `prior_offences` earlier slashes, in bp:
    /// `min(repeat_cap, 10 000 + repeat_step × prior_offences)`.
    pub fn repeat_bp(&self, prior_offences: u32) -> u32 {
        let raw = u64::from(BP) + u64::from(self.repeat_step_bp) * u64::from(prior_offences);
        raw.min(u64::from(self.repeat_cap_bp)) as u32
    }

    /// Slash amount for a bond (seed 002 `calculate_slash_amount`):
    /// `min(bond, floor(bond × pct × severity × repeat))`, floored once (see module doc).
    /// Assumes a validated config.
    pub fn slash_amount(
        &self,
        bond: Credits,
        condition: SlashCondition,
        prior_offences: u32,
    ) -> Credits {
        let rule = self.rule(condition);
        let factor = u128::from(rule.pct_bp)
            * u128::from(self.severity_bp(rule.severity))
            * u128::from(self.repeat_bp(prior_offences));
        let scale = u128::from(BP).pow(3);
        // bond < 2^64 and factor ≤ 10^4 · 10^6 · 10^6 < 2^54, so the product fits in u128.
        let raw = u128::from(bond.0) * factor / scale;
        Credits(raw.min(u128::from(bond.0)) as u64)
    }
}

/// One executed slash (SPEC §7, seed 002 `slashing_event`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlashEvent {
    /// The slashed agent.
    pub agent: AgentId,
    /// Why.
    pub condition: SlashCondition,
    /// Credits moved from the bond to the slashed pool (may be 0 for a tiny bond).
    pub amount: Credits,
    /// The bond left.
    pub remaining: Credits,
}

/// One agent's stake (SPEC §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AgentStake {
    /// Deposited and not bonded.
    pub free: Credits,
    /// Bonded (at risk of slashing).
    pub bonded: Credits,
    /// Total ever slashed from this agent.
    pub slashed: Credits,
    /// Number of slashes so far (drives the repeat-offender multiplier).
    pub offences: u32,
}

/// System-wide running totals (SPEC §7), maintained incrementally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StakeTotals {
    /// Σ deposits ever made.
    pub deposited: Credits,
    /// Σ free balances.
    pub free: Credits,
    /// Σ bonds.
    pub bonded: Credits,
    /// Credits slashed into the platform insurance pool.
    pub slashed_pool: Credits,
    /// Credits withdrawn out of the staking system.
    pub withdrawn: Credits,
}

/// The stake of every registered agent, indexed densely by [`AgentId`] (SPEC §7, seed 002).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StakeBook {
    config: StakingConfig,
    agents: Vec<AgentStake>,
    totals: StakeTotals,
}

impl StakeBook {
    /// An empty book with a validated configuration.
    pub fn new(config: StakingConfig) -> Result<Self, StakingError> {
        config.validate()?;
        Ok(Self {
            config,
            agents: Vec::new(),
            totals: StakeTotals::default(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &StakingConfig {
        &self.config
    }

    /// Registers `agent` and every lower id not yet registered (ids are dense). Idempotent.
    pub fn ensure(&mut self, agent: AgentId) {
        if agent.index() >= self.agents.len() {
            self.agents.resize(agent.index() + 1, AgentStake::default());
        }
    }

    /// Number of registered agents.
    pub fn agent_count(&self) -> usize {
        self.agents.len()
    }

    /// An agent's stake, or `None` if unregistered.
    pub fn stake_of(&self, agent: AgentId) -> Option<&AgentStake> {
        self.agents.get(agent.index())
    }

    /// The running totals.
    pub fn totals(&self) -> StakeTotals {
        self.totals
    }

    /// `Σ(free + bonded) + slashed_pool + withdrawn == Σ deposits` (O(1)).
    pub fn is_conserved(&self) -> bool {
        let t = self.totals;
        u128::from(t.free.0)
            + u128::from(t.bonded.0)
            + u128::from(t.slashed_pool.0)
            + u128::from(t.withdrawn.0)
            == u128::from(t.deposited.0)
    }

    fn get(&self, agent: AgentId) -> Result<AgentStake, StakingError> {
        self.agents
            .get(agent.index())
            .copied()
            .ok_or(StakingError::UnknownAgent(agent))
    }

    fn positive(amount: Credits) -> Result<(), StakingError> {
        if amount.is_zero() {
            Err(StakingError::ZeroAmount)
        } else {
            Ok(())
        }
    }

    fn bond_allowed(&self, resulting: Credits) -> Result<(), StakingError> {
        if !resulting.is_zero() && resulting < self.config.minimum_stake {
            Err(StakingError::BelowMinimum {
                resulting,
                minimum: self.config.minimum_stake,
            })
        } else {
            Ok(())
        }
    }

    // In the mutators below every check runs before the first write, and every write after the
    // checks is infallible: subtotals never exceed `deposited`, which is checked on deposit.

    /// Credits enter the staking system as the agent's free balance.
    pub fn deposit(&mut self, agent: AgentId, amount: Credits) -> Result<(), StakingError> {
        let mut s = self.get(agent)?;
        Self::positive(amount)?;
        let deposited = self
            .totals
            .deposited
            .checked_add(amount)
            .ok_or(StakingError::Overflow)?;
        s.free = Credits(s.free.0 + amount.0);
        self.agents[agent.index()] = s;
        self.totals.deposited = deposited;
        self.totals.free.0 += amount.0;
        Ok(())
    }

    /// Moves free credits into the bond; the resulting bond must reach `minimum_stake`.
    pub fn stake(&mut self, agent: AgentId, amount: Credits) -> Result<(), StakingError> {
        let mut s = self.get(agent)?;
        Self::positive(amount)?;
        if amount > s.free {
            return Err(StakingError::InsufficientFree {
                agent,
                available: s.free,
                requested: amount,
            });
        }
        let bonded = Credits(s.bonded.0 + amount.0);
        self.bond_allowed(bonded)?;
        s.free.0 -= amount.0;
        s.bonded = bonded;
        self.agents[agent.index()] = s;
        self.totals.free.0 -= amount.0;
        self.totals.bonded.0 += amount.0;
        Ok(())
    }

    /// Moves bonded credits back to free; the remaining bond must be 0 or reach the minimum.
    pub fn unstake(&mut self, agent: AgentId, amount: Credits) -> Result<(), StakingError> {
        let mut s = self.get(agent)?;
        Self::positive(amount)?;
        if amount > s.bonded {
            return Err(StakingError::InsufficientBond {
                agent,
                bonded: s.bonded,
                requested: amount,
            });
        }
        let bonded = Credits(s.bonded.0 - amount.0);
        self.bond_allowed(bonded)?;
        s.bonded = bonded;
        s.free.0 += amount.0;
        self.agents[agent.index()] = s;
        self.totals.bonded.0 -= amount.0;
        self.totals.free.0 += amount.0;
        Ok(())
    }

    /// Takes free credits out of the staking system (counted in `withdrawn`).
    pub fn withdraw(&mut self, agent: AgentId, amount: Credits) -> Result<(), StakingError> {
        let mut s = self.get(agent)?;
        Self::positive(amount)?;
        if amount > s.free {
            return Err(StakingError::InsufficientFree {
                agent,
                available: s.free,
                requested: amount,
            });
        }
        s.free.0 -= amount.0;
        self.agents[agent.index()] = s;
        self.totals.free.0 -= amount.0;
        self.totals.withdrawn.0 += amount.0;
        Ok(())
    }

    /// Slashes the agent's bond for `condition` (seed 002 `execute_slashing`); the amount goes
    /// to the slashed pool. Counts an offence even when the floored amount is 0.
    pub fn slash(
        &mut self,
        agent: AgentId,
        condition: SlashCondition,
    ) -> Result<SlashEvent, StakingError> {
        let mut s = self.get(agent)?;
        if s.bonded.is_zero() {
            return Err(StakingError::NoBond(agent));
        }
        let amount = self.config.slash_amount(s.bonded, condition, s.offences);
        s.bonded.0 -= amount.0;
        s.slashed.0 += amount.0;
        s.offences = s.offences.saturating_add(1);
        self.agents[agent.index()] = s;
        self.totals.bonded.0 -= amount.0;
        self.totals.slashed_pool.0 += amount.0;
        Ok(SlashEvent {
            agent,
            condition,
            amount,
            remaining: s.bonded,
        })
    }

    /// Moves up to `amount` of the agent's bond to the slashed pool — a performance-market
    /// failure penalty (SPEC §7, seed 004) — and returns what was taken: `min(amount, bond)`.
    /// Not an offence: the repeat-offender multiplier of [`slash`](Self::slash) is unchanged.
    pub fn forfeit(&mut self, agent: AgentId, amount: Credits) -> Result<Credits, StakingError> {
        let mut s = self.get(agent)?;
        let taken = amount.min(s.bonded);
        s.bonded.0 -= taken.0;
        s.slashed.0 += taken.0;
        self.agents[agent.index()] = s;
        self.totals.bonded.0 -= taken.0;
        self.totals.slashed_pool.0 += taken.0;
        Ok(taken)
    }
}

#[cfg(test)]
mod tests;
