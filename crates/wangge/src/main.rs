//! `wangge`: one binary for the server, the demo and every administrative job.

mod bench;
mod calendar_cmd;
mod commands;
mod config;
mod demo;
mod demo_cases;
mod gen;
mod import;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(name = "wangge", version, about = "网格化基层治理平台 wangge", long_about = None)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Global {
    /// TOML configuration file (default: ./wangge.toml if present)
    #[arg(long, global = true, env = "WANGGE_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory (SQLite database and key file)
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB (default: SQLite in the data directory)
    #[arg(long, global = true)]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080
        #[arg(long)]
        listen: Option<String>,
    },
    /// Create (or reuse) a demo database with 桂东县's regions, demo users and people, and serve it
    Demo {
        #[arg(long)]
        listen: Option<String>,
        /// Only create the demo data; do not serve
        #[arg(long)]
        no_serve: bool,
    },
    /// Apply database migrations
    Migrate,
    /// Import data
    #[command(subcommand)]
    Import(commands::ImportCommand),
    /// Manage users
    #[command(subcommand)]
    User(commands::UserCommand),
    /// Manage API tokens
    #[command(subcommand)]
    Token(commands::TokenCommand),
    /// Audit log
    #[command(subcommand)]
    Audit(commands::AuditCommand),
    /// Write a consistent copy of the database to DEST while the server runs
    Backup {
        /// Destination file (SQLite) or dump file (PostgreSQL, via pg_dump)
        dest: PathBuf,
    },
    /// Check a 身份证号 or 统一社会信用代码 (exit 0 when valid, 1 when not)
    #[command(subcommand)]
    Check(commands::CheckCommand),
    /// Configuration
    #[command(subcommand)]
    Config(commands::ConfigCommand),
    /// Working-day calendar: workdays, holidays, 调休 and due dates
    #[command(subcommand)]
    Calendar(calendar_cmd::CalendarCommand),
    /// Generate realistic synthetic data (regions, grids, people, cases) into a new database
    Gen(gen::GenArgs),
    /// Load benchmarks against real `wangge serve` processes (see BENCHMARKS.md)
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let overrides = config::Overrides {
        config_file: cli.global.config.clone(),
        data_dir: cli.global.data_dir.clone(),
        database_url: cli.global.database_url.clone(),
        listen: match &cli.command {
            Command::Serve { listen } | Command::Demo { listen, .. } => listen.clone(),
            _ => None,
        },
    };
    // Checks and config printing need no runtime, configuration or database.
    match &cli.command {
        Command::Check(c) => return commands::check(c),
        Command::Config(c) => return commands::config(c, &overrides),
        _ => {}
    }
    let cfg = match config::load(&overrides) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("错误: {e:#}");
            return ExitCode::from(2);
        }
    };
    if let Command::Calendar(c) = &cli.command {
        return calendar_cmd::run(&cfg, c);
    }
    commands::init_tracing(&cfg);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("错误: 无法启动运行时: {e}");
            return ExitCode::from(2);
        }
    };
    let result = rt.block_on(async move {
        match cli.command {
            Command::Serve { .. } => commands::serve(&cfg).await,
            Command::Demo { no_serve, .. } => demo::run(&cfg, !no_serve).await,
            Command::Migrate => commands::migrate(&cfg).await,
            Command::Import(c) => commands::import(&cfg, c).await,
            Command::User(c) => commands::user(&cfg, c).await,
            Command::Token(c) => commands::token(&cfg, c).await,
            Command::Audit(c) => commands::audit(&cfg, c).await,
            Command::Backup { dest } => commands::backup(&cfg, &dest).await,
            Command::Gen(a) => gen::run(&cfg, a).await,
            Command::Bench(c) => bench::run(&cfg, c).await,
            Command::Check(_) | Command::Config(_) | Command::Calendar(_) => Ok(ExitCode::SUCCESS),
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误: {e:#}");
            ExitCode::from(2)
        }
    }
}
