//! Global sensitivity analysis: the designs and the estimators, pure (no I/O, randomness
//! passed in by the caller).
//!
//! ```text
//! sobol_seq   scrambled Sobol' points (Joe–Kuo direction numbers, joe_kuo)
//! saltelli    Saltelli's A / AB / BA / B rows from Sobol' points, and their outputs split back
//! sobol       first-, total- and second-order Sobol' indices with bootstrap intervals
//! morris      Morris trajectories and elementary-effect statistics μ, μ*, σ
//! ```
//!
//! The estimators reproduce SALib 1.6's `sobol.analyze` and `morris.analyze` formulas, so a
//! sweep analysed here and by SALib gives the same point estimates (checked in CI by
//! `scripts/salib-check.py`). The sweep designs that use these live in `crate::sweep`, and
//! `marketsim analyze` (`crate::cli`) applies them to a finished sweep.

mod joe_kuo;
pub mod morris;
pub mod saltelli;
pub mod sobol;
pub mod sobol_seq;
