//! Trackers: where action items are synced to. Credentials are write-only and
//! encrypted at rest; at most one tracker is the default for new action items.

use super::session::Admin;
use crate::wire::nullable;
use entity::{JiraDialect, TrackerKind, tracker};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    prelude::*,
};
use serde::Deserialize;

use super::{
    Core, Problems,
    audit::{self, Action, Actor, Entry, Resource},
    begin_write, new_id, now,
    page::{Page, PageRequest, parse_uuid_key},
    update_versioned,
};
use crate::{
    config::{Secret, SyncSettings},
    error::{ApiError, ApiResult},
    outbound::AddressPolicy,
    secrets,
    trackers::{Credentials, MutationGate, Tracker, TrackerConfig},
};

/// A new tracker. Credentials: Jira Cloud takes `email` + `api_token`; every other
/// kind (and Jira Data Center) a `token`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackerIn {
    pub kind: TrackerKind,
    pub name: String,
    pub base_url: Option<String>,
    pub project_key: Option<String>,
    pub issue_type: Option<String>,
    #[serde(default, deserialize_with = "crate::wire::present")]
    pub jira_dialect: Option<JiraDialect>,
    pub owner: Option<String>,
    pub repo: Option<String>,
    pub github_project_id: Option<String>,
    pub github_due_field_id: Option<String>,
    pub project_id: Option<String>,
    pub team_id: Option<String>,
    pub api_user: Option<String>,
    pub email: Option<String>,
    pub api_token: Option<String>,
    pub token: Option<String>,
    #[serde(default, deserialize_with = "crate::wire::present")]
    pub is_default: Option<bool>,
    #[serde(default, deserialize_with = "crate::wire::present")]
    pub allow_insecure_http: Option<bool>,
}

/// Changes to a tracker: absent fields stay, `null` clears. New credentials
/// replace the stored ones as a whole.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackerPatch {
    #[serde(default, deserialize_with = "crate::wire::present")]
    pub name: Option<String>,
    pub base_url: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub project_key: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub issue_type: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::wire::present")]
    pub jira_dialect: Option<JiraDialect>,
    #[serde(default, deserialize_with = "nullable")]
    pub owner: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub repo: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub github_project_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub github_due_field_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub project_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub team_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub api_user: Option<Option<String>>,
    // Credentials may be sent as null: nothing changes (openapi.yaml says so).
    pub email: Option<String>,
    pub api_token: Option<String>,
    pub token: Option<String>,
    #[serde(default, deserialize_with = "crate::wire::present")]
    pub is_default: Option<bool>,
    #[serde(default, deserialize_with = "crate::wire::present")]
    pub allow_insecure_http: Option<bool>,
}

/// Credentials from a request: `token` alone, or `email` with `api_token` (Jira).
fn credentials_from(
    p: &mut Problems,
    kind: TrackerKind,
    email: Option<String>,
    api_token: Option<String>,
    token: Option<String>,
) -> Option<Credentials> {
    let email = p.optional_text("email", email.as_deref(), 254);
    let api_token = p.optional_text("api_token", api_token.as_deref(), 4096);
    let token = p.optional_text("token", token.as_deref(), 4096);
    match (email, api_token, token) {
        (None, None, None) => None,
        (Some(email), Some(api_token), None) if kind == TrackerKind::Jira => {
            Some(Credentials::Basic { email, api_token })
        }
        (None, None, Some(token)) => Some(Credentials::Bearer { token }),
        _ => {
            let message = match kind {
                TrackerKind::Jira => "give email and api_token, or a token",
                _ => "give a token",
            };
            p.add("token", message);
            None
        }
    }
}

