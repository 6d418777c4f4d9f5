//! The escrow ledger: client balances and the holds that fund contracts (SPEC §3, paper §5).
//!
//! ```text
//!             hold(a)                      settle(Release { billed: b ≤ a })
//!  available ─────────► held ──────────────┬──────────────────────────────► distributed (b)
//!      ▲                 (escrow record a)  │                                 (to the split)
//!      └────────────────────────────────────┘  refund: the rest (a − b), or all of a
//! ```
//!
//! Units: every amount is integer [`Credits`]. Accounts are clients, dense by [`ClientId`]
//! (`0, 1, 2, …` in opening order). Escrow records live in a [`Slab`] and are removed when they
//! are settled, so memory is O(open escrows); a settled id reads as [`Lookup::Retired`] (→
//! [`LedgerError::AlreadySettled`]) and an id never issued as [`Lookup::Unknown`] (→
//! [`LedgerError::NotFound`]).
//!
//! Invariants (SPEC §3, paper §5.6 Invariant 1, §10.1 Theorem 4), checked by the tests after
//! every operation:
//! - per client: `available + held + released == initial`;
//! - in total: `Σ available + Σ held + distributed == Σ initial`;
//! - `held` of a client is the sum of its open escrows;
//! - no balance is negative (`Credits` is a `u64`; every subtraction is checked first).
//!
//! Every operation is O(1) and does not allocate in the steady state (slab slots are reused);
//! the totals are maintained incrementally. A failed operation returns a [`LedgerError`] and
//! leaves the ledger exactly as it was: all checks run before the first write.

use thiserror::Error;

use crate::market::ids::{ClientId, ContractId, EscrowId};
use crate::market::money::Credits;
use crate::market::slab::{Lookup, Slab};
use crate::prefetch::prefetch;

#[cfg(test)]
mod tests;

/// Why a ledger operation was refused (SPEC §3, paper §5.3–§5.4). None of them is fatal: the
/// ledger is unchanged and the caller decides what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum LedgerError {
    /// The client has no account (paper `:no_balance_record`).
    #[error("client {client} has no balance record")]
    NoBalanceRecord {
        /// The unknown client.
        client: ClientId,
    },
    /// The client's available balance does not cover the hold (paper `:insufficient_funds`).
    #[error("insufficient funds: {available} available, {requested} requested")]
    InsufficientFunds {
        /// The client's available balance.
        available: Credits,
        /// The amount asked for.
        requested: Credits,
    },
    /// A hold of zero credits was asked for; an escrow always holds something.
    #[error("an escrow hold must be positive")]
    ZeroAmount,
    /// The escrow was never issued by this ledger (paper `:not_found`).
    #[error("escrow {escrow} not found")]
    NotFound {
        /// The unknown escrow id.
        escrow: EscrowId,
    },
    /// The escrow has already been released or refunded (paper `:already_settled`).
    #[error("escrow {escrow} is already settled")]
    AlreadySettled {
        /// The settled escrow id.
        escrow: EscrowId,
    },
    /// A release bills more than the escrow holds (SPEC §4: the bill never exceeds the hold).
    #[error("bill {billed} exceeds the hold {held}")]
    BillExceedsHold {
        /// The amount the release asked for.
        billed: Credits,
        /// The amount the escrow holds.
        held: Credits,
    },
    /// Opening the account would push the total credit supply past `u64::MAX`.
    #[error("total credit supply would overflow u64")]
    SupplyOverflow,
    /// More than `u32::MAX` accounts were asked for.
    #[error("too many accounts for a u32 client id")]
    TooManyAccounts,
}

/// How an escrow is settled (SPEC §3, §4; paper §5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    /// The whole hold goes back to the client's available balance (contract cancelled).
    Refund,
    /// `billed` leaves the client's held balance into `distributed` (to be split), and the rest
    /// of the hold is refunded to available (contract completed). `billed` may be zero and may
    /// not exceed the hold.
    Release {
        /// The amount paid out; at most the hold.
        billed: Credits,
    },
}

