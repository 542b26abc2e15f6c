//! One file per screen. Only screens that work are listed in the tab bar.

pub mod data;