/// Checks the fields each kind needs, then builds the client once so that a bad
/// URL (not https, credentials in it, no host, an internal IP) is refused when
/// it is saved. A name that resolves to an internal address is refused when
/// the sync connects.
fn check_shape(
    core: &Core,
    mut p: Problems,
    model: &tracker::Model,
    credentials: Option<Credentials>,
) -> ApiResult<Credentials> {
    let need = |p: &mut Problems, field: &str, value: &Option<String>| {
        p.check(
            value.is_some(),
            field,
            "is required for this kind of tracker",
        );
    };
    match model.kind {
        TrackerKind::Jira => {
            p.check(
                !model.base_url.is_empty(),
                "base_url",
                "is required for Jira: the site URL",
            );
            need(&mut p, "project_key", &model.project_key);
        }
        TrackerKind::Github => {
            need(&mut p, "owner", &model.owner);
            need(&mut p, "repo", &model.repo);
            p.check(
                model.github_project_id.is_some() == model.github_due_field_id.is_some(),
                "github_due_field_id",
                "github_project_id and github_due_field_id go together",
            );
        }
        TrackerKind::Gitlab => need(&mut p, "project_id", &model.project_id),
        TrackerKind::Linear => need(&mut p, "team_id", &model.team_id),
    }
    p.check(credentials.is_some(), "token", "credentials are required");
    p.finish()?;
    let Some(credentials) = credentials else {
        return Err(ApiError::validation("token", "credentials are required"));
    };
    let config = config_of(model, credentials.clone(), &SyncSettings::default());
    Tracker::new(&config, &MutationGate::default(), &core.http)
        .map_err(|e| ApiError::validation("base_url", e.to_string()))?;
    if let Ok(url) = reqwest::Url::parse(model.base_url.trim()) {
        AddressPolicy::new(&core.settings.outbound_allow)
            .check_url(&url)
            .map_err(|e| ApiError::validation("base_url", e.to_string()))?;
    }
    Ok(credentials)
}

/// The client configuration of a stored tracker.
pub fn config_of(
    model: &tracker::Model,
    credentials: Credentials,
    sync: &SyncSettings,
) -> TrackerConfig {
    let mut config = TrackerConfig::new(model.kind, model.base_url.clone(), credentials);
    config.project_key = model.project_key.clone();
    config.issue_type = model.issue_type.clone();
    config.jira_dialect = model.jira_dialect;
    config.owner = model.owner.clone();
    config.repo = model.repo.clone();
    config.github_project_id = model.github_project_id.clone();
    config.github_due_field_id = model.github_due_field_id.clone();
    config.project_id = model.project_id.clone();
    config.team_id = model.team_id.clone();
    config.allow_insecure_http = model.allow_insecure_http;
    config.request_timeout = sync.tracker_timeout;
    config
}

/// Decrypts a stored tracker's credentials and builds its client configuration.
pub fn client_config(
    model: &tracker::Model,
    key: &Secret,
    sync: &SyncSettings,
) -> anyhow::Result<TrackerConfig> {
    let plain = secrets::open(key, &model.credentials, model.id.as_bytes())?;
    let stored: Credentials = serde_json::from_slice(&plain)?;
    Ok(config_of(model, stored, sync))
}

fn seal(key: &Secret, id: Uuid, credentials: &Credentials) -> ApiResult<String> {
    let json = serde_json::to_vec(credentials).map_err(anyhow::Error::from)?;
    Ok(secrets::seal(key, &json, id.as_bytes())?)
}

fn short(p: &mut Problems, field: &str, value: Option<&str>) -> Option<String> {
    p.optional_text(field, value, 255)
}

