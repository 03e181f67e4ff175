//! Malformed workflow files: each is refused naming the line and the field.

use super::*;

/// The smallest valid file; the cases below change one thing in it.
pub(super) const BASE: &str = r#"[[case_type]]
id = "t"
name = "测试"
initial = "open"

[[case_type.state]]
id = "open"
name = "待办"
time_limit = { days = 3 }

[[case_type.state]]
id = "done"
name = "办结"
terminal = true

[[case_type.action]]
id = "finish"
name = "办结"
from = "open"
to = "done"
roles = ["dispatcher"]
requires = ["note"]
effect = "close"
"#;

/// BASE with one line (1-based) replaced.
fn with_line(line: usize, text: &str) -> String {
    let mut lines: Vec<&str> = BASE.lines().collect();
    lines[line - 1] = text;
    lines.join("\n") + "\n"
}

/// BASE with `extra` appended (it starts on line 25).
fn with(extra: &str) -> String {
    format!("{BASE}\n{extra}")
}

fn refused(text: &str) -> WorkflowError {
    match WorkflowSet::from_toml(text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e,
    }
}

#[track_caller]
fn assert_refused(text: &str, line: Option<usize>, field: &str, says: &str) {
    let e = refused(text);
    assert_eq!((e.line, e.field.as_str()), (line, field), "{e}");
    assert!(e.message.contains(says), "`{says}` not in: {e}");
}

#[test]
fn the_base_file_loads() {
    let set = WorkflowSet::from_toml(BASE).expect("base loads");
    let t = set.get("t").expect("t");
    assert_eq!(t.initial, "open");
    assert_eq!(t.actions[0].effect, Effect::Close);
    assert!(t.escalation.is_empty());
}

