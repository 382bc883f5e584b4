//! The crate's single error type. Every variant names the offending input field so that a
//! supervisor typing a bad figure in the CLI or the staffing screen is told which one.

use thiserror::Error;

/// Errors raised by the staffing, forecasting and simulation functions.
///
/// Functions in this crate never return NaN or panic on bad input: they return one of these.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum WfmError {
    /// A numeric input lies outside its domain (negative rate, target outside (0, 1), ...).
    #[error("invalid {field}: {value} ({expected})")]
    InvalidInput {
        /// Name of the input field, as spelled in the API, the CLI and scenario files.
        field: String,
        /// The value received, rendered for the message.
        value: String,
        /// What the field must satisfy.
        expected: String,
    },
    /// The targets cannot be met within a cap (headcount limit, search limit).
    #[error("target cannot be reached within {field}: {reason}")]
    Unreachable {
        /// The cap that prevents the target from being met.
        field: String,
        /// A human-readable explanation including the best value achievable.
        reason: String,
    },
    /// Inputs are individually valid but inconsistent with each other.
    #[error("inconsistent {field}: {reason}")]
    Inconsistent {
        /// The field found inconsistent with the rest of the input.
        field: String,
        /// Why.
        reason: String,
    },
}

impl WfmError {
    pub(crate) fn invalid(
        field: impl Into<String>,
        value: impl std::fmt::Display,
        expected: impl Into<String>,
    ) -> Self {
        WfmError::InvalidInput {
            field: field.into(),
            value: value.to_string(),
            expected: expected.into(),
        }
    }

    pub(crate) fn inconsistent(field: impl Into<String>, reason: impl Into<String>) -> Self {
        WfmError::Inconsistent {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, WfmError>;

/// Checks a strictly positive, finite number.
pub(crate) fn positive(field: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(WfmError::invalid(field, v, "must be a finite number > 0"))
    }
}

/// Checks a finite number ≥ 0.
pub(crate) fn non_negative(field: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(WfmError::invalid(field, v, "must be a finite number >= 0"))
    }
}

/// Checks a probability strictly inside (0, 1).
pub(crate) fn open_unit(field: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v > 0.0 && v < 1.0 {
        Ok(v)
    } else {
        Err(WfmError::invalid(
            field,
            v,
            "must lie strictly between 0 and 1",
        ))
    }
}

/// Checks a fraction in (0, 1].
pub(crate) fn unit_upper(field: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v > 0.0 && v <= 1.0 {
        Ok(v)
    } else {
        Err(WfmError::invalid(field, v, "must lie in (0, 1]"))
    }
}

/// Checks a fraction in [0, 1).
pub(crate) fn unit_lower(field: &str, v: f64) -> Result<f64> {
    if v.is_finite() && (0.0..1.0).contains(&v) {
        Ok(v)
    } else {
        Err(WfmError::invalid(field, v, "must lie in [0, 1)"))
    }
}
