//! Staffing mathematics for contact centres: Erlang B/C/A, required advisors per interval and
//! channel, volume forecasts and a validated discrete-event simulator. Pure computation; the
//! only I/O lives in the optional `cli` module (cargo feature `cli`).
//!
//! The maths, with derivations and citations, is in `docs/wfm.md` at the repository root.

pub mod channels;
pub mod erlang;
pub mod erlang_a;
pub mod error;
pub mod forecast;
mod numeric;
pub mod plan;
pub mod sim;
pub mod staffing;
pub mod stats;

#[cfg(feature = "cli")]
pub mod cli;

pub use erlang::{erlang_b, erlang_c, offered_load, with_shrinkage, ErlangC, Metrics, Target};
pub use erlang_a::ErlangA;
pub use error::{Result, WfmError};
pub use numeric::student_t_975;
pub use staffing::{required_advisors, StaffingRequest, StaffingResult};
