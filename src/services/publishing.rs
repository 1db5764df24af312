//! Publishing: a reviewed post-mortem becomes the shared record, and the
//! configured channels hear about it.

use entity::{PostmortemStatus, postmortem};
use sea_orm::{ActiveValue::Set, TransactionSession, TransactionTrait};
use uuid::Uuid;

use super::{
    audit::{self, Action, Actor, Entry, Resource},
    begin_write, dossier, now, update_versioned,
};
use crate::{
    auth::{AuthUser, Role},
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
pub async fn publish(
    db: &impl TransactionTrait,
    id: Uuid,
    user: &AuthUser,
    input: PublishIn,
    actor: &Actor,
) -> ApiResult<postmortem::Model> {
    let reason = input
        .override_reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if reason.is_some() {
        user.require(Role::Admin)?;
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
        return Err(ApiError::ReviewBlocked(review.findings));
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
    let changes = audit::diff(
        Some(&audit::fields(&current)),
        Some(&audit::fields(&record)),
        &[],
    );
    let entry = Entry::new(Action::Publish, Resource::Postmortem, id, changes);
    audit::record(&txn, actor, entry.in_postmortem(id)).await?;
    txn.commit().await?;
    Ok(record)
}
