//! Post-mortems: the record of one incident, its impact window and services.

use crate::auth::Role;
use crate::wire::nullable;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{
    ParticipantRole, PostmortemStatus, Severity, participant, postmortem, postmortem_incident_ref,
    postmortem_service,
};
use sea_orm::{
    ActiveValue::Set, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, prelude::*,
};
use serde::Deserialize;

use super::anonymity::{self, Audience};
use super::{
    Problems,
    audit::{self, Action, Entry, Resource},
    begin_write, new_id, now,
    page::{Page, PageRequest, parse_uuid_key},
    people, prefill,
    session::{Admin, Writer},
    update_versioned,
};
use crate::error::{ApiError, ApiResult};

/// A post-mortem with the services it is about and its incident references.
#[derive(Debug, Clone)]
pub struct PostmortemView {
    pub record: postmortem::Model,
    pub services: Vec<String>,
    pub incident_refs: Vec<String>,
}

/// A new post-mortem.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostmortemIn {
    pub title: String,
    #[serde(default)]
    pub summary: String,
    pub status: Option<PostmortemStatus>,
    pub severity: Option<Severity>,
    #[serde(default)]
    pub services: Vec<String>,
    /// Incident ids in the monitoring tools (PagerDuty incident, Alertmanager
    /// group key, ...): events carrying one as correlation key join the timeline.
    #[serde(default)]
    pub incident_refs: Vec<String>,
    pub impact_started_at: Option<DateTime<Utc>>,
    pub detected_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub mitigated_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub author_id: Option<Uuid>,
    pub anonymized: Option<bool>,
}

/// Changes to a post-mortem: absent fields stay, `null` clears.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostmortemPatch {
    #[serde(default, deserialize_with = "crate::wire::present")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "crate::wire::present")]
    pub summary: Option<String>,
    #[serde(default, deserialize_with = "crate::wire::present")]
    pub status: Option<PostmortemStatus>,
    #[serde(default, deserialize_with = "nullable")]
    pub severity: Option<Option<Severity>>,
    #[serde(default, deserialize_with = "crate::wire::present")]
    pub services: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::wire::present")]
    pub incident_refs: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub impact_started_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "nullable")]
    pub detected_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "nullable")]
    pub acknowledged_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "nullable")]
    pub mitigated_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "nullable")]
    pub resolved_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "nullable")]
    pub author_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "crate::wire::present")]
    pub anonymized: Option<bool>,
}

/// List filters.
#[derive(Debug, Default)]
pub struct PostmortemFilter {
    pub status: Option<PostmortemStatus>,
    pub severity: Option<Severity>,
    pub service: Option<String>,
    /// Incidents whose impact started (or, lacking that, that were written) at or after this.
    pub from: Option<DateTime<Utc>>,
    /// ... and before this.
    pub to: Option<DateTime<Utc>>,
    /// Words that must appear in the title or the summary, ignoring case.
    pub text: Option<String>,
}

/// A list of names without repeats, each non-empty and at most `max_len` long.
fn distinct_names(p: &mut Problems, field: &str, raw: &[String], max_len: usize) -> Vec<String> {
    const MAX_NAMES: usize = 50;
    let mut out: Vec<String> = Vec::new();
    for (i, name) in raw.iter().enumerate() {
        let name = p.text(&format!("{field}.{i}"), name, max_len);
        if !out.contains(&name) {
            out.push(name);
        }
    }
    p.check(out.len() <= MAX_NAMES, field, "at most 50 entries");
    out
}

fn services(p: &mut Problems, raw: &[String]) -> Vec<String> {
    distinct_names(p, "services", raw, 100)
}

fn incident_refs(p: &mut Problems, raw: &[String]) -> Vec<String> {
    distinct_names(p, "incident_refs", raw, 200)
}

/// Phase timestamps that cannot be true in any incident: a phase that ends
/// before the impact started, or a resolution before a phase it closes. Finer
/// ordering (acknowledged before detected, ...) is left to the review, which
/// flags it without refusing the write.
fn impossible_phases(p: &mut Problems, m: &postmortem::ActiveModel) {
    // Every field is set or unchanged here; a field left unset reads as empty.
    let get = |v: &sea_orm::ActiveValue<Option<DateTime<Utc>>>| v.try_as_ref().copied().flatten();
    let impact = get(&m.impact_started_at);
    let resolved = get(&m.resolved_at);
    let phases = [
        ("detected_at", get(&m.detected_at)),
        ("acknowledged_at", get(&m.acknowledged_at)),
        ("mitigated_at", get(&m.mitigated_at)),
        ("resolved_at", resolved),
    ];
    if let Some(impact) = impact {
        for (field, at) in phases {
            if at.is_some_and(|at| at < impact) {
                p.add(field, "must not be before impact_started_at");
            }
        }
    }
    if let Some(resolved) = resolved {
        for (field, at) in &phases[..3] {
            if at.is_some_and(|at| at > resolved) {
                p.add("resolved_at", format!("must not be before {field}"));
            }
        }
    }
}

