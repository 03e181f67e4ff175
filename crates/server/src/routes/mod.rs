//! Handlers, one module per resource.

pub mod agreement;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod case_people;
pub mod cases;
pub mod catalogue;
pub mod dashboard;
pub mod disputes;
pub mod family;
pub mod fieldwork;
pub mod grids;
pub mod households;
pub mod notifications;
pub mod patrols;
pub mod regions;
pub mod residents;
pub mod scorecard;
pub mod stats;
pub mod system;
pub mod users;
