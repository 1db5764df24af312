//! Who took part in and reviews a post-mortem.

use super::session::Writer;
use std::collections::HashMap;

use entity::{ParticipantRole, participant};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    prelude::*,
};
use serde::Deserialize;

use super::{
    anonymity,
    audit::{self, Action, Entry, Resource},
    begin_write, now,
    page::{Page, PageRequest, parse_uuid_key},
    people, postmortems,
};
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParticipantIn {
    pub person_id: Uuid,
    #[serde(default = "default_role")]
    pub role: ParticipantRole,
}

fn default_role() -> ParticipantRole {
    ParticipantRole::Participant
}

pub async fn add(
    s: &Writer,
    postmortem_id: Uuid,
    mut input: ParticipantIn,
) -> ApiResult<participant::Model> {
    let (core, actor) = (s.core(), s.actor());
    let txn = begin_write(&core.db).await?;
    let db = &txn;
    let pm = postmortems::get_record(db, postmortem_id).await?;
    input.person_id =
        anonymity::person_meant(db, &core.settings, postmortem_id, input.person_id).await?;
    people::must_exist(db, "person_id", input.person_id).await?;
    if input.role == ParticipantRole::Author && pm.author_id != Some(input.person_id) {
        return Err(ApiError::validation(
            "role",
            "the author is set with the post-mortem's author_id; add others as reviewer or participant",
        ));
    }
    if participant::Entity::find_by_id((postmortem_id, input.person_id))
        .one(db)
        .await?
        .is_some()
    {
        return Err(ApiError::Conflict {
            code: "already_participant",
            detail: "this person already takes part in the post-mortem; remove them first to change their role".into(),
        });
    }
    let row = participant::ActiveModel {
        postmortem_id: Set(postmortem_id),
        person_id: Set(input.person_id),
        role: Set(input.role),
        created_at: Set(now()),
    };
    let added = row.insert(db).await?;
    let changes = audit::changed(None, Some(&added));
    let entry = Entry::new(Action::Add, Resource::Participant, added.person_id, changes);
    audit::record(&txn, actor, entry.in_postmortem(postmortem_id)).await?;
    txn.commit().await?;
    Ok(added)
}

pub async fn remove(s: &Writer, postmortem_id: Uuid, person_id: Uuid) -> ApiResult<()> {
    let (core, actor) = (s.core(), s.actor());
    let person_id =
        anonymity::person_meant(&core.db, &core.settings, postmortem_id, person_id).await?;
    let txn = begin_write(&core.db).await?;
    let before = participant::Entity::find_by_id((postmortem_id, person_id))
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound("participant"))?;
    participant::Entity::delete_by_id((postmortem_id, person_id))
        .exec(&txn)
        .await?;
    let changes = audit::changed(Some(&before), None);
    let entry = Entry::new(Action::Remove, Resource::Participant, person_id, changes);
    audit::record(&txn, actor, entry.in_postmortem(postmortem_id)).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn list(
    db: &impl ConnectionTrait,
    postmortem_id: Uuid,
    page: &PageRequest,
) -> ApiResult<Page<participant::Model>> {
    postmortems::get_record(db, postmortem_id).await?;
    let mut query = participant::Entity::find()
        .filter(participant::Column::PostmortemId.eq(postmortem_id))
        .order_by_asc(participant::Column::PersonId);
    if let Some(after) = &page.after {
        query = query.filter(participant::Column::PersonId.gt(parse_uuid_key(after)?));
    }
    let rows = query.limit(page.fetch()).all(db).await?;
    Ok(Page::from_rows(rows, page, |r| r.person_id.to_string()))
}

/// The participants of several post-mortems in one query, in the order they were added.
pub async fn for_postmortems(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> ApiResult<HashMap<Uuid, Vec<participant::Model>>> {
    let rows = participant::Entity::find()
        .filter(super::one_of(db, participant::Column::PostmortemId, ids))
        .order_by_asc(participant::Column::CreatedAt)
        .order_by_asc(participant::Column::PersonId)
        .all(db)
        .await?;
    Ok(super::group_by(rows, |r| r.postmortem_id))
}
