//! The pure core: values in, values out. No I/O, no clock, no database; `today` and `now` are
//! always arguments.

pub mod audit;
pub mod calendar;
mod choice;
pub mod cost;
pub mod error;
pub mod item;
pub mod money;
pub mod rates;
pub mod summary;
pub mod text;
pub mod workspace;

pub use error::UserError;