/// What a settlement did (SPEC §3). `released + refunded` is the escrow's amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettlementOutcome {
    /// The client whose escrow it was.
    pub client: ClientId,
    /// The contract the escrow funded.
    pub contract: ContractId,
    /// Credits paid out into `distributed` (hand these to the revenue split).
    pub released: Credits,
    /// Credits returned to the client's available balance.
    pub refunded: Credits,
}

/// A client's balance (SPEC §3): spendable plus locked in open escrows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Balance {
    /// Credits free to be held.
    pub available: Credits,
    /// Credits locked in open escrows.
    pub held: Credits,
}

/// The ledger-wide sums (SPEC §3, paper §5.6), maintained incrementally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LedgerTotals {
    /// Σ initial balances of all accounts.
    pub initial: Credits,
    /// Σ available.
    pub available: Credits,
    /// Σ held (= Σ amounts of open escrows).
    pub held: Credits,
    /// Credits released out of escrow so far (handed to the split).
    pub distributed: Credits,
}

impl LedgerTotals {
    /// Conservation (paper §5.6, Theorem 4): `available + held + distributed == initial`,
    /// exactly (computed in `u128`, so it cannot overflow).
    pub fn is_conserved(&self) -> bool {
        u128::from(self.available.0) + u128::from(self.held.0) + u128::from(self.distributed.0)
            == u128::from(self.initial.0)
    }
}

/// One open escrow record (SPEC §3, paper §5.2). Settled records are removed, so a live record
/// is always in the paper's `:held` status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EscrowRecord {
    client: ClientId,
    contract: ContractId,
    amount: Credits,
}

impl EscrowRecord {
    /// The client whose credits are held (SPEC §3).
    pub fn client(&self) -> ClientId {
        self.client
    }

    /// The contract this escrow funds (SPEC §3).
    pub fn contract(&self) -> ContractId {
        self.contract
    }

    /// The amount held (SPEC §3).
    pub fn amount(&self) -> Credits {
        self.amount
    }
}

/// One client account. Invariant: `available + held + released == initial`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Account {
    initial: Credits,
    available: Credits,
    held: Credits,
    released: Credits,
}

/// The escrow ledger (SPEC §3, paper §5). See the module docs for the invariants.
#[derive(Debug, Clone, Default)]
pub struct EscrowLedger {
    accounts: Vec<Account>,
    escrows: Slab<EscrowRecord>,
    totals: LedgerTotals,
    /// The `overdraw` fault (`market::fault`): holds skip the funds check.
    #[cfg(feature = "fault-injection")]
    overdraw: bool,
}

/// Arithmetic the invariants make infallible (e.g. `held − amount` of a live escrow).
const INVARIANT: &str = "escrow ledger invariant broken";

impl EscrowLedger {
    /// An empty ledger (SPEC §3).
    pub fn new() -> Self {
        Self::default()
    }

    /// Opens the next client account with `initial` available credits (SPEC §3); ids are
    /// `0, 1, 2, …` in call order.
    ///
    /// # Panics
    /// If the total supply would exceed `u64::MAX` or there are more than `u32::MAX` accounts;
    /// use [`EscrowLedger::try_open_account`] to get an error instead.
    pub fn open_account(&mut self, initial: Credits) -> ClientId {
        self.try_open_account(initial)
            .expect("cannot open an escrow account")
    }

    /// Like [`EscrowLedger::open_account`], but refuses with [`LedgerError::SupplyOverflow`] or
    /// [`LedgerError::TooManyAccounts`] (SPEC §3). Keeping the supply within `u64` makes every
    /// per-client and total balance fit a `u64`.
    pub fn try_open_account(&mut self, initial: Credits) -> Result<ClientId, LedgerError> {
        let id = u32::try_from(self.accounts.len()).map_err(|_| LedgerError::TooManyAccounts)?;
        let supply = self
            .totals
            .initial
            .checked_add(initial)
            .ok_or(LedgerError::SupplyOverflow)?;
        self.accounts.push(Account {
            initial,
            available: initial,
            held: Credits::ZERO,
            released: Credits::ZERO,
        });
        self.totals.initial = supply;
        self.totals.available = self.totals.available.checked_add(initial).expect(INVARIANT);
        Ok(ClientId(id))
    }

