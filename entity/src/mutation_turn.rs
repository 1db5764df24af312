//! Whose turn it is to send a GitHub mutation for one token: GitHub asks for
//! one at a time, spaced out, whichever replica sends it.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mutation_turns")]
pub struct Model {
    /// Names the token without telling it (a SHA-256 of it).
    #[sea_orm(primary_key, auto_increment = false)]
    pub gate_key: String,
    /// The process sending a mutation now, if any.
    pub holder: Option<String>,
    /// The turn's lease: past it, a holder that died loses the turn.
    pub held_until: Option<DateTimeUtc>,
    /// When the last mutation ended: the next waits out the spacing from here.
    pub last_ended_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
