//! Contributing causes, each in one of the three areas.

use std::collections::HashMap;

use entity::{CauseArea, cause};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    prelude::*,
};
use serde::Deserialize;

use super::{
    Problems,
    audit::{self, Action, Entry, Resource},
    begin_write, new_id, now,
    page::{Page, PageRequest, parse_uuid_key},
    postmortems,
    session::{Admin, Writer},
    update_versioned,
};
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CauseIn {
    pub area: CauseArea,
    pub description: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CausePatch {
    #[serde(default, deserialize_with = "crate::wire::present")]
    pub area: Option<CauseArea>,
    #[serde(default, deserialize_with = "crate::wire::present")]
    pub description: Option<String>,
}

pub async fn create(s: &Writer, postmortem_id: Uuid, input: CauseIn) -> ApiResult<cause::Model> {
    let (db, actor) = (s.db(), s.actor());
    postmortems::get_record(db, postmortem_id).await?;
    let mut p = Problems::default();
    let description = p.text("description", &input.description, 10_000);
    p.finish()?;
    let at = now();
    let row = cause::ActiveModel {
        id: Set(new_id()),
        postmortem_id: Set(postmortem_id),
        area: Set(input.area),
        description: Set(description),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
    };
    let txn = begin_write(db).await?;
    let cause = row.insert(&txn).await?;
    let changes = audit::changed(None, Some(&cause));
    let entry = Entry::new(Action::Create, Resource::Cause, cause.id, changes);
    audit::record(&txn, actor, entry.in_postmortem(postmortem_id)).await?;
    txn.commit().await?;
    Ok(cause)
}

/// A cause of this post-mortem (404 for another post-mortem's cause).
pub async fn get(
    db: &impl ConnectionTrait,
    postmortem_id: Uuid,
    id: Uuid,
) -> ApiResult<cause::Model> {
    cause::Entity::find_by_id(id)
        .filter(cause::Column::PostmortemId.eq(postmortem_id))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("cause"))
}

pub async fn update(
    s: &Writer,
    postmortem_id: Uuid,
    id: Uuid,
    patch: CausePatch,
    check: impl FnOnce(i32) -> ApiResult<()>,
) -> ApiResult<cause::Model> {
    let (db, actor) = (s.db(), s.actor());
    let txn = begin_write(db).await?;
    let current = get(&txn, postmortem_id, id).await?;
    check(current.version)?;
    let mut p = Problems::default();
    let mut model: cause::ActiveModel = current.clone().into();
    if let Some(area) = patch.area {
        model.area = Set(area);
    }
    if let Some(description) = patch.description {
        model.description = Set(p.text("description", &description, 10_000));
    }
    p.finish()?;
    model.version = Set(current.version + 1);
    model.updated_at = Set(now());
    let cause = update_versioned(&txn, model, cause::Column::Version, current.version).await?;
    let changes = audit::changed(Some(&current), Some(&cause));
    let entry = Entry::new(Action::Update, Resource::Cause, id, changes);
    audit::record(&txn, actor, entry.in_postmortem(postmortem_id)).await?;
    txn.commit().await?;
    Ok(cause)
}

pub async fn delete(s: &Admin, postmortem_id: Uuid, id: Uuid) -> ApiResult<()> {
    let (db, actor) = (s.db(), s.actor());
    let txn = begin_write(db).await?;
    let before = get(&txn, postmortem_id, id).await?;
    let result = cause::Entity::delete_many()
        .filter(cause::Column::Id.eq(id))
        .filter(cause::Column::PostmortemId.eq(postmortem_id))
        .exec(&txn)
        .await?;
    if result.rows_affected == 0 {
        return Err(ApiError::NotFound("cause"));
    }
    let changes = audit::changed(Some(&before), None);
    let entry = Entry::new(Action::Delete, Resource::Cause, id, changes);
    audit::record(&txn, actor, entry.in_postmortem(postmortem_id)).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn list(
    db: &impl ConnectionTrait,
    postmortem_id: Uuid,
    area: Option<CauseArea>,
    page: &PageRequest,
) -> ApiResult<Page<cause::Model>> {
    postmortems::get_record(db, postmortem_id).await?;
    let mut query = cause::Entity::find()
        .filter(cause::Column::PostmortemId.eq(postmortem_id))
        .order_by_asc(cause::Column::Id);
    if let Some(area) = area {
        query = query.filter(cause::Column::Area.eq(area));
    }
    if let Some(after) = &page.after {
        query = query.filter(cause::Column::Id.gt(parse_uuid_key(after)?));
    }
    let rows = query.limit(page.fetch()).all(db).await?;
    Ok(Page::from_rows(rows, page, |r| r.id.to_string()))
}

/// The causes of several post-mortems in one query.
pub async fn for_postmortems(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> ApiResult<HashMap<Uuid, Vec<cause::Model>>> {
    let rows = cause::Entity::find()
        .filter(super::one_of(db, cause::Column::PostmortemId, ids))
        .order_by_asc(cause::Column::Id)
        .all(db)
        .await?;
    Ok(super::group_by(rows, |r| r.postmortem_id))
}
