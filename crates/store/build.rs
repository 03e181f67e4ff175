// `sqlx::migrate!` embeds the migration files, but on stable Rust a proc macro cannot tell
// cargo to watch a folder: without this, a new migration file is left out of an
// incremental build (sqlx documents this build script).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
