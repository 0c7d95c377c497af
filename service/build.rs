//! `sqlx::migrate!` embeds the migration files at compile time, but cargo does
//! not know it reads them: without this, changing only a migration would leave
//! a binary with the old schema.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
