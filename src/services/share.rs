//! Share links: a published post-mortem's page for people without a
//! hindsight account. Whoever holds the link reads it as a viewer would, so
//! people are always anonymized. The token is shown once and kept only as a
//! hash (like calendar tokens); revoking deletes the links, and the page stops
//! answering at once.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use entity::{PostmortemStatus, share_link};
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{
    Core,
    anonymity::{self, Audience},
    audit::{self, Action, Changes, Entry, Resource},
    begin_write, dossier, new_id, now, postmortems, publishing,
    session::Writer,
};
use crate::{
    auth::Role,
    domain::html::render_html,
    error::{ApiError, ApiResult},
};

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A link as issued: the token is in it, and nowhere else afterwards.
pub struct IssuedLink {
    pub id: Uuid,
    pub postmortem_id: Uuid,
    pub token: String,
    pub url: String,
    pub created_at: DateTime<Utc>,
}

/// The page a share token opens.
pub fn url(core: &Core, token: &str) -> String {
    format!("{}/share/{token}", core.public_url)
}

/// Issues a new link to a published post-mortem's page. With `announce`,
/// the configured Slack-compatible channels are sent the publication
/// message again, linking to this page instead of the API.
pub async fn issue(s: &Writer, postmortem_id: Uuid, announce: bool) -> ApiResult<IssuedLink> {
    let txn = begin_write(s.db()).await?;
    let postmortem = postmortems::get(&txn, postmortem_id).await?.record;
    if postmortem.status != PostmortemStatus::Published {
        return Err(ApiError::Conflict {
            code: "not_published",
            detail: "only a published post-mortem can be shared".into(),
        });
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let link = share_link::ActiveModel {
        id: Set(new_id()),
        postmortem_id: Set(postmortem_id),
        token_hash: Set(hash(&token)),
        created_at: Set(now()),
    }
    .insert(&txn)
    .await?;
    // The hash is a credential: the entry says a link was issued, never what it is.
    let entry = Entry::new(
        Action::IssueToken,
        Resource::ShareLink,
        link.id,
        Changes::default(),
    );
    audit::record(&txn, s.actor(), entry.in_postmortem(postmortem_id)).await?;
    txn.commit().await?;
    let url = url(s.core(), &token);
    if announce {
        publishing::announce_with_link(s.core(), postmortem_id, &url).await?;
    }
    Ok(IssuedLink {
        id: link.id,
        postmortem_id,
        token,
        url,
        created_at: link.created_at,
    })
}

/// Revokes every link to the post-mortem; its pages stop answering at once.
pub async fn revoke_all(s: &Writer, postmortem_id: Uuid) -> ApiResult<()> {
    let txn = begin_write(s.db()).await?;
    postmortems::get(&txn, postmortem_id).await?;
    let links = share_link::Entity::find()
        .filter(share_link::Column::PostmortemId.eq(postmortem_id))
        .all(&txn)
        .await?;
    share_link::Entity::delete_many()
        .filter(share_link::Column::PostmortemId.eq(postmortem_id))
        .exec(&txn)
        .await?;
    for link in links {
        let entry = Entry::new(
            Action::RevokeToken,
            Resource::ShareLink,
            link.id,
            Changes::default(),
        );
        audit::record(&txn, s.actor(), entry.in_postmortem(postmortem_id)).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The page a token opens, rendered for a viewer; 404 for an unknown or
/// revoked token, and for a post-mortem that is no longer published.
pub async fn page(core: &Core, token: &str) -> ApiResult<String> {
    let not_found = || ApiError::NotFound("the share link is unknown or was revoked");
    let link = share_link::Entity::find()
        .filter(share_link::Column::TokenHash.eq(hash(token)))
        .one(&core.db)
        .await?
        .ok_or_else(not_found)?;
    let dossier = dossier::load(&core.db, link.postmortem_id).await?;
    if dossier.postmortem.record.status != PostmortemStatus::Published {
        return Err(not_found());
    }
    let viewer = Audience::with_key(Role::Viewer, &core.settings, core.handles);
    let redactor = anonymity::redactor(&core.db, viewer, &dossier.postmortem.record).await?;
    let findings = redactor.review(dossier.review()).findings;
    Ok(render_html(&dossier.document(&redactor), &findings))
}
