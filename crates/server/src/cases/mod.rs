//! The case engine's application layer: what happens when a case is raised, when an
//! action fires, when a level's time limit passes, and when duplicates merge. Handlers in
//! `routes::cases` stay thin; the rules live in the core (`workflow`, `calendar`,
//! `duplicate`, `rates`); this module applies them to the store in one transaction.

pub mod config;
pub mod create;
pub mod deadline;
pub mod deliver;
pub mod escalate;
pub mod group;
pub mod notify;
pub mod transition;
pub mod view;

pub use config::CaseConfig;