    /// Checks that [`EscrowLedger::hold`] would succeed, without changing anything (SPEC §3).
    /// Errors, in this order: `NoBalanceRecord`, `ZeroAmount`, `InsufficientFunds`.
    pub fn check_hold(&self, client: ClientId, amount: Credits) -> Result<(), LedgerError> {
        let acc = self
            .accounts
            .get(client.index())
            .ok_or(LedgerError::NoBalanceRecord { client })?;
        if amount.is_zero() {
            return Err(LedgerError::ZeroAmount);
        }
        #[cfg(feature = "fault-injection")]
        if self.overdraw {
            return Ok(());
        }
        if acc.available < amount {
            return Err(LedgerError::InsufficientFunds {
                available: acc.available,
                requested: amount,
            });
        }
        Ok(())
    }

    /// Moves `amount` of `client`'s available credits to held and opens an escrow record for
    /// `contract` (SPEC §3, paper §5.3). Errors as [`EscrowLedger::check_hold`]. O(1).
    pub fn hold(
        &mut self,
        client: ClientId,
        amount: Credits,
        contract: ContractId,
    ) -> Result<EscrowId, LedgerError> {
        self.check_hold(client, amount)?;
        #[cfg(feature = "fault-injection")]
        if self.overdraw {
            // The bug: what the client lacks is held anyway, out of nothing.
            let acc = &mut self.accounts[client.index()];
            let taken = acc.available.min(amount);
            acc.available = Credits(acc.available.0 - taken.0);
            self.totals.available = Credits(self.totals.available.0 - taken.0);
            acc.held = acc.held.checked_add(amount).expect(INVARIANT);
            self.totals.held = self.totals.held.checked_add(amount).expect(INVARIANT);
            return Ok(EscrowId(self.escrows.insert(EscrowRecord {
                client,
                contract,
                amount,
            })));
        }
        let acc = &mut self.accounts[client.index()];
        acc.available = acc.available.checked_sub(amount).expect(INVARIANT);
        acc.held = acc.held.checked_add(amount).expect(INVARIANT);
        self.totals.available = self.totals.available.checked_sub(amount).expect(INVARIANT);
        self.totals.held = self.totals.held.checked_add(amount).expect(INVARIANT);
        let key = self.escrows.insert(EscrowRecord {
            client,
            contract,
            amount,
        });
        Ok(EscrowId(key))
    }

    /// Settles an open escrow (SPEC §3, paper §5.4): refund it, or release `billed` into
    /// `distributed` and refund the rest. The record is removed. Errors: `NotFound` (never
    /// issued), `AlreadySettled` (settled before), `BillExceedsHold`. O(1).
    pub fn settle(
        &mut self,
        escrow: EscrowId,
        settlement: Settlement,
    ) -> Result<SettlementOutcome, LedgerError> {
        let record = match self.escrows.lookup(escrow.0) {
            Lookup::Live(r) => *r,
            Lookup::Retired => return Err(LedgerError::AlreadySettled { escrow }),
            Lookup::Unknown => return Err(LedgerError::NotFound { escrow }),
        };
        let released = match settlement {
            Settlement::Refund => Credits::ZERO,
            Settlement::Release { billed } if billed > record.amount => {
                return Err(LedgerError::BillExceedsHold {
                    billed,
                    held: record.amount,
                });
            }
            Settlement::Release { billed } => billed,
        };
        let refunded = record.amount.checked_sub(released).expect(INVARIANT);
        self.escrows.remove(escrow.0).expect(INVARIANT);
        let acc = &mut self.accounts[record.client.index()];
        acc.held = acc.held.checked_sub(record.amount).expect(INVARIANT);
        acc.available = acc.available.checked_add(refunded).expect(INVARIANT);
        acc.released = acc.released.checked_add(released).expect(INVARIANT);
        let t = &mut self.totals;
        t.held = t.held.checked_sub(record.amount).expect(INVARIANT);
        t.available = t.available.checked_add(refunded).expect(INVARIANT);
        t.distributed = t.distributed.checked_add(released).expect(INVARIANT);
        Ok(SettlementOutcome {
            client: record.client,
            contract: record.contract,
            released,
            refunded,
        })
    }