fn status_allowed(p: &mut Problems, status: PostmortemStatus) {
    p.check(
        status != PostmortemStatus::Published,
        "status",
        "a post-mortem is published with POST /api/v1/postmortems/{id}/publish, which checks it first",
    );
}

/// Creates the post-mortem, then pre-fills its timeline from the events
/// already stored.
pub async fn create(s: &Writer, input: PostmortemIn) -> ApiResult<PostmortemView> {
    let (db, cfg, actor) = (s.db(), &s.core().prefill, s.actor());
    let mut p = Problems::default();
    let status = input.status.unwrap_or(PostmortemStatus::Draft);
    status_allowed(&mut p, status);
    let service_names = services(&mut p, &input.services);
    let ref_names = incident_refs(&mut p, &input.incident_refs);
    let at = now();
    let model = postmortem::ActiveModel {
        id: Set(new_id()),
        title: Set(p.text("title", &input.title, 300)),
        summary: Set(p.prose("summary", &input.summary)),
        status: Set(status),
        severity: Set(input.severity),
        impact_started_at: Set(input.impact_started_at),
        detected_at: Set(input.detected_at),
        acknowledged_at: Set(input.acknowledged_at),
        mitigated_at: Set(input.mitigated_at),
        resolved_at: Set(input.resolved_at),
        author_id: Set(input.author_id),
        anonymized: Set(input.anonymized.unwrap_or(true)),
        version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
        published_at: Set(None),
        publish_override_reason: Set(None),
        published_by: Set(None),
    };
    impossible_phases(&mut p, &model);
    p.finish()?;

    let txn = begin_write(db).await?;
    if let Some(author) = input.author_id {
        people::must_exist(&txn, "author_id", author).await?;
    }
    let record = model.insert(&txn).await?;
    replace_services(&txn, record.id, &service_names).await?;
    replace_refs(&txn, record.id, &ref_names).await?;
    if let Some(author) = record.author_id {
        ensure_author(&txn, record.id, author).await?;
    }
    let created = PostmortemView {
        record: record.clone(),
        services: service_names,
        incident_refs: ref_names,
    };
    let changes = audit::diff(None, Some(&audited(&created)));
    let entry = Entry::new(Action::Create, Resource::Postmortem, record.id, changes);
    audit::record(&txn, actor, entry.in_postmortem(record.id)).await?;
    txn.commit().await?;
    cfg.names_changed();
    prefill::prefill(db, record.id, cfg, actor).await?;
    get(db, record.id).await
}

/// What the audit log keeps of a post-mortem: its columns, services and references.
fn audited(view: &PostmortemView) -> audit::Fields {
    let mut fields = audit::fields(&view.record);
    fields.insert("services".into(), view.services.clone().into());
    fields.insert("incident_refs".into(), view.incident_refs.clone().into());
    fields
}

/// The author is always a participant, so reviews can tell them from reviewers.
async fn ensure_author(
    db: &impl ConnectionTrait,
    postmortem_id: Uuid,
    person_id: Uuid,
) -> ApiResult<()> {
    let existing = participant::Entity::find_by_id((postmortem_id, person_id))
        .one(db)
        .await?;
    match existing {
        Some(row) if row.role == ParticipantRole::Author => Ok(()),
        Some(row) => {
            let mut row: participant::ActiveModel = row.into();
            row.role = Set(ParticipantRole::Author);
            row.update(db).await?;
            Ok(())
        }
        None => {
            participant::ActiveModel {
                postmortem_id: Set(postmortem_id),
                person_id: Set(person_id),
                role: Set(ParticipantRole::Author),
                created_at: Set(now()),
            }
            .insert(db)
            .await?;
            Ok(())
        }
    }
}

