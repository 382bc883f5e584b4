//! Typed column access that reads the same on both backends, so row decoders
//! are written once instead of once per database.

use plateau_core::Timestamp;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use uuid::Uuid;

use crate::{Result, StoreError};

pub(crate) trait PortableRow {
    fn text(&self, col: &str) -> Result<String>;
    fn opt_text(&self, col: &str) -> Result<Option<String>>;
    fn int(&self, col: &str) -> Result<i64>;
    fn opt_int(&self, col: &str) -> Result<Option<i64>>;
    fn uuid(&self, col: &str) -> Result<Uuid>;
    fn opt_uuid(&self, col: &str) -> Result<Option<Uuid>>;
    fn boolean(&self, col: &str) -> Result<bool>;

    fn ts(&self, col: &str) -> Result<Timestamp> {
        self.int(col).map(Timestamp)
    }

    /// A stored enumeration; an unknown value means the data is corrupt.
    fn parse<T: std::str::FromStr<Err = String>>(&self, col: &str) -> Result<T> {
        let s = self.text(col)?;
        s.parse()
            .map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
    }

    fn opt_parse<T: std::str::FromStr<Err = String>>(&self, col: &str) -> Result<Option<T>> {
        match self.opt_text(col)? {
            None => Ok(None),
            Some(s) => s
                .parse()
                .map(Some)
                .map_err(|e| StoreError::Corrupt(format!("{col}: {e}"))),
        }
    }
}

macro_rules! impl_portable_row {
    ($row:ty) => {
        impl PortableRow for $row {
            fn text(&self, col: &str) -> Result<String> {
                Ok(self.try_get(col)?)
            }
            fn opt_text(&self, col: &str) -> Result<Option<String>> {
                Ok(self.try_get(col)?)
            }
            fn int(&self, col: &str) -> Result<i64> {
                Ok(self.try_get(col)?)
            }
            fn opt_int(&self, col: &str) -> Result<Option<i64>> {
                Ok(self.try_get(col)?)
            }
            fn uuid(&self, col: &str) -> Result<Uuid> {
                Ok(self.try_get(col)?)
            }
            fn opt_uuid(&self, col: &str) -> Result<Option<Uuid>> {
                Ok(self.try_get(col)?)
            }
            fn boolean(&self, col: &str) -> Result<bool> {
                Ok(self.try_get(col)?)
            }
        }
    };
}

impl_portable_row!(SqliteRow);
impl_portable_row!(PgRow);

/// A value bound to a dynamically built query.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Uuid(Uuid),
    Text(String),
    Int(i64),
}

/// Binds a list of [`Arg`]s in order onto a `sqlx::query`.
macro_rules! bind_args {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for a in $args {
            q = match a {
                $crate::row::Arg::Uuid(v) => q.bind(*v),
                $crate::row::Arg::Text(v) => q.bind(v.as_str()),
                $crate::row::Arg::Int(v) => q.bind(*v),
            };
        }
        q
    }};
}
pub(crate) use bind_args;

/// Accumulates `$N` placeholders and their values for a query built at run time.
#[derive(Default)]
pub(crate) struct Params {
    pub args: Vec<Arg>,
}

impl Params {
    /// Adds a value and returns its placeholder, e.g. `$3`.
    pub fn push(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }
}
