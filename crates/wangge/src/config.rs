//! Configuration: defaults → TOML file → `WANGGE_*` environment → command-line flags
//! (flags win). Nested keys use a double underscore: `WANGGE_SECURITY__IDLE_TIMEOUT_MINUTES`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use wangge_crypto::{Algorithm, FieldCipher, MasterKey};

#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Where SQLite and the key file live. Unset: `wangge-data` (the demo: `wangge-demo`).
    pub data_dir: Option<PathBuf>,
    /// `postgres://…` selects PostgreSQL; unset uses SQLite in the data directory.
    pub database_url: Option<String>,
    pub listen: String,
    /// The master key (64 hex characters or base64 of 32 bytes). Prefer `key_file`.
    pub secret_key: Option<String>,
    /// File holding the master key. Default: `<data_dir>/wangge.key`.
    pub key_file: Option<PathBuf>,
    /// Cipher for new personal-data ciphertexts: `aes-256-gcm` or `sm4-gcm`.
    pub cipher: String,
    pub max_body_bytes: usize,
    pub sqlite_synchronous: String,
    pub log_format: String,
    pub security: SecurityConfig,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SecurityConfig {
    pub idle_timeout_minutes: i64,
    pub lockout_threshold: i64,
    pub lockout_window_minutes: i64,
    pub secure_cookies: bool,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        let s = wangge_server::Settings::default();
        Self {
            idle_timeout_minutes: s.idle_timeout_minutes,
            lockout_threshold: s.lockout_threshold,
            lockout_window_minutes: s.lockout_window_minutes,
            secure_cookies: s.secure_cookies,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: None,
            database_url: None,
            listen: "127.0.0.1:8080".into(),
            secret_key: None,
            key_file: None,
            cipher: "aes-256-gcm".into(),
            max_body_bytes: wangge_server::Settings::default().max_body_bytes,
            sqlite_synchronous: "FULL".into(),
            log_format: "text".into(),
            security: SecurityConfig::default(),
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .field("listen", &self.listen)
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "<redacted>"),
            )
            .field("key_file", &self.key_file)
            .field("cipher", &self.cipher)
            .finish_non_exhaustive()
    }
}

/// Hides a password in a database URL for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..s + 3], user, &url[at..])
        }
        _ => url.to_string(),
    }
}

/// Flags that override the file and the environment.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub listen: Option<String>,
}

pub fn load(o: &Overrides) -> anyhow::Result<Config> {
    let mut fig = Figment::from(Serialized::defaults(Config::default()));
    match &o.config_file {
        Some(f) if !f.exists() => bail!("配置文件不存在: {}", f.display()),
        Some(f) => fig = fig.merge(Toml::file(f)),
        None => fig = fig.merge(Toml::file("wangge.toml")),
    }
    fig = fig.merge(
        Env::prefixed("WANGGE_")
            .split("__")
            .ignore(&["config", "test_database_url"]),
    );
    let mut cfg: Config = fig.extract().context("配置无效")?;
    if let Some(d) = &o.data_dir {
        cfg.data_dir = Some(d.clone());
    }
    if let Some(u) = &o.database_url {
        cfg.database_url = Some(u.clone());
    }
    if let Some(l) = &o.listen {
        cfg.listen = l.clone();
    }
    Ok(cfg)
}

impl Config {
    pub fn data_dir_or(&self, default: &str) -> PathBuf {
        self.data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(default))
    }

    pub fn database_url(&self, data_dir: &Path) -> anyhow::Result<String> {
        if let Some(u) = &self.database_url {
            return Ok(u.clone());
        }
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("无法创建数据目录 {}", data_dir.display()))?;
        Ok(wangge_store::sqlite_url_for_dir(data_dir))
    }

    pub fn server_settings(&self) -> wangge_server::Settings {
        wangge_server::Settings {
            idle_timeout_minutes: self.security.idle_timeout_minutes.max(1),
            lockout_threshold: self.security.lockout_threshold.max(1),
            lockout_window_minutes: self.security.lockout_window_minutes.max(1),
            max_body_bytes: self.max_body_bytes.max(1024),
            secure_cookies: self.security.secure_cookies,
        }
    }

    /// The field cipher. The key comes from `secret_key` or the key file, never from the
    /// database; when `create` is set and there is none yet, a new key file is written
    /// (mode 0600) and its path reported, so it can be backed up.
    pub fn cipher(&self, data_dir: &Path, create: bool) -> anyhow::Result<FieldCipher> {
        let alg = Algorithm::parse(&self.cipher).map_err(|e| anyhow::anyhow!("cipher: {e}"))?;
        let key = if let Some(k) = &self.secret_key {
            MasterKey::parse(k).map_err(|e| anyhow::anyhow!("secret_key: {e}"))?
        } else {
            let path = self
                .key_file
                .clone()
                .unwrap_or_else(|| data_dir.join("wangge.key"));
            if path.exists() {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("无法读取密钥文件 {}", path.display()))?;
                MasterKey::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
            } else if create {
                let k = MasterKey::generate();
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                write_private(&path, &k.to_hex())?;
                eprintln!(
                    "已生成个人信息加密主密钥: {}（请妥善备份；丢失后已加密的身份证号、电话无法恢复）",
                    path.display()
                );
                k
            } else {
                bail!(
                    "缺少加密主密钥：请设置 WANGGE_SECRET_KEY 或提供密钥文件 {}",
                    path.display()
                );
            }
        };
        Ok(FieldCipher::new(&key, alg))
    }
}

fn write_private(path: &Path, content: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("无法写入密钥文件 {}", path.display()))?;
    f.write_all(content.as_bytes())?;
    f.write_all(b"\n")?;
    Ok(())
}

pub const EXAMPLE: &str = r#"# wangge.toml — every key is optional; environment variables WANGGE_<KEY> override this
# file (nested keys: WANGGE_SECURITY__IDLE_TIMEOUT_MINUTES), and command-line flags win.

# SQLite database and key file live here.
data_dir = "wangge-data"
# Uncomment to use PostgreSQL instead of SQLite:
# database_url = "postgres://wangge@127.0.0.1:5432/wangge"
listen = "127.0.0.1:8080"

# Personal data (身份证号, phone) is encrypted with a master key that never enters the
# database. Default key file: <data_dir>/wangge.key (created on first start). Back it up.
# key_file = "/etc/wangge/wangge.key"
# cipher = "aes-256-gcm"   # or "sm4-gcm" (GB/T 39786)

max_body_bytes = 1048576
# SQLite durability: FULL survives power loss; NORMAL only a process crash.
sqlite_synchronous = "FULL"
# "text" or "json"
log_format = "text"

[security]
idle_timeout_minutes = 30
lockout_threshold = 5
lockout_window_minutes = 15
# Set when served behind HTTPS.
secure_cookies = false
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_parses_and_flags_win() {
        let cfg: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string(EXAMPLE))
            .extract()
            .unwrap();
        assert_eq!(cfg.security.lockout_threshold, 5);
        assert_eq!(cfg.data_dir.as_deref(), Some(Path::new("wangge-data")));
        let o = Overrides {
            listen: Some("127.0.0.1:9999".into()),
            ..Default::default()
        };
        assert_eq!(load(&o).unwrap().listen, "127.0.0.1:9999");
    }

    #[test]
    fn redacts() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
        let cfg = Config {
            secret_key: Some("abc".into()),
            ..Default::default()
        };
        assert!(!format!("{cfg:?}").contains("abc"));
    }
}
