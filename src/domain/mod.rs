//! Pure domain rules of the post-mortem practice: no database, no HTTP.

pub mod anonymize;
pub mod cause_area;
pub mod html;
pub mod markdown;
pub mod mermaid;
pub mod phases;
pub mod recurrence;
pub mod review;
pub mod text;
pub mod timeline_chart;
