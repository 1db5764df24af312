//! sea-orm entities for hindsight's tables, and the enums stored in them.
//!
//! Enums live here (not in the root crate) so that a column can only ever hold one
//! of the values the product knows; the REST and GraphQL layers reuse them as-is.

pub mod action_item;
pub mod audit_entry;
pub mod cause;
pub mod enums;
pub mod event;
pub mod integration;
pub mod key_check;
pub mod mutation_turn;
pub mod participant;
pub mod person;
pub mod postmortem;
pub mod postmortem_incident_ref;
pub mod postmortem_service;
pub mod prefill_tombstone;
pub mod share_link;
pub mod sync_outbox;
pub mod timeline_entry;
pub mod tracker;
pub mod tracker_pause;
pub mod webhook_delivery;

pub use enums::*;
