//! `wangge calendar`: the working-day calendar for operators — is a date a workday, and
//! when is something due.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use wangge_core::calendar::{DayKind, LocalDateTime, TimeLimit};
use wangge_core::date::Date;

use crate::config::Config;

#[derive(Subcommand)]
pub enum CalendarCommand {
    /// Print `workday` or `rest day` with the holiday's name
    IsWorkday {
        /// YYYY-MM-DD
        date: String,
    },
    /// Print the due date of a time limit that starts on START
    Due(DueArgs),
}

#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct DueLimit {
    /// Calendar days (日): the start day is not counted; a last day on a holiday moves to the next workday
    #[arg(long)]
    days: Option<u32>,
    /// Working days (工作日)
    #[arg(long)]
    working_days: Option<u32>,
    /// Working hours (工作时) inside the configured office hours; START may then carry a time, YYYY-MM-DDTHH:MM
    #[arg(long)]
    working_hours: Option<u32>,
}

#[derive(Args)]
pub struct DueArgs {
    /// YYYY-MM-DD (or YYYY-MM-DDTHH:MM with --working-hours)
    start: String,
    #[command(flatten)]
    limit: DueLimit,
}

fn parse_start(s: &str) -> Option<LocalDateTime> {
    let (d, t) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let date = Date::parse_iso(d)?;
    match t {
        None => LocalDateTime::new(date, 0, 0),
        Some(t) => {
            let (h, m) = t.split_once(':')?;
            LocalDateTime::new(date, h.parse().ok()?, m.parse().ok()?)
        }
    }
}

pub fn run(cfg: &Config, c: &CalendarCommand) -> ExitCode {
    let cal = match cfg.calendar() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("错误: {e:#}");
            return ExitCode::from(2);
        }
    };
    match c {
        CalendarCommand::IsWorkday { date } => {
            let Some(d) = Date::parse_iso(date) else {
                eprintln!("错误: 日期格式应为 YYYY-MM-DD: {date}");
                return ExitCode::from(2);
            };
            match cal.is_workday(d) {
                Ok(kind) => {
                    let line = match &kind {
                        DayKind::Workday => "workday".to_string(),
                        DayKind::MakeupWorkday { holiday } => {
                            format!("workday (调休上班: {holiday})")
                        }
                        DayKind::LocalWorkday { name } => format!("workday ({name})"),
                        DayKind::Weekend => "rest day (周末)".to_string(),
                        DayKind::Holiday { name } | DayKind::LocalRestDay { name } => {
                            format!("rest day ({name})")
                        }
                    };
                    println!("{line}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("拒绝计算: {e}");
                    ExitCode::from(2)
                }
            }
        }
        CalendarCommand::Due(a) => {
            let Some(start) = parse_start(&a.start) else {
                eprintln!(
                    "错误: 开始日期格式应为 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM: {}",
                    a.start
                );
                return ExitCode::from(2);
            };
            let l = &a.limit;
            let limit = match (l.days, l.working_days, l.working_hours) {
                (Some(n), _, _) => TimeLimit::CalendarDays(n),
                (_, Some(n), _) => TimeLimit::WorkingDays(n),
                (_, _, Some(n)) => TimeLimit::WorkingHours(n),
                _ => return ExitCode::from(2),
            };
            let result = match limit {
                TimeLimit::CalendarDays(n) => {
                    cal.due_after_days(start.date(), n).map(|d| d.to_string())
                }
                TimeLimit::WorkingDays(n) => cal
                    .due_after_working_days(start.date(), n)
                    .map(|d| d.to_string()),
                TimeLimit::WorkingHours(_) => cal.due(start, limit).map(|t| t.to_string()),
            };
            match result {
                Ok(s) => {
                    println!("{s}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("拒绝计算: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}
