//! Handlers, one module per resource.

pub mod attachments;
pub mod audit;
pub mod auth;
pub mod cases;
pub mod catalogue;
pub mod notifications;
pub mod regions;
pub mod residents;
pub mod stats;
pub mod system;
pub mod users;