pub async fn create(s: &Admin, input: TrackerIn) -> ApiResult<tracker::Model> {
    let (core, actor) = (s.core(), s.actor());
    let key = &core.settings.secret_key;
    let mut p = Problems::default();
    let id = new_id();
    let at = now();
    let base_url = p
        .optional_text("base_url", input.base_url.as_deref(), 2048)
        .or_else(|| crate::trackers::default_base_url(input.kind).map(str::to_owned))
        .unwrap_or_default();
    let model = tracker::Model {
        id,
        kind: input.kind,
        name: p.text("name", &input.name, 200),
        base_url,
        project_key: short(&mut p, "project_key", input.project_key.as_deref()),
        issue_type: short(&mut p, "issue_type", input.issue_type.as_deref()),
        jira_dialect: input.jira_dialect.unwrap_or_default(),
        owner: short(&mut p, "owner", input.owner.as_deref()),
        repo: short(&mut p, "repo", input.repo.as_deref()),
        github_project_id: short(
            &mut p,
            "github_project_id",
            input.github_project_id.as_deref(),
        ),
        github_due_field_id: short(
            &mut p,
            "github_due_field_id",
            input.github_due_field_id.as_deref(),
        ),
        project_id: short(&mut p, "project_id", input.project_id.as_deref()),
        team_id: short(&mut p, "team_id", input.team_id.as_deref()),
        api_user: short(&mut p, "api_user", input.api_user.as_deref()),
        credentials: String::new(),
        is_default: input.is_default.unwrap_or(false),
        allow_insecure_http: input.allow_insecure_http.unwrap_or(false),
        version: 1,
        created_at: at,
        updated_at: at,
    };
    let credentials = credentials_from(
        &mut p,
        input.kind,
        input.email,
        input.api_token,
        input.token,
    );
    let credentials = check_shape(core, p, &model, credentials)?;
    let mut row: tracker::ActiveModel = model.into();
    row.credentials = Set(seal(key, id, &credentials)?);
    let txn = begin_write(&core.db).await?;
    if input.is_default == Some(true) {
        clear_default(&txn, id, actor).await?;
    }
    let saved = row.insert(&txn).await?;
    let changes = audit::changed(None, Some(&saved));
    audit::record(
        &txn,
        actor,
        Entry::new(Action::Create, Resource::Tracker, id, changes),
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Only one tracker is the default: making one the default unmakes the other
/// (a change to that tracker too, recorded as such).
async fn clear_default(
    txn: &(impl ConnectionTrait + sea_orm::TransactionSession),
    except: Uuid,
    actor: &Actor,
) -> ApiResult<()> {
    let previous: Vec<Uuid> = tracker::Entity::find()
        .select_only()
        .column(tracker::Column::Id)
        .filter(tracker::Column::IsDefault.eq(true))
        .filter(tracker::Column::Id.ne(except))
        .into_tuple()
        .all(txn)
        .await?;
    if previous.is_empty() {
        return Ok(());
    }
    tracker::Entity::update_many()
        .col_expr(tracker::Column::IsDefault, Expr::value(false))
        .filter(tracker::Column::Id.is_in(previous.iter().copied()))
        .exec(txn)
        .await?;
    for id in previous {
        let mut changes = audit::Changes::default();
        changes.set("is_default", true.into(), false.into());
        audit::record(
            txn,
            actor,
            Entry::new(Action::Update, Resource::Tracker, id, changes),
        )
        .await?;
    }
    Ok(())
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<tracker::Model> {
    tracker::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("tracker"))
}

/// The tracker new action items go to when they name none.
pub async fn default_tracker(db: &impl ConnectionTrait) -> ApiResult<Option<tracker::Model>> {
    Ok(tracker::Entity::find()
        .filter(tracker::Column::IsDefault.eq(true))
        .one(db)
        .await?)
}

pub async fn update(
    s: &Admin,
    id: Uuid,
    patch: TrackerPatch,
    check: impl FnOnce(i32) -> ApiResult<()>,
) -> ApiResult<tracker::Model> {
    let (core, actor) = (s.core(), s.actor());
    let key = &core.settings.secret_key;
    let txn = begin_write(&core.db).await?;
    let current = get(&txn, id).await?;
    check(current.version)?;
    let mut p = Problems::default();
    let mut next = current.clone();
    let set =
        |p: &mut Problems, field: &str, slot: &mut Option<String>, v: Option<Option<String>>| {
            if let Some(v) = v {
                *slot = short(p, field, v.as_deref());
            }
        };
    if let Some(name) = patch.name {
        next.name = p.text("name", &name, 200);
    }
    if let Some(url) = patch.base_url {
        next.base_url = p.text("base_url", &url, 2048);
    }
    set(
        &mut p,
        "project_key",
        &mut next.project_key,
        patch.project_key,
    );
    set(&mut p, "issue_type", &mut next.issue_type, patch.issue_type);
    set(&mut p, "owner", &mut next.owner, patch.owner);
    set(&mut p, "repo", &mut next.repo, patch.repo);
    set(
        &mut p,
        "github_project_id",
        &mut next.github_project_id,
        patch.github_project_id,
    );
    set(
        &mut p,
        "github_due_field_id",
        &mut next.github_due_field_id,
        patch.github_due_field_id,
    );
    set(&mut p, "project_id", &mut next.project_id, patch.project_id);
    set(&mut p, "team_id", &mut next.team_id, patch.team_id);
    set(&mut p, "api_user", &mut next.api_user, patch.api_user);
    if let Some(dialect) = patch.jira_dialect {
        next.jira_dialect = dialect;
    }
    if let Some(is_default) = patch.is_default {
        next.is_default = is_default;
    }
    if let Some(insecure) = patch.allow_insecure_http {
        next.allow_insecure_http = insecure;
    }
    let new_credentials =
        credentials_from(&mut p, next.kind, patch.email, patch.api_token, patch.token);
    let credentials_replaced = new_credentials.is_some();
    if !credentials_replaced && !same_origin(&current.base_url, &next.base_url) {
        // The stored token was given for the old host: it never goes to a new one.
        let field = match next.kind {
            TrackerKind::Jira => "api_token",
            _ => "token",
        };
        p.add(
            field,
            "base_url moves to another scheme, host or port: give the credentials again",
        );
    }
    let credentials = match new_credentials {
        Some(c) => Some(c),
        None => {
            let plain = secrets::open(key, &current.credentials, id.as_bytes())?;
            Some(serde_json::from_slice(&plain).map_err(anyhow::Error::from)?)
        }
    };
    let credentials = check_shape(core, p, &next, credentials)?;
    next.credentials = seal(key, id, &credentials)?;
    next.version = current.version + 1;
    next.updated_at = now();
    if next.is_default {
        clear_default(&txn, id, actor).await?;
    }
    let mut row = tracker::ActiveModel::from(next).reset_all();
    row.id = sea_orm::ActiveValue::Unchanged(id);
    let saved = update_versioned(&txn, row, tracker::Column::Version, current.version).await?;
    let before = audit::fields(&current);
    let mut after = audit::fields(&saved);
    if !credentials_replaced && let Some(sealed) = before.get("credentials") {
        // Sealed again with a fresh nonce, but the same credentials.
        after.insert("credentials".into(), sealed.clone());
    }
    let changes = audit::diff(Some(&before), Some(&after));
    audit::record(
        &txn,
        actor,
        Entry::new(Action::Update, Resource::Tracker, id, changes),
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Whether two base URLs reach the same scheme, host and port; an unparsable
/// one is another origin (and refused by [`check_shape`] anyway).
fn same_origin(a: &str, b: &str) -> bool {
    let origin = |url: &str| {
        reqwest::Url::parse(url.trim()).ok().map(|u| {
            (
                u.scheme().to_owned(),
                u.host_str().map(str::to_owned),
                u.port_or_known_default(),
            )
        })
    };
    let (a, b) = (origin(a), origin(b));
    a.is_some() && a == b
}

/// Items that pointed at the tracker keep their external keys but stop syncing:
/// their queued syncs go and they show `not_synced`, in the same transaction.
pub async fn delete(s: &Admin, id: Uuid) -> ApiResult<()> {
    let (db, actor) = (s.db(), s.actor());
    use entity::{SyncState, action_item, sync_outbox};
    let txn = begin_write(db).await?;
    let before = get(&txn, id).await?;
    let items = action_item::Entity::find()
        .select_only()
        .column(action_item::Column::Id)
        .filter(action_item::Column::TrackerId.eq(id))
        .into_tuple::<Uuid>()
        .all(&txn)
        .await?;
    for chunk in items.chunks(500) {
        sync_outbox::Entity::delete_many()
            .filter(sync_outbox::Column::ActionItemId.is_in(chunk.iter().copied()))
            .exec(&txn)
            .await?;
    }
    action_item::Entity::update_many()
        .col_expr(
            action_item::Column::SyncState,
            Expr::value(SyncState::NotSynced),
        )
        .col_expr(
            action_item::Column::LastSyncError,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            action_item::Column::LastSyncReason,
            Expr::value(Option::<String>::None),
        )
        .filter(action_item::Column::TrackerId.eq(id))
        .exec(&txn)
        .await?;
    let result = tracker::Entity::delete_by_id(id).exec(&txn).await?;
    if result.rows_affected == 0 {
        return Err(ApiError::NotFound("tracker"));
    }
    let changes = audit::changed(Some(&before), None);
    audit::record(
        &txn,
        actor,
        Entry::new(Action::Delete, Resource::Tracker, id, changes),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub async fn list(
    db: &impl ConnectionTrait,
    page: &PageRequest,
) -> ApiResult<Page<tracker::Model>> {
    let mut query = tracker::Entity::find().order_by_asc(tracker::Column::Id);
    if let Some(after) = &page.after {
        query = query.filter(tracker::Column::Id.gt(parse_uuid_key(after)?));
    }
    let rows = query.limit(page.fetch()).all(db).await?;
    Ok(Page::from_rows(rows, page, |r| r.id.to_string()))
}
