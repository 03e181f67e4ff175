//! `wangge serve` processes for a benchmark: this same binary, the same configuration
//! (data directory, database URL, key), one port each, logs to a temporary file.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::json;
use std::process::{Child, Command};

use crate::config::Config;

/// Killed on drop too, so a failed benchmark leaves no server behind.
pub struct Servers {
    children: Vec<Child>,
    ports: Vec<u16>,
    pub client: reqwest::Client,
}

impl Servers {
    pub async fn start(cfg: &Config, data_dir: &Path, n: usize, port: u16) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("cannot find the wangge binary")?;
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(512)
            .timeout(Duration::from_secs(30))
            .build()?;
        let mut s = Servers {
            children: Vec::new(),
            ports: Vec::new(),
            client,
        };
        for i in 0..n.max(1) {
            let port = port + u16::try_from(i).unwrap_or(0);
            let log = std::fs::File::create(
                std::env::temp_dir().join(format!("wangge-bench-{port}.log")),
            )?;
            let mut cmd = Command::new(&exe);
            cmd.arg("--data-dir").arg(data_dir);
            if let Some(u) = &cfg.database_url {
                cmd.arg("--database-url").arg(u);
            }
            cmd.arg("serve")
                .arg("--listen")
                .arg(format!("127.0.0.1:{port}"))
                .env("RUST_LOG", "warn")
                .stdin(Stdio::null())
                .stdout(Stdio::from(log.try_clone()?))
                .stderr(Stdio::from(log));
            s.children
                .push(cmd.spawn().context("cannot start wangge serve")?);
            s.ports.push(port);
        }
        for i in 0..s.ports.len() {
            s.wait_healthy(i).await?;
        }
        Ok(s)
    }

    async fn wait_healthy(&mut self, i: usize) -> anyhow::Result<()> {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(120) {
            if let Ok(r) = self.client.get(self.url(i, "/healthz")).send().await {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            if let Ok(Some(status)) = self.children[i].try_wait() {
                bail!(
                    "wangge serve on port {} exited ({status}); see {}",
                    self.ports[i],
                    std::env::temp_dir()
                        .join(format!("wangge-bench-{}.log", self.ports[i]))
                        .display()
                );
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        bail!(
            "wangge serve on port {} did not become healthy",
            self.ports[i]
        )
    }

    pub fn len(&self) -> usize {
        self.ports.len()
    }

    pub fn url(&self, i: usize, path: &str) -> String {
        format!(
            "http://127.0.0.1:{}{path}",
            self.ports[i % self.ports.len()]
        )
    }

    pub async fn login(&self, i: usize, user: &str, password: &str) -> anyhow::Result<String> {
        let r = self
            .client
            .post(self.url(i, "/api/v1/auth/login"))
            .json(&json!({"username": user, "password": password}))
            .send()
            .await?;
        let status = r.status();
        let body: serde_json::Value = r.json().await.unwrap_or_default();
        match body["token"].as_str() {
            Some(t) if status.is_success() => Ok(t.to_string()),
            _ => bail!("login as {user} failed: {status} {body}"),
        }
    }

    /// The servers' process ids.
    pub fn pids(&self) -> Vec<u32> {
        self.children.iter().map(|c| c.id()).collect()
    }

    /// Resident set size of each server (KiB), from /proc.
    pub fn rss_kib(&self) -> Vec<u64> {
        self.children
            .iter()
            .map(|c| c.id())
            .map(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/status"))
                    .ok()
                    .and_then(|s| {
                        s.lines()
                            .find(|l| l.starts_with("VmRSS:"))
                            .and_then(|l| l.split_whitespace().nth(1))
                            .and_then(|v| v.parse().ok())
                    })
                    .unwrap_or(0)
            })
            .collect()
    }

    /// Asks each server to stop (SIGTERM: graceful shutdown) and waits for it.
    pub async fn stop(mut self) {
        for c in &mut self.children {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
        }
        let asked = Instant::now();
        for c in &mut self.children {
            loop {
                match c.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) if asked.elapsed() > Duration::from_secs(20) => {
                        let _ = c.kill();
                        let _ = c.wait();
                        break;
                    }
                    Ok(None) => tokio::time::sleep(Duration::from_millis(20)).await,
                }
            }
        }
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        for c in &mut self.children {
            if let Ok(None) = c.try_wait() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}
