//! Where the CPU went during a load: the servers, PostgreSQL's processes, this process
//! (the load generator) and the rest of the machine, from Linux's `/proc` counters. A
//! throughput figure on a shared machine means little without it: when the machine has
//! no idle time left, a second server can only take turns for the same cores.

use std::fs;

/// `/proc` counts CPU time in USER_HZ ticks, which Linux fixes at 100 per second for
/// its user interface, whatever the kernel's own tick rate.
const TICKS_PER_S: f64 = 100.0;

/// Counters at one moment.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// All CPUs: busy and idle ticks (idle includes waiting for I/O).
    machine_busy: u64,
    machine_idle: u64,
    servers: u64,
    postgres: u64,
    generator: u64,
}

/// Ticks used by a process (user + system), 0 if it is gone.
fn process_ticks(pid: &str) -> u64 {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    // The command name may hold spaces and parentheses: fields are counted after the
    // last ')'. utime and stime are fields 14 and 15, so the 12th and 13th after it.
    let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
        return 0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    tick(11) + tick(12)
}

fn process_name(pid: &str) -> String {
    fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// Takes the counters now; `servers` are the pids of the `wangge serve` processes.
pub fn snapshot(servers: &[u32]) -> Snapshot {
    let mut s = Snapshot::default();
    if let Ok(stat) = fs::read_to_string("/proc/stat") {
        if let Some(line) = stat.lines().find(|l| l.starts_with("cpu ")) {
            let v: Vec<u64> = line
                .split_whitespace()
                .skip(1)
                .filter_map(|f| f.parse().ok())
                .collect();
            // user nice system idle iowait irq softirq steal (guest time is inside user).
            let get = |i: usize| v.get(i).copied().unwrap_or(0);
            s.machine_idle = get(3) + get(4);
            s.machine_busy = get(0) + get(1) + get(2) + get(5) + get(6) + get(7);
        }
    }
    s.servers = servers.iter().map(|p| process_ticks(&p.to_string())).sum();
    s.generator = process_ticks("self");
    if let Ok(dir) = fs::read_dir("/proc") {
        for e in dir.flatten() {
            let name = e.file_name();
            let pid = name.to_string_lossy();
            if pid.bytes().all(|b| b.is_ascii_digit()) && process_name(&pid) == "postgres" {
                s.postgres += process_ticks(&pid);
            }
        }
    }
    s
}

/// What a load used between two snapshots.
#[derive(Clone, Debug)]
pub struct Usage {
    pub idle_share: f64,
    pub servers_s: f64,
    pub postgres_s: f64,
    pub generator_s: f64,
    pub other_s: f64,
}

impl Usage {
    pub fn between(a: &Snapshot, b: &Snapshot) -> Usage {
        let d = |x: u64, y: u64| y.saturating_sub(x) as f64 / TICKS_PER_S;
        let busy = d(a.machine_busy, b.machine_busy);
        let idle = d(a.machine_idle, b.machine_idle);
        let servers_s = d(a.servers, b.servers);
        let postgres_s = d(a.postgres, b.postgres);
        let generator_s = d(a.generator, b.generator);
        Usage {
            idle_share: if busy + idle > 0.0 {
                idle / (busy + idle)
            } else {
                0.0
            },
            servers_s,
            postgres_s,
            generator_s,
            other_s: (busy - servers_s - postgres_s - generator_s).max(0.0),
        }
    }

    /// One line: idle share and CPU milliseconds per case of each part.
    pub fn line(&self, cases: u64) -> String {
        let per = |s: f64| s * 1000.0 / cases.max(1) as f64;
        format!(
            "CPU: machine idle {:.1}%; per case: servers {:.2} ms, PostgreSQL {:.2} ms, load generator {:.2} ms, other {:.2} ms ({} cores)",
            self.idle_share * 100.0,
            per(self.servers_s),
            per(self.postgres_s),
            per(self.generator_s),
            per(self.other_s),
            std::thread::available_parallelism().map_or(0, |n| n.get())
        )
    }

    pub fn json(&self, cases: u64) -> serde_json::Value {
        let per = |s: f64| s * 1000.0 / cases.max(1) as f64;
        serde_json::json!({
            "idle_share": self.idle_share,
            "cpu_ms_per_case": {
                "servers": per(self.servers_s),
                "postgres": per(self.postgres_s),
                "load_generator": per(self.generator_s),
                "other": per(self.other_s),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_splits_the_difference_of_two_snapshots() {
        let a = Snapshot {
            machine_busy: 1000,
            machine_idle: 500,
            servers: 100,
            postgres: 200,
            generator: 50,
        };
        let b = Snapshot {
            machine_busy: 1190,
            machine_idle: 510,
            servers: 160,
            postgres: 300,
            generator: 70,
        };
        let u = Usage::between(&a, &b);
        assert!((u.idle_share - 0.05).abs() < 1e-9, "{u:?}");
        assert!((u.servers_s - 0.6).abs() < 1e-9);
        assert!((u.postgres_s - 1.0).abs() < 1e-9);
        assert!((u.generator_s - 0.2).abs() < 1e-9);
        assert!((u.other_s - 0.1).abs() < 1e-9);
        // 100 cases: 6 ms of server time each.
        assert!(u.line(100).contains("servers 6.00 ms"), "{}", u.line(100));
    }

    #[test]
    fn this_process_is_counted() {
        let before = snapshot(&[]);
        // Burn CPU until the counter moves (a tick is 10 ms of CPU time).
        let mut x = 0u64;
        let t = std::time::Instant::now();
        let mut after = snapshot(&[]);
        while after.generator == before.generator && t.elapsed().as_secs() < 30 {
            for _ in 0..1_000_000 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            }
            std::hint::black_box(x);
            after = snapshot(&[]);
        }
        assert!(after.generator > before.generator, "{before:?} {after:?}");
        assert!(after.machine_busy > before.machine_busy);
    }
}
