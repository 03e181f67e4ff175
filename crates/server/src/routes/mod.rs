//! Handlers, one module per resource.

pub mod audit;
pub mod auth;
pub mod regions;
pub mod residents;
pub mod system;
pub mod users;
