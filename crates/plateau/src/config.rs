//! Layered configuration: built-in defaults, then `plateau.toml`, then
//! `PLATEAU_*` environment variables, then command-line flags (clap reads the
//! last two). A bad file is refused with the line and the reason.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

/// What `plateau.toml` may hold. Unknown keys are an error, not ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub log_format: Option<String>,
    pub secure_cookies: Option<bool>,
    pub session_ttl_hours: Option<i64>,
    pub body_limit_kib: Option<usize>,
    pub demo: Option<bool>,
}

impl FileConfig {
    /// Reads `path`; a missing default file is fine, a missing named file is not.
    pub fn load(path: Option<&Path>) -> anyhow::Result<FileConfig> {
        let (path, required) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from("plateau.toml"), false),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                return Ok(FileConfig::default())
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        Self::parse(&text).with_context(|| format!("invalid config file {}", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<FileConfig> {
        let cfg: FileConfig = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
        if let Some(f) = &cfg.log_format {
            if f != "text" && f != "json" {
                anyhow::bail!("log_format must be \"text\" or \"json\", not {f:?}");
            }
        }
        if cfg.session_ttl_hours.is_some_and(|h| h <= 0) {
            anyhow::bail!("session_ttl_hours must be positive");
        }
        if cfg.body_limit_kib.is_some_and(|k| k == 0) {
            anyhow::bail!("body_limit_kib must be positive");
        }
        Ok(cfg)
    }
}

/// The commented example printed by `plateau config default`.
pub const DEFAULT_TOML: &str = r#"# plateau.toml — every key is optional; these are the defaults.
# Precedence: this file < PLATEAU_* environment variables < command-line flags.

# Address the web server listens on. (PLATEAU_LISTEN, --listen)
listen = "127.0.0.1:8080"

# Directory for the embedded SQLite database and other local data. (PLATEAU_DATA_DIR, --data-dir)
data_dir = "./data"

# Database. Empty means SQLite at <data_dir>/plateau.db.
# For PostgreSQL: "postgres://user:password@host:5432/plateau". (PLATEAU_DATABASE_URL, --database-url)
database_url = ""

# "text" for people, "json" for log collectors. (PLATEAU_LOG_FORMAT, --log-format)
log_format = "text"

# Set the Secure flag on cookies. Turn on whenever Plateau is served over HTTPS. (PLATEAU_SECURE_COOKIES)
secure_cookies = false

# How long a login lasts. (PLATEAU_SESSION_TTL_HOURS)
session_ttl_hours = 12

# Largest accepted request body, in KiB. (PLATEAU_BODY_LIMIT_KIB)
body_limit_kib = 1024

# Seed the demo contact centre on first start. (PLATEAU_DEMO, --demo)
demo = false
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_default_parses() {
        let c = FileConfig::parse(DEFAULT_TOML).unwrap();
        assert_eq!(c.listen.as_deref(), Some("127.0.0.1:8080"));
        assert_eq!(c.body_limit_kib, Some(1024));
    }

    #[test]
    fn bad_files_name_the_line_and_reason() {
        let e = FileConfig::parse("listen = \"a\"\nlisten_port = 3\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("listen_port"), "{e}");
        let e = FileConfig::parse("log_format = \"xml\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("log_format"), "{e}");
        let e = FileConfig::parse("session_ttl_hours = \"x\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1"), "{e}");
    }
}