#[test]
fn reader_errors_name_the_line_and_key() {
    assert_refused(&with_line(3, r#"name = "测试"#), Some(3), "name", "");
    assert_refused(
        &with_line(9, "time_limt = { days = 3 }"),
        Some(9),
        "time_limt",
        "unknown field",
    );
    assert_refused(
        &with_line(9, "time_limit = { weeks = 3 }"),
        Some(9),
        "time_limit",
        "weeks",
    );
    assert_refused(&with_line(23, "max_times = -1"), Some(23), "max_times", "");
    // A missing key is named, at the header of its table.
    let no_roles = with_line(21, "");
    assert_refused(&no_roles, Some(16), "roles", "missing field `roles`");
    assert_refused("", None, "case_type", "no [[case_type]]");
}

#[test]
fn ids_and_names_are_checked() {
    assert_refused(
        &with_line(7, r#"id = "Open""#),
        Some(7),
        "t.state.id",
        "not an id",
    );
    assert_refused(
        &with_line(12, r#"id = "open""#),
        Some(12),
        "t.state.open",
        "twice",
    );
    assert_refused(
        &with_line(18, r#"name = " ""#),
        Some(18),
        "t.action.finish.name",
        "empty",
    );
    let twice = with(
        "[[case_type.action]]\nid = \"finish\"\nname = \"再办结\"\nfrom = \"open\"\nto = \"done\"\nroles = [\"leader\"]\n",
    );
    assert_refused(&twice, Some(26), "t.action.finish", "twice");
    let two_types = format!("{BASE}\n{BASE}");
    assert_refused(&two_types, Some(26), "case_type[1].id", "defined twice");
}

#[test]
fn initial_must_exist_and_be_open() {
    assert_refused(
        &with_line(4, r#"initial = "opne""#),
        Some(4),
        "t.initial",
        "not a state",
    );
    assert_refused(
        &with_line(4, r#"initial = "done""#),
        Some(4),
        "t.initial",
        "terminal",
    );
}

#[test]
fn from_to_roles_and_requires_must_be_known() {
    let f = "t.action.finish";
    assert_refused(
        &with_line(20, r#"to = "finished""#),
        Some(20),
        &format!("{f}.to"),
        "`finished` is not a state",
    );
    assert_refused(
        &with_line(19, r#"from = ["open", "nowhere"]"#),
        Some(19),
        &format!("{f}.from"),
        "`nowhere`",
    );
    assert_refused(
        &with_line(19, r#"from = ["open", "*"]"#),
        Some(19),
        &format!("{f}.from"),
        "stands alone",
    );
    assert_refused(
        &with_line(19, "from = []"),
        Some(19),
        &format!("{f}.from"),
        "no state",
    );
    assert_refused(
        &with_line(21, r#"roles = ["dispatcher", "mayor"]"#),
        Some(21),
        &format!("{f}.roles"),
        "`mayor`",
    );
    assert_refused(
        &with_line(21, "roles = []"),
        Some(21),
        &format!("{f}.roles"),
        "no role",
    );
    assert_refused(
        &with_line(22, r#"requires = ["photo"]"#),
        Some(22),
        &format!("{f}.requires"),
        "`photo`",
    );
    assert_refused(
        &with_line(23, r#"effect = "teleport""#),
        Some(23),
        &format!("{f}.effect"),
        "`teleport`",
    );
}

#[test]
fn effects_require_their_fields() {
    let f = "t.action.finish.requires";
    for (effect, missing) in [
        ("dispatch", "assignee"),
        ("reassign", "assignee"),
        ("escalate", "reason"),
        ("return", "reason"),
        ("extend", "reason"),
        ("follow_up", "satisfaction"),
    ] {
        let text = with_line(23, &format!("effect = \"{effect}\""));
        assert_refused(&text, Some(22), f, &format!("must require `{missing}`"));
    }
    // With the reason but not the days, an extension is still refused.
    let text = with_line(22, r#"requires = ["reason"]"#).replace("\"close\"", "\"extend\"");
    assert_refused(&text, Some(22), f, "must require `extension_days`");
    // Without a `requires` line the error points at the effect.
    let text = with_line(22, "").replace("\"close\"", "\"dispatch\"");
    assert_refused(&text, Some(23), f, "`assignee`");
}

#[test]
fn terminal_states_only_reopen_or_follow_up() {
    let leave = "[[case_type.action]]\nid = \"undo\"\nname = \"撤销\"\nfrom = \"done\"\nto = \"open\"\nroles = [\"leader\"]\n";
    assert_refused(
        &with(leave),
        Some(28),
        "t.action.undo.from",
        "`done` is terminal",
    );
    let reopen = format!("{leave}requires = [\"reason\"]\neffect = \"reopen\"\n");
    let set = WorkflowSet::from_toml(&with(&reopen)).expect("reopen from a terminal state");
    let t = set.get("t").expect("t");
    assert_eq!(ids(&t.allowed("done", Leader)), ["undo"]);
    let rate = "[[case_type.action]]\nid = \"rate\"\nname = \"回访\"\nfrom = \"done\"\nroles = [\"leader\"]\nrequires = [\"satisfaction\"]\neffect = \"follow_up\"\n";
    let step = WorkflowSet::from_toml(&with(rate))
        .expect("follow-up on a terminal state")
        .get("t")
        .map(|t| {
            t.fire("done", "rate", Leader, &[SATISFACTION], 0)
                .map(|s| s.to)
        });
    assert_eq!(step, Some(Ok("done".to_string())));
    let no_to = reopen.replace("to = \"open\"\n", "");
    assert_refused(&with(&no_to), Some(31), "t.action.undo.effect", "reopen");
}

#[test]
fn no_dead_ends_and_no_unreachable_states() {
    // `waiting` can be entered but only 督办 fires from it: a case would be stranded.
    let stuck = "[[case_type.state]]\nid = \"waiting\"\nname = \"等待\"\n\n\
        [[case_type.action]]\nid = \"wait\"\nname = \"等待\"\nfrom = \"open\"\nto = \"waiting\"\nroles = [\"leader\"]\n\n\
        [[case_type.action]]\nid = \"nudge\"\nname = \"督办\"\nfrom = \"*\"\nroles = [\"leader\"]\neffect = \"supervise\"\n";
    assert_refused(
        &with(stuck),
        Some(26),
        "t.state.waiting",
        "no action leads out",
    );
    // `orphan` can be left but never entered (a typo in some `to` looks like this).
    let orphan = "[[case_type.state]]\nid = \"orphan\"\nname = \"孤立\"\n\n\
        [[case_type.action]]\nid = \"rescue\"\nname = \"办结\"\nfrom = \"orphan\"\nto = \"done\"\nroles = [\"leader\"]\n";
    assert_refused(
        &with(orphan),
        Some(26),
        "t.state.orphan",
        "cannot be reached",
    );
    // A type with no states at all.
    let bare = "[[case_type]]\nid = \"bare\"\nname = \"空\"\ninitial = \"open\"\n";
    assert_refused(bare, Some(2), "bare.state", "no [[case_type.state]]");
}

#[test]
fn escalation_levels_in_order() {
    let step = |level: &str, limit: &str| {
        format!("[[case_type.escalation]]\nlevel = \"{level}\"\nlimit = {{ {limit} }}\n")
    };
    let ok = with(&(step("village", "days = 15") + &step("township", "days = 30")));
    let set = WorkflowSet::from_toml(&ok).expect("village then township");
    let levels: Vec<&str> = set.types()[0]
        .escalation
        .iter()
        .map(|e| e.level.as_str())
        .collect();
    assert_eq!(levels, ["village", "township"]);
    let county = with(&step("county", "days = 15"));
    assert_refused(
        &county,
        Some(26),
        "t.escalation[0].level",
        "not an escalation level",
    );
    let reversed = with(&(step("township", "days = 30") + &step("village", "days = 15")));
    assert_refused(&reversed, Some(29), "t.escalation[1].level", "out of order");
    let twice = with(&(step("village", "days = 15") + &step("village", "days = 20")));
    assert_refused(&twice, Some(29), "t.escalation[1].level", "out of order");
    let zero = with(&step("village", "working_days = 0"));
    assert_refused(&zero, Some(27), "t.escalation[0].limit", "at least 1");
}

#[test]
fn limits_fractions_and_options_are_checked() {
    for bad in [
        "yellow_at = 1.0",
        "yellow_at = 0",
        "yellow_at = -0.5",
        "yellow_at = nan",
    ] {
        let text = BASE.replace(
            "initial = \"open\"\n",
            &format!("initial = \"open\"\n{bad}\n"),
        );
        assert_refused(&text, Some(5), "t.yellow_at", "between 0 and 1");
    }
    let custom = BASE.replace(
        "initial = \"open\"\n",
        "initial = \"open\"\nyellow_at = 0.5\n",
    );
    let set = WorkflowSet::from_toml(&custom).expect("yellow_at 0.5");
    assert_eq!(set.types()[0].yellow_at, 0.5);

    assert_refused(
        &with_line(9, "time_limit = { days = 0 }"),
        Some(9),
        "t.state.open.time_limit",
        "at least 1",
    );
    let extra = |line: &str| format!("{}{line}\n", with_line(23, "effect = \"close\""));
    assert_refused(
        &extra("max_times = 0"),
        Some(24),
        "t.action.finish.max_times",
        "at least 1",
    );
    assert_refused(
        &extra("max_extension = { days = 30 }"),
        Some(24),
        "t.action.finish.max_extension",
        "effect extend",
    );
    assert_refused(
        &extra("within = { working_days = 0 }"),
        Some(24),
        "t.action.finish.within",
        "at least 1",
    );
    let hours = with_line(22, r#"requires = ["reason", "extension_days"]"#)
        .replace("\"close\"", "\"extend\"")
        + "max_extension = { working_hours = 8 }\n";
    assert_refused(&hours, Some(24), "t.action.finish.max_extension", "in days");
    let stay = with_line(20, "").replace(
        "effect = \"close\"",
        "effect = \"close\"\nkeep_deadline = true",
    );
    assert_refused(
        &stay,
        Some(24),
        "t.action.finish.keep_deadline",
        "keeps the deadline anyway",
    );
}
