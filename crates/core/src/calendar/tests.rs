use super::*;

fn d(year: i32, month: u8, day: u8) -> Date {
    Date::new(year, month, day).expect("valid test date")
}

fn at(date: Date, hour: u8, minute: u8) -> LocalDateTime {
    LocalDateTime::new(date, hour, minute).expect("valid test time")
}

fn china() -> Calendar {
    Calendar::china_default().expect("embedded calendar loads")
}

fn workday(cal: &Calendar, date: Date) -> bool {
    cal.is_workday(date).expect("date in range").is_workday()
}

// ---- Independent expectation -------------------------------------------------------
// Written from the notices (and GUIDE.md §4) without going through the TOML file or the
// module's weekday arithmetic, so a mistake in either shows up as a mismatch.

/// A holiday's name and its first and last rest day (month, day).
type Rest = (&'static str, (u8, u8), (u8, u8));
/// A make-up workday (month, day) and the holiday it makes up for.
type Makeup = (&'static str, (u8, u8));

const REST_2024: &[Rest] = &[
    ("元旦", (1, 1), (1, 1)),
    ("春节", (2, 10), (2, 17)),
    ("清明节", (4, 4), (4, 6)),
    ("劳动节", (5, 1), (5, 5)),
    ("端午节", (6, 10), (6, 10)),
    ("中秋节", (9, 15), (9, 17)),
    ("国庆节", (10, 1), (10, 7)),
];
const MAKEUP_2024: &[Makeup] = &[
    ("春节", (2, 4)),
    ("春节", (2, 18)),
    ("清明节", (4, 7)),
    ("劳动节", (4, 28)),
    ("劳动节", (5, 11)),
    ("中秋节", (9, 14)),
    ("国庆节", (9, 29)),
    ("国庆节", (10, 12)),
];
const REST_2025: &[Rest] = &[
    ("元旦", (1, 1), (1, 1)),
    ("春节", (1, 28), (2, 4)),
    ("清明节", (4, 4), (4, 6)),
    ("劳动节", (5, 1), (5, 5)),
    ("端午节", (5, 31), (6, 2)),
    ("国庆节、中秋节", (10, 1), (10, 8)),
];
const MAKEUP_2025: &[Makeup] = &[
    ("春节", (1, 26)),
    ("春节", (2, 8)),
    ("劳动节", (4, 27)),
    ("国庆节、中秋节", (9, 28)),
    ("国庆节、中秋节", (10, 11)),
];
const REST_2026: &[Rest] = &[
    ("元旦", (1, 1), (1, 3)),
    ("春节", (2, 15), (2, 23)),
    ("清明节", (4, 4), (4, 6)),
    ("劳动节", (5, 1), (5, 5)),
    ("端午节", (6, 19), (6, 21)),
    ("中秋节", (9, 25), (9, 27)),
    ("国庆节", (10, 1), (10, 7)),
];
const MAKEUP_2026: &[Makeup] = &[
    ("元旦", (1, 4)),
    ("春节", (2, 14)),
    ("春节", (2, 28)),
    ("劳动节", (5, 9)),
    ("国庆节", (9, 20)),
    ("国庆节", (10, 10)),
];

/// Day of week by Sakamoto's method, 0 = Sunday … 6 = Saturday.
fn sakamoto(year: i32, month: u8, day: u8) -> i32 {
    const T: [i32; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
    let y = if month < 3 { year - 1 } else { year };
    (y + y / 4 - y / 100 + y / 400 + T[usize::from(month - 1)] + i32::from(day)) % 7
}

/// Checks every day of `year` and returns the number of workdays.
fn check_year(cal: &Calendar, year: i32, rest: &[Rest], makeup: &[Makeup]) -> usize {
    let mut workdays = 0;
    for month in 1..=12u8 {
        for day in 1..=31u8 {
            let Some(date) = Date::new(year, month, day) else {
                continue;
            };
            let md = (month, day);
            let holiday = rest
                .iter()
                .find(|(_, from, to)| *from <= md && md <= *to)
                .map(|(name, _, _)| *name);
            let weekend = matches!(sakamoto(year, month, day), 0 | 6);
            let made_up_for = makeup
                .iter()
                .find(|(_, day)| *day == md)
                .map(|(name, _)| *name);
            let expected = match (holiday, made_up_for) {
                (Some(name), _) => DayKind::Holiday { name: name.into() },
                (None, Some(name)) => DayKind::MakeupWorkday {
                    holiday: name.into(),
                },
                (None, None) if weekend => DayKind::Weekend,
                (None, None) => DayKind::Workday,
            };
            let actual = cal.is_workday(date).expect("loaded year");
            assert_eq!(actual, expected, "{date}");
            if actual.is_workday() {
                workdays += 1;
            }
        }
    }
    workdays
}

#[test]
fn every_day_of_2025_and_2026_matches_the_notices() {
    let cal = china();
    // 365 − 104 weekend days − 13 statutory holidays = 248 in both years.
    assert_eq!(check_year(&cal, 2025, REST_2025, MAKEUP_2025), 248);
    assert_eq!(check_year(&cal, 2026, REST_2026, MAKEUP_2026), 248);
}

#[test]
fn every_day_of_2024_matches_the_notice() {
    let cal = china();
    // Leap year, 11 statutory holidays then: 366 − 104 − 11 = 251.
    assert_eq!(check_year(&cal, 2024, REST_2024, MAKEUP_2024), 251);
    // 除夕 2024 was only "encouraged" as a day off; officially it is a workday.
    assert_eq!(cal.is_workday(d(2024, 2, 9)), Ok(DayKind::Workday));
    // "6月10日放假，与周末连休": the weekend before stays a plain weekend.
    assert_eq!(cal.is_workday(d(2024, 6, 8)), Ok(DayKind::Weekend));
}

#[test]
fn make_up_days_name_their_holiday() {
    let cal = china();
    let kind = cal.is_workday(d(2025, 1, 26)).expect("in range");
    assert_eq!(
        kind,
        DayKind::MakeupWorkday {
            holiday: "春节".into()
        }
    );
    assert_eq!(kind.label(), "调休上班");
    let national = cal.is_workday(d(2025, 9, 28)).expect("in range");
    assert_eq!(
        national,
        DayKind::MakeupWorkday {
            holiday: "国庆节、中秋节".into()
        }
    );
    assert_eq!(
        cal.is_workday(d(2026, 2, 16)).expect("in range").label(),
        "春节"
    );
    assert_eq!(
        cal.is_workday(d(2025, 3, 1)).expect("in range").label(),
        "周末"
    );
    assert_eq!(
        cal.is_workday(d(2025, 3, 3)).expect("in range").label(),
        "工作日"
    );
}

#[test]
fn default_calendar_knows_its_years_and_sources() {
    let cal = china();
    assert_eq!(cal.years().collect::<Vec<_>>(), vec![2024, 2025, 2026]);
    assert!(cal
        .notice(2025)
        .is_some_and(|n| n.contains("国办发明电〔2024〕12号")));
    assert_eq!(cal.notice(2027), None);
}

#[test]
fn day_kind_serialises_with_a_tag() {
    let json = serde_json::to_value(DayKind::Holiday {
        name: "春节".into(),
    })
    .expect("serialises");
    assert_eq!(
        json,
        serde_json::json!({ "kind": "holiday", "name": "春节" })
    );
    let json = serde_json::to_value(DayKind::Weekend).expect("serialises");
    assert_eq!(json, serde_json::json!({ "kind": "weekend" }));
}

// ---- Out of range ----------------------------------------------------------------

#[test]
fn dates_outside_the_loaded_years_are_refused() {
    let cal = china();
    for date in [d(2023, 12, 31), d(2027, 1, 1), d(1999, 6, 1)] {
        let err = cal.is_workday(date).expect_err("must refuse");
        assert_eq!(err.date, date);
        assert_eq!(err.loaded_years, vec![2024, 2025, 2026]);
    }
    assert!(cal.is_workday(d(2024, 1, 1)).is_ok());
    assert!(cal.is_workday(d(2026, 12, 31)).is_ok());

    let field: FieldError = cal.is_workday(d(2027, 1, 1)).expect_err("refused").into();
    assert_eq!(field.code, "calendar_out_of_range");
    assert!(field.message.contains("2027"));
    let text = cal
        .is_workday(d(2027, 1, 1))
        .expect_err("refused")
        .to_string();
    assert!(text.contains("2027-01-01") && text.contains("2024, 2025, 2026"));
}

#[test]
fn computations_that_cross_out_of_the_loaded_years_are_refused() {
    let cal = china();
    let err = cal
        .due_after_working_days(d(2026, 12, 25), 10)
        .expect_err("runs into 2027");
    assert_eq!(err.date, d(2027, 1, 1));
    // 2026-12-20 + 15 = 2027-01-04: the last day itself is unknown.
    let err = cal.due_after_days(d(2026, 12, 20), 15).expect_err("2027");
    assert_eq!(err.date, d(2027, 1, 4));
    // A huge limit stops at the edge instead of looping.
    let err = cal
        .due_after_working_days(d(2025, 1, 1), u32::MAX)
        .expect_err("2027");
    assert_eq!(err.date, d(2027, 1, 1));
    assert!(cal.due_after_days(d(2025, 1, 1), u32::MAX).is_err());
    let err = cal
        .due_after_working_hours(at(d(2026, 12, 31), 17, 0), 8, &OfficeHours::default())
        .expect_err("2027");
    assert_eq!(err.date, d(2027, 1, 1));
    assert!(cal
        .due_after_working_hours(at(d(2023, 12, 29), 9, 0), 1, &OfficeHours::default())
        .is_err());
    // Inside the range right up to the last day.
    assert_eq!(cal.due_after_days(d(2026, 12, 10), 20), Ok(d(2026, 12, 30)));
}

#[test]
fn only_the_days_consulted_must_be_loaded() {
    // Day-based periods never look at the start day, so a matter received on
    // 2023-12-31 still has a computable deadline in 2024 (1/1 is 元旦 → 1/2).
    let cal = china();
    assert_eq!(cal.due_after_days(d(2023, 12, 31), 1), Ok(d(2024, 1, 2)));
    assert_eq!(
        cal.due_after_working_days(d(2023, 12, 31), 1),
        Ok(d(2024, 1, 2))
    );
}

// ---- Calendar-day periods (Civil Code) -------------------------------------------

#[test]
fn start_day_is_not_counted() {
    let cal = china();
    let monday = d(2025, 3, 3);
    assert_eq!(cal.due_after_days(monday, 1), Ok(d(2025, 3, 4)));
    assert_eq!(cal.due_after_working_days(monday, 1), Ok(d(2025, 3, 4)));
    // 信访: route within 15 日; handle within 60 日.
    assert_eq!(cal.due_after_days(monday, 15), Ok(d(2025, 3, 18)));
    assert_eq!(cal.due_after_days(monday, 60), Ok(d(2025, 5, 2 + 4)));
    // A start on a holiday still counts from the next day.
    assert_eq!(
        cal.due_after_working_days(d(2025, 1, 28), 1),
        Ok(d(2025, 2, 5))
    );
    // Zero: nothing to count.
    assert_eq!(cal.due_after_working_days(monday, 0), Ok(monday));
    assert_eq!(cal.due_after_days(monday, 0), Ok(monday));
    assert_eq!(cal.due_after_days(d(2025, 3, 1), 0), Ok(monday));
}

#[test]
fn calendar_days_ending_on_a_rest_day_roll_to_the_next_workday() {
    let cal = china();
    // Ends Saturday 2025-03-01 → Monday.
    assert_eq!(cal.due_after_days(d(2025, 2, 22), 7), Ok(d(2025, 3, 3)));
    // Ends on the 调休 Saturday 2025-02-08, a workday: no roll.
    assert_eq!(cal.due_after_days(d(2025, 2, 1), 7), Ok(d(2025, 2, 8)));
    // Ends inside Spring Festival 2025 (1/28–2/4) → Wednesday 2/5.
    assert_eq!(cal.due_after_days(d(2025, 1, 15), 15), Ok(d(2025, 2, 5)));
    // Ends inside National Day 2025 (10/1–8) → Thursday 10/9.
    assert_eq!(cal.due_after_days(d(2025, 9, 16), 15), Ok(d(2025, 10, 9)));
    assert_eq!(cal.due_after_days(d(2025, 9, 30), 8), Ok(d(2025, 10, 9)));
    // Ends on the last National Day rest day of 2026 (10/7) → Thursday 10/8.
    assert_eq!(cal.due_after_days(d(2026, 9, 22), 15), Ok(d(2026, 10, 8)));
    // Ends on the 2026 Spring Festival (2/15–23) → Tuesday 2/24.
    assert_eq!(cal.due_after_days(d(2026, 2, 1), 15), Ok(d(2026, 2, 24)));
    // Ends on the 2026 make-up Saturday 2/28: a workday, kept.
    assert_eq!(cal.due_after_days(d(2026, 2, 13), 15), Ok(d(2026, 2, 28)));
}

// ---- Working days ---------------------------------------------------------------

#[test]
fn working_days_across_spring_festival_2025() {
    let cal = china();
    let friday = d(2025, 1, 24);
    // 1/25 Sat rest; 1/26 Sun 调休上班 (1); 1/27 (2); 1/28–2/4 off; 2/5 (3), 2/6 (4), 2/7 (5).
    assert_eq!(cal.due_after_working_days(friday, 1), Ok(d(2025, 1, 26)));
    assert_eq!(cal.due_after_working_days(friday, 2), Ok(d(2025, 1, 27)));
    assert_eq!(cal.due_after_working_days(friday, 3), Ok(d(2025, 2, 5)));
    assert_eq!(cal.due_after_working_days(friday, 5), Ok(d(2025, 2, 7)));
    // 2/8 Saturday is worked too.
    assert_eq!(cal.due_after_working_days(friday, 6), Ok(d(2025, 2, 8)));
    assert_eq!(cal.due_after_working_days(friday, 7), Ok(d(2025, 2, 10)));
}

#[test]
fn working_days_across_spring_festival_2026() {
    let cal = china();
    let friday = d(2026, 2, 13);
    // 2/14 Sat worked (1); 2/15–23 off; 2/24 (2) … 2/27 (5); 2/28 Sat worked (6); 3/1 Sun rest.
    assert_eq!(cal.due_after_working_days(friday, 1), Ok(d(2026, 2, 14)));
    assert_eq!(cal.due_after_working_days(friday, 2), Ok(d(2026, 2, 24)));
    assert_eq!(cal.due_after_working_days(friday, 5), Ok(d(2026, 2, 27)));
    assert_eq!(cal.due_after_working_days(friday, 6), Ok(d(2026, 2, 28)));
    assert_eq!(cal.due_after_working_days(friday, 7), Ok(d(2026, 3, 2)));
}

#[test]
fn working_days_across_national_day() {
    let cal = china();
    // 2025: 9/27 Sat rest; 9/28 Sun worked (1); 9/29 (2); 9/30 (3); 10/1–8 off; 10/9 (4);
    // 10/10 (5); 10/11 Sat worked (6).
    let friday = d(2025, 9, 26);
    assert_eq!(cal.due_after_working_days(friday, 1), Ok(d(2025, 9, 28)));
    assert_eq!(cal.due_after_working_days(friday, 4), Ok(d(2025, 10, 9)));
    assert_eq!(cal.due_after_working_days(friday, 5), Ok(d(2025, 10, 10)));
    assert_eq!(cal.due_after_working_days(friday, 6), Ok(d(2025, 10, 11)));
    // 2026: 9/20 Sun worked, 中秋 9/25–27, 国庆 10/1–7, 10/10 Sat worked.
    assert_eq!(
        cal.due_after_working_days(d(2026, 9, 18), 1),
        Ok(d(2026, 9, 20))
    );
    assert_eq!(
        cal.due_after_working_days(d(2026, 9, 24), 1),
        Ok(d(2026, 9, 28))
    );
    assert_eq!(
        cal.due_after_working_days(d(2026, 9, 30), 1),
        Ok(d(2026, 10, 8))
    );
    assert_eq!(
        cal.due_after_working_days(d(2026, 9, 30), 3),
        Ok(d(2026, 10, 10))
    );
    // 信访: object within 5 工作日 of receiving a transfer on 2026-09-29.
    assert_eq!(
        cal.due_after_working_days(d(2026, 9, 29), 5),
        Ok(d(2026, 10, 12))
    );
}

#[test]
fn working_days_property_over_every_start_in_2025() {
    let cal = china();
    let mut start = d(2025, 1, 1);
    while start.year == 2025 {
        for n in 1..20u32 {
            let due = cal
                .due_after_working_days(start, n)
                .expect("stays inside 2025–2026");
            assert!(due > start, "{start} + {n}");
            assert!(workday(&cal, due), "{start} + {n} = {due} is not a workday");
            let mut count = 0;
            let mut day = add_days(start, 1);
            while day <= due {
                if workday(&cal, day) {
                    count += 1;
                }
                day = add_days(day, 1);
            }
            assert_eq!(count, n, "{start} + {n} = {due}");
        }
        start = add_days(start, 1);
    }
}

// ---- Working hours --------------------------------------------------------------

#[test]
fn working_hours_carry_over_the_weekend_and_lunch() {
    let cal = china();
    let office = OfficeHours::default();
    // Friday 17:00 + 4 h: 30 min on Friday, 3 h 30 on Monday morning → 12:00.
    let due = cal.due_after_working_hours(at(d(2025, 3, 7), 17, 0), 4, &office);
    assert_eq!(due, Ok(at(d(2025, 3, 10), 12, 0)));
    // 11:00 + 2 h: 1 h before lunch, 1 h after 14:30.
    let due = cal.due_after_working_hours(at(d(2025, 3, 10), 11, 0), 2, &office);
    assert_eq!(due, Ok(at(d(2025, 3, 10), 15, 30)));
    // Received during lunch or before opening: the clock starts at the next opening.
    let due = cal.due_after_working_hours(at(d(2025, 3, 10), 12, 30), 1, &office);
    assert_eq!(due, Ok(at(d(2025, 3, 10), 15, 30)));
    let due = cal.due_after_working_hours(at(d(2025, 3, 10), 7, 0), 1, &office);
    assert_eq!(due, Ok(at(d(2025, 3, 10), 9, 30)));
    // Running out exactly at closing is due at closing, not the next morning.
    let due = cal.due_after_working_hours(at(d(2025, 3, 10), 14, 30), 3, &office);
    assert_eq!(due, Ok(at(d(2025, 3, 10), 17, 30)));
    // Received on Saturday evening.
    let due = cal.due_after_working_hours(at(d(2025, 3, 8), 20, 0), 1, &office);
    assert_eq!(due, Ok(at(d(2025, 3, 10), 9, 30)));
    // Zero hours: due at once.
    let start = at(d(2025, 3, 8), 20, 0);
    assert_eq!(cal.due_after_working_hours(start, 0, &office), Ok(start));
}

#[test]
fn working_hours_across_spring_festival_2025() {
    let cal = china();
    let office = OfficeHours::default();
    // Friday 1/24 17:00 + 4 h → Sunday 1/26 (调休上班) 12:00.
    let due = cal.due_after_working_hours(at(d(2025, 1, 24), 17, 0), 4, &office);
    assert_eq!(due, Ok(at(d(2025, 1, 26), 12, 0)));
    // Monday 1/27 16:30 + 8 h: 1 h on 1/27, then nothing until 2/5 (6.5 h) and 30 min on 2/6.
    let due = cal.due_after_working_hours(at(d(2025, 1, 27), 16, 30), 8, &office);
    assert_eq!(due, Ok(at(d(2025, 2, 6), 9, 0)));
}

#[test]
fn working_hours_with_configured_office_hours() {
    let cal = china();
    let office = OfficeHours::new(&[(9 * 60, 17 * 60)]).expect("valid");
    let due = cal.due_after_working_hours(at(d(2025, 3, 7), 16, 0), 2, &office);
    assert_eq!(due, Ok(at(d(2025, 3, 10), 10, 0)));
    // Two full days of 8 h.
    let due = cal.due_after_working_hours(at(d(2025, 3, 7), 17, 0), 16, &office);
    assert_eq!(due, Ok(at(d(2025, 3, 11), 17, 0)));
}

#[test]
fn office_hours_parse_and_validate() {
    let parsed: OfficeHours =
        serde_json::from_str(r#"["08:30-12:00", "14:30-17:30"]"#).expect("valid");
    assert_eq!(parsed, OfficeHours::default());
    assert_eq!(
        serde_json::to_string(&parsed).expect("serialises"),
        r#"["08:30-12:00","14:30-17:30"]"#
    );
    let summer: OfficeHours =
        serde_json::from_str(r#"["08:00 - 12:00", "15:00-18:00"]"#).expect("valid");
    assert_eq!(summer.intervals(), &[(480, 720), (900, 1080)]);

    for bad in [
        r#"[]"#,
        r#"["08:30"]"#,
        r#"["8:30-12:00"]"#,
        r#"["12:00-08:30"]"#,
        r#"["08:30-12:00", "11:00-17:30"]"#,
        r#"["14:30-17:30", "08:30-12:00"]"#,
        r#"["08:60-12:00"]"#,
        r#"["23:00-25:00"]"#,
        r#"["+8:30-12:00"]"#,
    ] {
        assert!(serde_json::from_str::<OfficeHours>(bad).is_err(), "{bad}");
    }
    let err = OfficeHours::try_from(vec!["08:30-12:00".into(), "11:00-12:30".into()])
        .expect_err("overlap");
    assert_eq!(err.field, "office_hours[1]");
    assert!(OfficeHours::new(&[(0, 1440)]).is_ok());
}

#[test]
fn local_date_time_moments() {
    let end = LocalDateTime::end_of_day(d(2025, 2, 5));
    assert_eq!(end.to_string(), "2025-02-05 24:00");
    assert_eq!(end, at(d(2025, 2, 6), 0, 0));
    assert!(end < at(d(2025, 2, 6), 0, 1));
    assert!(LocalDateTime::new(d(2025, 2, 5), 24, 1).is_none());
    assert!(LocalDateTime::new(d(2025, 2, 5), 9, 60).is_none());
    // 2026-01-01T16:00:00Z is 2 January 00:00 in Beijing.
    let t = LocalDateTime::from_unix_millis_cst(1_767_283_200_000);
    assert_eq!(t, at(d(2026, 1, 2), 0, 0));
    assert_eq!(t.to_unix_millis_cst(), 1_767_283_200_000);
    // Seconds are dropped.
    let t = LocalDateTime::from_unix_millis_cst(1_767_283_200_000 + 59_999);
    assert_eq!(t.minute_of_day(), 0);
    assert_eq!(
        LocalDateTime::from_unix_millis_cst(-1).to_string(),
        "1970-01-01 07:59"
    );
}

// ---- TimeLimit --------------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct Step {
    limit: TimeLimit,
}

#[test]
fn time_limits_deserialise_from_one_key_tables() {
    let step = |text: &str| toml::from_str::<Step>(text).map(|s| s.limit);
    assert_eq!(
        step("limit = { days = 15 }"),
        Ok(TimeLimit::CalendarDays(15))
    );
    assert_eq!(
        step("limit = { working_days = 5 }"),
        Ok(TimeLimit::WorkingDays(5))
    );
    assert_eq!(
        step("limit = { working_hours = 4 }"),
        Ok(TimeLimit::WorkingHours(4))
    );
    assert!(step("limit = { weeks = 2 }").is_err());
    assert!(step("limit = { days = -1 }").is_err());
    assert!(step("limit = { days = 1, working_days = 2 }").is_err());
    let json: TimeLimit = serde_json::from_str(r#"{"working_days":5}"#).expect("valid");
    assert_eq!(json, TimeLimit::WorkingDays(5));
    assert_eq!(
        serde_json::to_string(&TimeLimit::CalendarDays(60)).expect("serialises"),
        r#"{"days":60}"#
    );
}

#[test]
fn due_applies_each_kind_of_limit() {
    let mut cal = china();
    let start = at(d(2025, 1, 24), 17, 0);
    assert_eq!(
        cal.due(start, TimeLimit::CalendarDays(5)),
        Ok(LocalDateTime::end_of_day(d(2025, 2, 5)))
    );
    assert_eq!(
        cal.due(start, TimeLimit::WorkingDays(5)),
        Ok(LocalDateTime::end_of_day(d(2025, 2, 7)))
    );
    assert_eq!(
        cal.due(start, TimeLimit::WorkingHours(4)),
        Ok(at(d(2025, 1, 26), 12, 0))
    );
    cal.set_office_hours(OfficeHours::new(&[(9 * 60, 17 * 60)]).expect("valid"));
    assert_eq!(
        cal.due(start, TimeLimit::WorkingHours(4)),
        Ok(at(d(2025, 1, 26), 13, 0))
    );
    assert!(cal
        .due(at(d(2026, 12, 31), 9, 0), TimeLimit::WorkingDays(1))
        .is_err());
}

// ---- Overrides --------------------------------------------------------------------

#[test]
fn overrides_change_single_days() {
    let mut cal = china();
    let monday = d(2025, 3, 31);
    let saturday = d(2025, 3, 29);
    cal.add_override(monday, OverrideKind::RestDay, "三月三")
        .expect("in range");
    cal.add_override(saturday, OverrideKind::Workday, "防汛调休")
        .expect("in range");
    assert_eq!(
        cal.is_workday(monday),
        Ok(DayKind::LocalRestDay {
            name: "三月三".into()
        })
    );
    assert_eq!(
        cal.is_workday(monday).map(|k| k.label().to_string()),
        Ok("三月三".into())
    );
    assert!(workday(&cal, saturday));
    // Friday 3/28 + 1 working day is now Saturday; + 2 skips the local holiday.
    assert_eq!(cal.due_after_working_days(d(2025, 3, 28), 1), Ok(saturday));
    assert_eq!(
        cal.due_after_working_days(d(2025, 3, 28), 2),
        Ok(d(2025, 4, 1))
    );
    // A calendar-day period ending on the local rest day rolls over it.
    assert_eq!(cal.due_after_days(d(2025, 3, 24), 7), Ok(d(2025, 4, 1)));

    // Overrides win over the national table.
    cal.add_override(d(2025, 10, 8), OverrideKind::Workday, "值班")
        .expect("in range");
    assert!(workday(&cal, d(2025, 10, 8)));

    // Re-adding replaces; listing is in date order; removing restores the national day.
    cal.add_override(monday, OverrideKind::RestDay, "壮族三月三")
        .expect("in range");
    let listed: Vec<_> = cal.overrides().collect();
    assert_eq!(
        listed,
        vec![
            (saturday, OverrideKind::Workday, "防汛调休"),
            (monday, OverrideKind::RestDay, "壮族三月三"),
            (d(2025, 10, 8), OverrideKind::Workday, "值班"),
        ]
    );
    assert!(cal.remove_override(d(2025, 10, 8)));
    assert!(!cal.remove_override(d(2025, 10, 8)));
    assert_eq!(
        cal.is_workday(d(2025, 10, 8)),
        Ok(DayKind::Holiday {
            name: "国庆节、中秋节".into()
        })
    );
}

#[test]
fn overrides_outside_the_loaded_years_are_refused() {
    let mut cal = china();
    let err = cal
        .add_override(d(2027, 1, 4), OverrideKind::RestDay, "x")
        .expect_err("not loaded");
    assert_eq!(err.date, d(2027, 1, 4));
    // The refused override did not make 2027 partly known.
    assert!(cal.is_workday(d(2027, 1, 4)).is_err());
    assert_eq!(cal.overrides().count(), 0);
}

// ---- Loading -----------------------------------------------------------------------

fn load_err(text: &str) -> CalendarError {
    Calendar::from_toml(text).expect_err("must be refused")
}

const GOOD: &str = r#"
[2025]
notice = "test"

[[2025.holiday]]
name = "春节"
from = 2025-01-28
to = 2025-02-04
makeup_workdays = [2025-01-26, 2025-02-08]
"#;

#[test]
fn a_minimal_file_loads() {
    let cal = Calendar::from_toml(GOOD).expect("valid");
    assert_eq!(cal.years().collect::<Vec<_>>(), vec![2025]);
    assert!(workday(&cal, d(2025, 1, 26)));
    assert!(!workday(&cal, d(2025, 2, 1)));
    assert!(cal.is_workday(d(2024, 12, 31)).is_err());
}

#[test]
fn quoted_dates_and_the_previous_december_are_accepted() {
    // 2019's 元旦 arrangement began on 2018-12-30 with 2018-12-29 worked.
    let text = r#"
[2018]
[[2018.holiday]]
name = "国庆节"
from = "2018-10-01"
to = "2018-10-07"
makeup_workdays = ["2018-09-29", "2018-09-30"]

[2019]
[[2019.holiday]]
name = "元旦"
from = 2018-12-30
to = 2019-01-01
makeup_workdays = [2018-12-29]
note = "跨年安排"
"#;
    let cal = Calendar::from_toml(text).expect("valid");
    assert_eq!(
        cal.is_workday(d(2018, 12, 31)),
        Ok(DayKind::Holiday {
            name: "元旦".into()
        })
    );
    assert!(workday(&cal, d(2018, 12, 29)));
    assert_eq!(cal.notice(2019), None);
}

#[test]
fn malformed_files_are_refused_with_line_and_field() {
    // Syntax error: the unclosed table header on line 2.
    let err = load_err("\n[2025\nname = 1\n");
    assert_eq!(err.line, Some(2), "{err}");

    // An impossible date is caught by the TOML parser, at its line.
    let err = load_err(&GOOD.replace("to = 2025-02-04", "to = 2025-02-30"));
    assert_eq!(err.line, Some(8), "{err}");

    // Typo in a key.
    let err = load_err(&GOOD.replace("from =", "form ="));
    assert!(err.message.contains("form"), "{err}");
    assert_eq!(err.line, Some(7), "{err}");

    // Missing field.
    let err = load_err(&GOOD.replace("to = 2025-02-04\n", ""));
    assert!(err.message.contains("`to`"), "{err}");

    // Not a date at all.
    let err = load_err(&GOOD.replace("to = 2025-02-04", "to = \"2月4日\""));
    assert_eq!(
        (err.line, err.field.as_str()),
        (Some(8), "2025.holiday[0].to"),
        "{err}"
    );

    // A date with a time.
    let err = load_err(&GOOD.replace("to = 2025-02-04", "to = 2025-02-04T08:00:00"));
    assert_eq!(err.field, "2025.holiday[0].to", "{err}");

    // `to` before `from`.
    let err = load_err(&GOOD.replace("to = 2025-02-04", "to = 2025-01-20"));
    assert_eq!(
        (err.line, err.field.as_str()),
        (Some(8), "2025.holiday[0].to"),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "line 8: 2025.holiday[0].to: 2025-01-20 is before `from` 2025-01-28"
    );

    // A rest period long enough to be a typo.
    let err = load_err(&GOOD.replace("to = 2025-02-04", "to = 2025-02-14"));
    assert!(err.message.contains("at most"), "{err}");

    // A make-up workday that is already a weekday (2025-01-27 is a Monday).
    let err = load_err(&GOOD.replace("2025-01-26,", "2025-01-27,"));
    assert_eq!(
        (err.line, err.field.as_str()),
        (Some(9), "2025.holiday[0].makeup_workdays[0]"),
        "{err}"
    );

    // A date in another year.
    let err = load_err(&GOOD.replace("from = 2025-01-28", "from = 2024-01-28"));
    assert_eq!(err.field, "2025.holiday[0].from", "{err}");
    assert!(err.message.contains("not in 2025"), "{err}");

    // Empty name.
    let err = load_err(&GOOD.replace("\"春节\"", "\" \""));
    assert_eq!(
        (err.line, err.field.as_str()),
        (Some(6), "2025.holiday[0].name")
    );

    // Table name that is not a year.
    let err = load_err(&GOOD.replace("[2025]\n", "[2025]\n[y2025]\n"));
    assert_eq!((err.line, err.field.as_str()), (Some(3), "y2025"), "{err}");

    // A year without holidays would be a guess.
    let err = load_err("[2027]\nnotice = \"not yet announced\"\n");
    assert_eq!((err.line, err.field.as_str()), (Some(1), "2027"), "{err}");

    // The same year under two spellings.
    let err = load_err(&format!(
        "{GOOD}\n{}",
        GOOD.replace("[2025]", "[02025]")
            .replace("[[2025.", "[[02025.")
    ));
    assert!(err.message.contains("2025 is listed twice"), "{err}");

    // Unknown key at year level.
    let err = load_err(&GOOD.replace("notice =", "notise ="));
    assert!(err.message.contains("notise"), "{err}");
}

#[test]
fn a_day_listed_twice_names_both_lines() {
    let text = format!(
        "{GOOD}
[[2025.holiday]]
name = \"元宵\"
from = 2025-02-04
to = 2025-02-04
"
    );
    let err = load_err(&text);
    assert_eq!(
        (err.line, err.field.as_str()),
        (Some(13), "2025.holiday[1].from"),
        "{err}"
    );
    assert!(
        err.message.contains("already listed by 春节 (line 7)"),
        "{err}"
    );

    // Rest day and make-up workday on the same date.
    let err = load_err(&GOOD.replace("2025-02-08]", "2025-02-01]"));
    assert!(
        err.message.contains("2025-02-01 is already listed"),
        "{err}"
    );

    let field: FieldError = err.into();
    assert_eq!(field.code, "calendar_invalid");
    assert_eq!(field.field, "2025.holiday[0].makeup_workdays[1]");
}
