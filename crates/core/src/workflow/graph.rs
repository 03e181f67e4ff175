//! Checks on the shape of a state machine: no case may be stranded in a state it cannot
//! leave, and no state may be unreachable (a typo in a `to` usually shows up as both).

use super::{Action, State};

/// A problem with one state: its index in `states`, the field path and the message.
pub(super) type StateProblem = (usize, String, String);

/// Every non-terminal state has an action that leaves it (one that only stays, such as
/// 督办, does not count), and every state is reachable from `initial`.
pub(super) fn check(
    type_id: &str,
    initial: &str,
    states: &[State],
    actions: &[Action],
) -> Result<(), StateProblem> {
    for (i, s) in states.iter().enumerate() {
        if s.terminal {
            continue;
        }
        let leaves = actions
            .iter()
            .any(|a| a.fires_from(&s.id) && a.to.as_deref().is_some_and(|to| to != s.id));
        if !leaves {
            return Err((
                i,
                format!("{type_id}.state.{}", s.id),
                format!(
                    "`{}` is not terminal but no action leads out of it; add one or mark it \
                     terminal = true",
                    s.id
                ),
            ));
        }
    }

    let mut reached: Vec<&str> = vec![initial];
    let mut next = 0;
    while let Some(&state) = reached.get(next) {
        next += 1;
        for a in actions.iter().filter(|a| a.fires_from(state)) {
            if let Some(to) = a.to.as_deref() {
                if !reached.contains(&to) {
                    reached.push(to);
                }
            }
        }
    }
    match states
        .iter()
        .position(|s| !reached.contains(&s.id.as_str()))
    {
        Some(i) => Err((
            i,
            format!("{type_id}.state.{}", states[i].id),
            format!(
                "`{}` cannot be reached from the initial state `{initial}`",
                states[i].id
            ),
        )),
        None => Ok(()),
    }
}
