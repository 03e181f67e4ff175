//! The pure domain core of wangge: national codes, validation, roles and permissions,
//! masking rules and the audit hash chain. Nothing here does I/O, so every rule can be
//! tested exhaustively and reused by every adapter (HTTP, CLI, importers).

pub mod audit;
pub mod calendar;
pub mod catalogue;
pub mod date;
pub mod duplicate;
pub mod error;
pub mod geo;
pub mod id_number;
pub mod password;
pub mod phone;
pub mod rates;
pub mod region;
pub mod risk;
pub mod role;
pub mod uscc;
pub mod workflow;

pub use error::FieldError;