async fn replace_refs(
    db: &impl ConnectionTrait,
    postmortem_id: Uuid,
    refs: &[String],
) -> ApiResult<()> {
    postmortem_incident_ref::Entity::delete_many()
        .filter(postmortem_incident_ref::Column::PostmortemId.eq(postmortem_id))
        .exec(db)
        .await?;
    let rows = refs
        .iter()
        .enumerate()
        .map(|(i, r)| postmortem_incident_ref::ActiveModel {
            postmortem_id: Set(postmortem_id),
            incident_ref: Set(r.clone()),
            position: Set(i as i32),
        });
    postmortem_incident_ref::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

async fn replace_services(
    db: &impl ConnectionTrait,
    postmortem_id: Uuid,
    names: &[String],
) -> ApiResult<()> {
    postmortem_service::Entity::delete_many()
        .filter(postmortem_service::Column::PostmortemId.eq(postmortem_id))
        .exec(db)
        .await?;
    let rows = names
        .iter()
        .enumerate()
        .map(|(i, name)| postmortem_service::ActiveModel {
            postmortem_id: Set(postmortem_id),
            service: Set(name.clone()),
            position: Set(i as i32),
        });
    postmortem_service::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn get_record(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<postmortem::Model> {
    postmortem::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("post-mortem"))
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<PostmortemView> {
    let record = get_record(db, id).await?;
    Ok(with_lists(db, vec![record]).await?.remove(0))
}

/// Adds their services and incident references to post-mortems, in two queries.
async fn with_lists(
    db: &impl ConnectionTrait,
    records: Vec<postmortem::Model>,
) -> ApiResult<Vec<PostmortemView>> {
    let ids: Vec<Uuid> = records.iter().map(|r| r.id).collect();
    let mut services = services_of(db, &ids).await?;
    let mut refs = incident_refs_of(db, &ids).await?;
    Ok(records
        .into_iter()
        .map(|record| PostmortemView {
            services: services.remove(&record.id).unwrap_or_default(),
            incident_refs: refs.remove(&record.id).unwrap_or_default(),
            record,
        })
        .collect())
}

/// Incident references of several post-mortems in one query.
pub async fn incident_refs_of(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> ApiResult<HashMap<Uuid, Vec<String>>> {
    let rows = postmortem_incident_ref::Entity::find()
        .filter(super::one_of(
            db,
            postmortem_incident_ref::Column::PostmortemId,
            ids,
        ))
        .order_by_asc(postmortem_incident_ref::Column::Position)
        .all(db)
        .await?;
    Ok(by_postmortem(
        rows.into_iter().map(|r| (r.postmortem_id, r.incident_ref)),
    ))
}

/// Services of several post-mortems in one query.
pub async fn services_of(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> ApiResult<HashMap<Uuid, Vec<String>>> {
    let rows = postmortem_service::Entity::find()
        .filter(super::one_of(
            db,
            postmortem_service::Column::PostmortemId,
            ids,
        ))
        .order_by_asc(postmortem_service::Column::Position)
        .all(db)
        .await?;
    Ok(by_postmortem(
        rows.into_iter().map(|r| (r.postmortem_id, r.service)),
    ))
}

/// Groups ordered `(post-mortem, value)` rows into each post-mortem's list.
fn by_postmortem(rows: impl Iterator<Item = (Uuid, String)>) -> HashMap<Uuid, Vec<String>> {
    let mut map: HashMap<Uuid, Vec<String>> = HashMap::new();
    for (postmortem_id, value) in rows {
        map.entry(postmortem_id).or_default().push(value);
    }
    map
}

/// Applies the patch; when it moves the window or changes the services or
/// incident references, the timeline is pre-filled again.
pub async fn update(
    s: &Writer,
    id: Uuid,
    mut patch: PostmortemPatch,
    check: impl FnOnce(i32) -> ApiResult<()>,
) -> ApiResult<PostmortemView> {
    let (core, actor) = (s.core(), s.actor());
    let (db, cfg) = (&core.db, &core.prefill);
    if let Some(Some(author)) = patch.author_id {
        let meant = anonymity::person_meant(db, &core.settings, id, author).await?;
        patch.author_id = Some(Some(meant));
    }
    let renames =
        patch.services.is_some() || patch.incident_refs.is_some() || patch.status.is_some();
    let widens = patch.services.is_some()
        || patch.incident_refs.is_some()
        || patch.impact_started_at.is_some()
        || patch.detected_at.is_some()
        || patch.resolved_at.is_some();
    let txn = begin_write(db).await?;
    let current = get_record(&txn, id).await?;
    check(current.version)?;
    let mut p = Problems::default();
    let mut model: postmortem::ActiveModel = current.clone().into();
    if let Some(title) = patch.title {
        model.title = Set(p.text("title", &title, 300));
    }
    if let Some(summary) = patch.summary {
        model.summary = Set(p.prose("summary", &summary));
    }
    if let Some(status) = patch.status {
        if status != current.status {
            status_allowed(&mut p, status);
        }
        model.status = Set(status);
    }
    if let Some(severity) = patch.severity {
        model.severity = Set(severity);
    }
    let new_services = patch.services.as_deref().map(|s| services(&mut p, s));
    let new_refs = patch
        .incident_refs
        .as_deref()
        .map(|r| incident_refs(&mut p, r));
    macro_rules! set_time {
        ($field:ident) => {
            if let Some(value) = patch.$field {
                model.$field = Set(value);
            }
        };
    }
    set_time!(impact_started_at);
    set_time!(detected_at);
    set_time!(acknowledged_at);
    set_time!(mitigated_at);
    set_time!(resolved_at);
    if let Some(author) = patch.author_id {
        model.author_id = Set(author);
    }
    if let Some(anonymized) = patch.anonymized {
        // Anyone who may write can hide names; only an admin may show them again.
        if current.anonymized && !anonymized {
            s.require(Role::Admin)?;
        }
        model.anonymized = Set(anonymized);
    }
    impossible_phases(&mut p, &model);
    p.finish()?;
    if let Some(Some(author)) = patch.author_id {
        people::must_exist(&txn, "author_id", author).await?;
    }
    // The lists are read only when the patch replaces one; otherwise both
    // sides hold none and the entry lists no change to them.
    let before = if new_services.is_some() || new_refs.is_some() {
        with_lists(&txn, vec![current.clone()]).await?.remove(0)
    } else {
        PostmortemView {
            record: current.clone(),
            services: Vec::new(),
            incident_refs: Vec::new(),
        }
    };
    model.version = Set(current.version + 1);
    model.updated_at = Set(now());
    let record =
        update_versioned(&txn, model, postmortem::Column::Version, current.version).await?;
    if let Some(names) = &new_services {
        replace_services(&txn, id, names).await?;
    }
    if let Some(refs) = &new_refs {
        replace_refs(&txn, id, refs).await?;
    }
    if let Some(author) = record.author_id.filter(|a| Some(*a) != current.author_id) {
        ensure_author(&txn, id, author).await?;
    }
    let after = PostmortemView {
        record: record.clone(),
        services: new_services.unwrap_or_else(|| before.services.clone()),
        incident_refs: new_refs.unwrap_or_else(|| before.incident_refs.clone()),
    };
    let changes = audit::diff(Some(&audited(&before)), Some(&audited(&after)));
    let entry = Entry::new(Action::Update, Resource::Postmortem, id, changes);
    audit::record(&txn, actor, entry.in_postmortem(id)).await?;
    txn.commit().await?;
    if renames {
        cfg.names_changed();
    }
    if widens {
        prefill::prefill(db, record.id, cfg, actor).await?;
    }
    get(db, id).await
}

/// Deletes the post-mortem and its parts; its history stays in the audit log.
pub async fn delete(s: &Admin, id: Uuid) -> ApiResult<()> {
    let (db, actor) = (s.db(), s.actor());
    let txn = begin_write(db).await?;
    let before = get(&txn, id).await?;
    let result = postmortem::Entity::delete_by_id(id).exec(&txn).await?;
    if result.rows_affected == 0 {
        return Err(ApiError::NotFound("post-mortem"));
    }
    let changes = audit::diff(Some(&audited(&before)), None);
    let entry = Entry::new(Action::Delete, Resource::Postmortem, id, changes);
    audit::record(&txn, actor, entry.in_postmortem(id)).await?;
    txn.commit().await?;
    Ok(())
}

/// Longest text a list may be filtered by: a search phrase, not a document.
pub const MAX_TEXT_FILTER: usize = 200;

/// Newest first, as `audience` may look for them: a text search matches only
/// what this reader sees. For a reader who may not see names, the database's match on the raw
/// text is only a candidate: it is kept when the scrubbed title or summary
/// still contains the text, so searching for a person's name or address never
/// tells which post-mortems name them.
pub async fn list(
    db: &impl ConnectionTrait,
    audience: Audience,
    filter: &PostmortemFilter,
    page: &PageRequest,
) -> ApiResult<Page<PostmortemView>> {
    if filter
        .text
        .as_deref()
        .is_some_and(|t| t.chars().count() > MAX_TEXT_FILTER)
    {
        return Err(ApiError::validation(
            "text",
            format!("must be at most {MAX_TEXT_FILTER} characters"),
        ));
    }
    let needle = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase);
    let Some(needle) = needle.filter(|_| !audience.sees_names(true)) else {
        return matching(db, filter, page).await;
    };
    let mut kept: Vec<PostmortemView> = Vec::new();
    let mut batch = page.clone();
    loop {
        let candidates = matching(db, filter, &batch).await?;
        let records: Vec<&postmortem::Model> = candidates.items.iter().map(|v| &v.record).collect();
        let redactors = anonymity::redactors(db, audience, &records).await?;
        let last = candidates.items.last().map(|v| v.record.id);
        for view in candidates.items {
            let visible = redactors.get(&view.record.id).is_some_and(|r| {
                r.text(&view.record.title).to_lowercase().contains(&needle)
                    || r.text(&view.record.summary)
                        .to_lowercase()
                        .contains(&needle)
            });
            if visible {
                kept.push(view);
            }
        }
        let full = kept.len() as u64 > page.limit;
        match last {
            Some(last) if candidates.next_cursor.is_some() && !full => {
                batch.after = Some(last.to_string());
            }
            _ => break,
        }
    }
    let rows = kept;
    Ok(Page::from_rows(rows, page, |v| v.record.id.to_string()))
}

/// Newest first, matched on the stored text.
async fn matching(
    db: &impl ConnectionTrait,
    filter: &PostmortemFilter,
    page: &PageRequest,
) -> ApiResult<Page<PostmortemView>> {
    use postmortem::Column as C;
    let mut query = postmortem::Entity::find().order_by_desc(C::Id);
    if let Some(status) = filter.status {
        query = query.filter(C::Status.eq(status));
    }
    if let Some(severity) = filter.severity {
        query = query.filter(C::Severity.eq(severity));
    }
    if let Some(service) = &filter.service {
        query = query.filter(
            C::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(postmortem_service::Column::PostmortemId)
                    .from(postmortem_service::Entity)
                    .and_where(postmortem_service::Column::Service.eq(service.as_str()))
                    .to_owned(),
            ),
        );
    }
    let started = |op: fn(C, DateTime<Utc>) -> sea_orm::sea_query::SimpleExpr,
                   at: DateTime<Utc>| {
        Condition::any().add(op(C::ImpactStartedAt, at)).add(
            Condition::all()
                .add(C::ImpactStartedAt.is_null())
                .add(op(C::CreatedAt, at)),
        )
    };
    if let Some(from) = filter.from {
        query = query.filter(started(|c, at| c.gte(at), from));
    }
    if let Some(to) = filter.to {
        query = query.filter(started(|c, at| c.lt(at), to));
    }
    if let Some(text) = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        query = query.filter(contains_ignoring_case(text));
    }
    if let Some(after) = &page.after {
        query = query.filter(C::Id.lt(parse_uuid_key(after)?));
    }
    let rows = query.limit(page.fetch()).all(db).await?;
    let page = Page::from_rows(rows, page, |r| r.id.to_string());
    Ok(Page {
        items: with_lists(db, page.items).await?,
        next_cursor: page.next_cursor,
    })
}

/// `LOWER(title) LIKE '%text%' OR LOWER(summary) LIKE ...`, with the
/// pattern's own `%`, `_` and `\` escaped: SQLite's LIKE ignores ASCII case
/// only and PostgreSQL's not at all, so both sides are lowered explicitly.
fn contains_ignoring_case(text: &str) -> Condition {
    use sea_orm::sea_query::{Expr, ExprTrait as _, Func, LikeExpr};
    let escaped: String = text
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let pattern = || LikeExpr::new(format!("%{escaped}%")).escape('\\');
    let lowered = |column: postmortem::Column| Expr::expr(Func::lower(Expr::col(column)));
    Condition::any()
        .add(lowered(postmortem::Column::Title).like(pattern()))
        .add(lowered(postmortem::Column::Summary).like(pattern()))
}

/// Several post-mortems by id, with their services and references, in three queries.
pub async fn by_ids(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> ApiResult<HashMap<Uuid, PostmortemView>> {
    let records = postmortem::Entity::find()
        .filter(super::one_of(db, postmortem::Column::Id, ids))
        .all(db)
        .await?;
    Ok(with_lists(db, records)
        .await?
        .into_iter()
        .map(|view| (view.record.id, view))
        .collect())
}
