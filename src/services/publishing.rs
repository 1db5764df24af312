//! Publishing: a reviewed post-mortem becomes the shared record, and the
//! configured channels hear about it.

use super::session::Writer;
use entity::{PostmortemStatus, postmortem};
use sea_orm::ActiveValue::Set;
use uuid::Uuid;

use super::{
    Core,
    anonymity::{self, Audience},
    audit::{self, Action, Entry, Resource},
    begin_write, dossier, notify, now, update_versioned,
};
use crate::{
    auth::Role,
    domain::review::Severity,
    error::{ApiError, ApiResult},
};

/// What the publisher asked for.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishIn {
    /// Admins only: publish despite review errors, for this recorded reason.
    pub override_reason: Option<String>,
}

/// Moves an `in_review` post-mortem to `published` when its review has no
/// errors (or an admin overrides, with a reason), and returns the new record.
/// After the commit, the configured channels are told (see [`announce`]).
pub async fn publish(s: &Writer, id: Uuid, input: PublishIn) -> ApiResult<postmortem::Model> {
    let record = publish_record(s, id, input).await?;
    let core = s.core();
    announce(core, record.id).await?;
    Ok(record)
}

/// Tells the Slack-compatible webhooks that a post-mortem was published: its
/// document as an editor sees it (names only where it is not anonymized),
/// sent on a task of its own so that publishing never waits for Slack.
async fn announce(core: &Core, id: Uuid) -> ApiResult<()> {
    let practice = &core.settings.practice;
    if practice.slack_webhook_urls.is_empty() {
        return Ok(());
    }
    let dossier = dossier::load(&core.db, id).await?;
    let shared = Audience::shared(&core.settings);
    let redactor = anonymity::redactor(&core.db, shared, &dossier.postmortem.record).await?;
    let document = dossier.document(&redactor);
    let metrics = dossier.metrics();
    let link = format!(
        "{}/api/v1/postmortems/{id}/document?format=markdown",
        core.public_url
    );
    let message = notify::publication_message(&document, metrics.phases.focus.as_deref(), &link);
    notify::announce(&core.http, practice, message);
    Ok(())
}

async fn publish_record(s: &Writer, id: Uuid, input: PublishIn) -> ApiResult<postmortem::Model> {
    let (db, user, actor) = (s.db(), s.user(), s.actor());
    let reason = input
        .override_reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if reason.is_some() {
        s.require(Role::Admin)?;
    }
    let txn = begin_write(db).await?;
    let dossier = dossier::load(&txn, id).await?;
    let current = dossier.postmortem.record.clone();
    match current.status {
        PostmortemStatus::Published => {
            return Err(ApiError::Conflict {
                code: "already_published",
                detail: "the post-mortem is already published".into(),
            });
        }
        PostmortemStatus::Draft => {
            return Err(ApiError::Conflict {
                code: "not_in_review",
                detail: "move the post-mortem to in_review first, so that someone other than the author reads it".into(),
            });
        }
        PostmortemStatus::InReview => {}
    }
    let review = dossier.review();
    let blocking = review
        .findings
        .iter()
        .any(|f| f.severity == Severity::Error);
    if blocking && reason.is_none() {
        // The refusal lists the findings as this publisher may read them.
        let redactor = anonymity::redactor(&txn, s.audience(), &current).await?;
        return Err(ApiError::ReviewBlocked(redactor.findings(review.findings)));
    }
    let mut model: postmortem::ActiveModel = current.clone().into();
    let at = now();
    model.status = Set(PostmortemStatus::Published);
    model.published_at = Set(Some(at));
    model.published_by = Set(Some(user.sub.clone()));
    // Recorded only when it was needed: an override of a clean review means nothing.
    model.publish_override_reason = Set(reason.filter(|_| blocking));
    model.version = Set(current.version + 1);
    model.updated_at = Set(at);
    let record =
        update_versioned(&txn, model, postmortem::Column::Version, current.version).await?;
    let changes = audit::changed(Some(&current), Some(&record));
    let entry = Entry::new(Action::Publish, Resource::Postmortem, id, changes);
    audit::record(&txn, actor, entry.in_postmortem(id)).await?;
    txn.commit().await?;
    Ok(record)
}
