//! One file per panel. Each panel keeps its runtime state in its own struct; what persists is in
//! [`crate::Settings`].

pub mod cell;
pub mod data;
pub mod latent;
pub mod predict;
pub mod train;

/// A fraction as a percentage with two decimals.
pub fn percent(value: f64) -> String {
    format!("{:.2} %", value * 100.0)
}
