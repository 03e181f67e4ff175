//! Deadline computations per second: the three kinds of time limit, from start times
//! spread over 2024–2026 (crossing Spring Festival, National Day and their 调休 days).

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use wangge_core::calendar::{Calendar, LocalDateTime, TimeLimit};
use wangge_core::date::Date;

fn starts() -> Vec<LocalDateTime> {
    let first = Date::new(2024, 1, 2).map(Date::to_days).unwrap_or(19_724);
    (0..1024)
        .filter_map(|i| {
            LocalDateTime::new(
                Date::from_days(first + (i * 37) % 1000),
                (8 + i % 10) as u8,
                (i * 7 % 60) as u8,
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let cal = match Calendar::china_default() {
        Ok(cal) => cal,
        Err(e) => panic!("shipped calendar: {e}"),
    };
    let starts = starts();
    let mut g = c.benchmark_group("deadline");
    g.throughput(Throughput::Elements(starts.len() as u64));
    for (name, limit) in [
        ("calendar_days_15", TimeLimit::CalendarDays(15)),
        ("working_days_5", TimeLimit::WorkingDays(5)),
        ("working_hours_4", TimeLimit::WorkingHours(4)),
        ("days_60", TimeLimit::CalendarDays(60)),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                for s in &starts {
                    black_box(cal.due(black_box(*s), limit).ok());
                }
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
