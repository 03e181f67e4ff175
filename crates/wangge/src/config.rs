//! Configuration: defaults → TOML file → `WANGGE_*` environment → command-line flags
//! (flags win). Nested keys use a double underscore: `WANGGE_SECURITY__IDLE_TIMEOUT_MINUTES`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use wangge_crypto::{Algorithm, FieldCipher, MasterKey};

#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
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
    pub cases: CasesConfig,
}

/// The case engine: workflow and catalogue files, the holiday calendar, rate weights,
/// attachments and group-robot webhooks.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CasesConfig {
    /// Extra or replacement workflows (same format as data/workflows/default.toml); a type
    /// with a shipped id replaces it, new ids are added.
    pub workflows_file: Option<PathBuf>,
    /// A replacement catalogue (categories and sources).
    pub catalogue_file: Option<PathBuf>,
    /// Weights and thresholds of the dispute escalation-risk score (same format as
    /// data/risk/default.toml), e.g. `watch_level = "medium"` to watch every threat.
    pub risk_file: Option<PathBuf>,
    /// A replacement holiday table (same format as data/calendar/cn-holidays.toml), e.g.
    /// with next year's State Council notice added.
    pub holidays_file: Option<PathBuf>,
    /// Office hours for working-hour limits, e.g. ["08:30-12:00", "14:30-17:30"].
    pub office_hours: Option<Vec<String>>,
    /// Local workdays or rest days an administrator adds.
    pub calendar_override: Vec<CalendarOverride>,
    /// k in 满意率 = (满意 + k·基本满意) / rated.
    pub basic_satisfied_weight: f64,
    /// Weights of 响应率, 解决率, 满意率 in the composite score.
    pub rate_weights: [f64; 3],
    /// Attachments live here (default: <data_dir>/attachments).
    pub attachments_dir: Option<PathBuf>,
    pub max_attachment_mb: usize,
    pub webhook: Vec<wangge_server::cases::config::Webhook>,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct CalendarOverride {
    /// YYYY-MM-DD
    pub date: String,
    /// "workday" or "rest_day"
    pub kind: wangge_core::calendar::OverrideKind,
    pub name: String,
}

impl Default for CasesConfig {
    fn default() -> Self {
        let w = wangge_core::rates::RateWeights::default();
        Self {
            workflows_file: None,
            catalogue_file: None,
            holidays_file: None,
            risk_file: None,
            office_hours: None,
            calendar_override: Vec::new(),
            basic_satisfied_weight: w.basic_satisfied,
            rate_weights: [w.response, w.resolution, w.satisfaction],
            attachments_dir: None,
            max_attachment_mb: 10,
            webhook: Vec::new(),
        }
    }
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
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
            cases: CasesConfig::default(),
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
    // Free-text values are taken verbatim: figment would read a hex key of digits as a number.
    const RAW: [&str; 5] = [
        "secret_key",
        "database_url",
        "listen",
        "data_dir",
        "key_file",
    ];
    fig = fig.merge(
        Env::prefixed("WANGGE_")
            .filter(|k| {
                let k = k.as_str().to_ascii_lowercase();
                !RAW.contains(&k.as_str())
                    && !["config", "test_database_url", "log"].contains(&k.as_str())
            })
            .split("__"),
    );
    let mut cfg: Config = fig.extract().context("配置无效")?;
    let raw = |k: &str| {
        std::env::var(format!("WANGGE_{}", k.to_uppercase()))
            .ok()
            .filter(|v| !v.is_empty())
    };
    if let Some(v) = raw("secret_key") {
        cfg.secret_key = Some(v);
    }
    if let Some(v) = raw("database_url") {
        cfg.database_url = Some(v);
    }
    if let Some(v) = raw("listen") {
        cfg.listen = v;
    }
    if let Some(v) = raw("data_dir") {
        cfg.data_dir = Some(PathBuf::from(v));
    }
    if let Some(v) = raw("key_file") {
        cfg.key_file = Some(PathBuf::from(v));
    }
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
    /// The same configuration with secrets hidden, for printing.
    pub fn redacted(&self) -> Config {
        let mut c = self.clone();
        c.secret_key = c.secret_key.map(|_| "<redacted>".into());
        c.database_url = c.database_url.as_deref().map(redact_url);
        // Robot URLs carry their key in the query string.
        for w in &mut c.cases.webhook {
            if let Some(i) = w.url.find('?') {
                w.url = format!("{}?<redacted>", &w.url[..i]);
            }
        }
        c
    }

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