    /// Prefetches the escrow record in `slot` (an [`EscrowId`]'s slot; issue 15).
    #[inline]
    pub fn touch(&self, slot: u32) {
        self.escrows.touch(slot);
    }

    /// Prefetches `client`'s account (issue 15).
    #[inline]
    pub fn touch_account(&self, client: ClientId) {
        if let Some(account) = self.accounts.get(client.index()) {
            prefetch(account);
        }
    }

    /// Releases the whole hold (paper §5.4 `:release`); shorthand for `settle` with
    /// `Release { billed: amount }`. Same errors as [`EscrowLedger::settle`].
    pub fn release_all(&mut self, escrow: EscrowId) -> Result<SettlementOutcome, LedgerError> {
        let billed = match self.escrows.lookup(escrow.0) {
            Lookup::Live(r) => r.amount,
            // Let `settle` report the right error.
            _ => Credits::ZERO,
        };
        self.settle(escrow, Settlement::Release { billed })
    }

    /// The client's balance, or `None` if it has no account (SPEC §3).
    pub fn balance(&self, client: ClientId) -> Option<Balance> {
        self.accounts.get(client.index()).map(|a| Balance {
            available: a.available,
            held: a.held,
        })
    }

    /// Credits released out of the client's escrows so far (paper §5.6 `distributed(p)`).
    pub fn released(&self, client: ClientId) -> Option<Credits> {
        self.accounts.get(client.index()).map(|a| a.released)
    }

    /// The client's initial balance (SPEC §3).
    pub fn initial(&self, client: ClientId) -> Option<Credits> {
        self.accounts.get(client.index()).map(|a| a.initial)
    }

    /// Per-client conservation (paper §5.6 Invariant 1): `available + held + released ==
    /// initial` for `client`; `None` if it has no account. O(1).
    pub fn is_client_conserved(&self, client: ClientId) -> Option<bool> {
        self.accounts.get(client.index()).map(|a| {
            u128::from(a.available.0) + u128::from(a.held.0) + u128::from(a.released.0)
                == u128::from(a.initial.0)
        })
    }

    /// Turns on the `overdraw` fault (`market::fault`): holds skip the funds check.
    #[cfg(feature = "fault-injection")]
    pub(crate) fn inject_overdraw(&mut self) {
        self.overdraw = true;
    }

    /// Number of accounts; client ids are `0..accounts()` (SPEC §3).
    pub fn accounts(&self) -> usize {
        self.accounts.len()
    }

    /// The escrow record: live (open), retired (settled) or unknown (never issued); SPEC §3.
    pub fn escrow(&self, id: EscrowId) -> Lookup<&EscrowRecord> {
        self.escrows.lookup(id.0)
    }

    /// Number of open (held, not yet settled) escrows (SPEC §3 "escrow completeness": zero once
    /// the simulation drains).
    pub fn open_escrows(&self) -> usize {
        self.escrows.len()
    }

    /// The ledger-wide sums, maintained incrementally; O(1) (SPEC §3).
    pub fn totals(&self) -> LedgerTotals {
        self.totals
    }

    /// The ledger-wide sums recomputed from the accounts; O(accounts). For tests and audits: (SPEC §3)
    /// must always equal [`EscrowLedger::totals`].
    pub fn recompute_totals(&self) -> LedgerTotals {
        let mut t = LedgerTotals::default();
        for a in &self.accounts {
            t.initial = t.initial.checked_add(a.initial).expect(INVARIANT);
            t.available = t.available.checked_add(a.available).expect(INVARIANT);
            t.held = t.held.checked_add(a.held).expect(INVARIANT);
            t.distributed = t.distributed.checked_add(a.released).expect(INVARIANT);
        }
        t
    }
}
