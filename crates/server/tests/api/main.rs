//! HTTP-level tests of the API, in one test binary. Each test gets its own database:
//! a SQLite file, or a fresh PostgreSQL schema when `WANGGE_TEST_DATABASE_URL` is set.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed test

mod helpers;

mod auth;
mod cases;
mod dashboard;
mod disputes;
mod fieldwork;
mod grids;
mod input;
mod offline;
mod open311;
mod people;
mod scope;
mod scope_cases;
mod scope_disputes;
mod scope_grids;
mod system;
mod web;
