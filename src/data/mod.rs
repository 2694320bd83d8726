//! Real data sets shared by several chapters. Each loader reads data that ships
//! inside a crate or under `data/`; nothing is downloaded at run time.

pub mod digits;