    /// The working-day calendar: the shipped (or configured) holiday table, office hours
    /// and local overrides.
    pub fn calendar(&self) -> anyhow::Result<wangge_core::calendar::Calendar> {
        use wangge_core::calendar::{Calendar, OfficeHours};
        let c = &self.cases;
        let mut cal = match &c.holidays_file {
            Some(f) => {
                let text = std::fs::read_to_string(f)
                    .with_context(|| format!("无法读取节假日文件 {}", f.display()))?;
                Calendar::from_toml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?
            }
            None => Calendar::china_default().map_err(|e| anyhow::anyhow!("{e}"))?,
        };
        if let Some(hours) = &c.office_hours {
            let v = serde_json::to_value(hours)?;
            let oh: OfficeHours = serde_json::from_value(v)
                .map_err(|e| anyhow::anyhow!("cases.office_hours: {e}"))?;
            cal.set_office_hours(oh);
        }
        for (i, o) in c.calendar_override.iter().enumerate() {
            let d = wangge_core::date::Date::parse_iso(&o.date).ok_or_else(|| {
                anyhow::anyhow!("cases.calendar_override[{i}].date: 日期格式应为 YYYY-MM-DD")
            })?;
            cal.add_override(d, o.kind, o.name.clone())
                .map_err(|e| anyhow::anyhow!("cases.calendar_override[{i}]: {e}"))?;
        }
        Ok(cal)
    }

    /// Everything the case engine reads from configuration.
    pub fn case_config(&self, data_dir: &Path) -> anyhow::Result<wangge_server::cases::CaseConfig> {
        use wangge_core::catalogue::Catalogue;
        use wangge_core::workflow::WorkflowSet;
        let c = &self.cases;
        let mut cfg = wangge_server::cases::CaseConfig::defaults(
            c.attachments_dir
                .clone()
                .unwrap_or_else(|| data_dir.join("attachments")),
        );
        if let Some(f) = &c.workflows_file {
            let text = std::fs::read_to_string(f)
                .with_context(|| format!("无法读取工作流文件 {}", f.display()))?;
            let local = WorkflowSet::from_toml(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
            cfg.workflows = cfg.workflows.overlay(local);
        }
        if let Some(f) = &c.catalogue_file {
            let text = std::fs::read_to_string(f)
                .with_context(|| format!("无法读取分类文件 {}", f.display()))?;
            cfg.catalogue = Catalogue::from_toml(&text)
                .map_err(|e| anyhow::anyhow!("{}: {}", f.display(), e.message))?;
        }
        cfg.calendar = self.calendar()?;
        if let Some(f) = &c.risk_file {
            let text = std::fs::read_to_string(f)
                .with_context(|| format!("无法读取风险规则文件 {}", f.display()))?;
            cfg.risk = wangge_core::risk::RiskRules::from_toml(&text)
                .map_err(|e| anyhow::anyhow!("{}: {}", f.display(), e.message))?;
        }
        cfg.weights = wangge_core::rates::RateWeights {
            basic_satisfied: c.basic_satisfied_weight,
            response: c.rate_weights[0],
            resolution: c.rate_weights[1],
            satisfaction: c.rate_weights[2],
        };
        cfg.max_attachment_bytes = c.max_attachment_mb.max(1) * 1024 * 1024;
        cfg.webhooks = c.webhook.clone();
        Ok(cfg)
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
# data_dir = "wangge-data"
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

[cases]
# workflows_file = "/etc/wangge/workflows.toml"   # overrides or adds case types
# catalogue_file = "/etc/wangge/catalogue.toml"   # replaces categories and sources
# holidays_file = "/etc/wangge/holidays.toml"     # e.g. with next year's 放假安排 added
# risk_file = "/etc/wangge/risk.toml"             # dispute risk weights; watch_level = "medium" watches every threat
# office_hours = ["08:30-12:00", "14:30-17:30"]
basic_satisfied_weight = 0.8
rate_weights = [0.30, 0.35, 0.35]   # 响应率, 解决率, 满意率
max_attachment_mb = 10

# A local rest day or workday:
# [[cases.calendar_override]]
# date = "2026-07-15"
# kind = "rest_day"
# name = "县庆"

# Group robots that hear about dispatches, 督办, escalations and closings:
# [[cases.webhook]]
# url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"
# format = "wecom"      # or "dingtalk"
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
        assert_eq!(
            cfg.data_dir, None,
            "the example leaves each command its own default"
        );
        assert!(cfg.case_config(Path::new("/tmp")).is_ok());
        let o = Overrides {
            listen: Some("127.0.0.1:9999".into()),
            ..Default::default()
        };
        assert_eq!(load(&o).unwrap().listen, "127.0.0.1:9999");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let r: Result<Config, _> = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string("[security]\nidle_timeout_minute = 5"))
            .extract();
        assert!(r.unwrap_err().to_string().contains("idle_timeout_minute"));
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
