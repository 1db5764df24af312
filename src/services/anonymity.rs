//! Who sees real names, and how everyone else sees people: stable pseudonyms per
//! post-mortem ("Engineer A, frontend, joined 3 days before"), with names,
//! emails and handles scrubbed from free text. REST, Markdown and GraphQL all
//! go through [`Redactor`], so the rule lives in one place.

use std::{
    collections::HashMap,
    sync::{Arc, OnceLock},
};

use chrono::NaiveDate;
use entity::{action_item, participant, person, postmortem};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::{
    auth::{AuthUser, Role},
    config::{Secret, Settings},
    domain::{
        anonymize::{People, PersonProfile, Pseudonyms},
        review::{Finding, Review},
    },
    error::ApiResult,
};

/// The reader of a view.
#[derive(Debug, Clone, Copy)]
pub struct Audience {
    pub role: Role,
    /// The deployment shows pseudonyms to everyone.
    pub anonymize_all: bool,
    /// Turns a person's id into the handle readers who may not see names get.
    pub handles: HandleKey,
}

impl Audience {
    /// The caller of a request (REST or GraphQL) under the deployment's policy.
    pub fn of(user: &AuthUser, settings: &Settings) -> Self {
        Self::with_role(user.role, settings)
    }

    pub fn with_role(role: Role, settings: &Settings) -> Self {
        Self::with_key(role, settings, HandleKey::derive(&settings.secret_key))
    }

    /// With the handle key derived once, at start ([`super::Core::handles`]).
    pub fn with_key(role: Role, settings: &Settings, handles: HandleKey) -> Self {
        Self {
            role,
            anonymize_all: settings.practice.anonymize_all,
            handles,
        }
    }

    /// Admins see names; editors see them unless the post-mortem is
    /// anonymized; viewers never do; nobody does when the deployment says so.
    pub fn sees_names(&self, anonymized: bool) -> bool {
        if self.anonymize_all {
            return false;
        }
        match self.role {
            Role::Admin => true,
            Role::Editor => !anonymized,
            Role::Viewer => false,
        }
    }

    /// What belongs to no post-mortem (events from webhooks): names only for
    /// admins, as if it were anonymized.
    pub fn sees_names_outside_postmortems(&self) -> bool {
        self.sees_names(true)
    }

    /// What leaves the service (announcements): names only where the
    /// post-mortem is not anonymized, as an editor would see it.
    pub fn shared(settings: &Settings) -> Self {
        Self::with_role(Role::Editor, settings)
    }
}

/// The key of per-post-mortem person handles, derived from the secret key:
/// a reader who may not see names gets, for each person, an id that is
/// different in every post-mortem (so pseudonyms cannot be linked across
/// post-mortems) and opens nothing in `/api/v1/people`.
#[derive(Clone, Copy)]
pub struct HandleKey([u8; 32]);

impl std::fmt::Debug for HandleKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HandleKey(**redacted**)")
    }
}

impl HandleKey {
    pub fn derive(secret: &Secret) -> Self {
        Self(mac(secret.expose(), &[b"hindsight person handles v1"]))
    }

    /// The handle of `person` in `postmortem`: a version 8 UUID.
    pub fn handle(&self, postmortem: Uuid, person: Uuid) -> Uuid {
        let digest = mac(&self.0, &[postmortem.as_bytes(), person.as_bytes()]);
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        uuid::Builder::from_custom_bytes(bytes).into_uuid()
    }
}

fn mac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    use hmac::Mac;
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(key) else {
        unreachable!("HMAC takes a key of any length")
    };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// How one post-mortem's people appear to one reader.
pub struct Redactor {
    pseudonyms: Option<Pseudonyms>,
    names: Arc<foldhash::HashMap<Uuid, String>>,
    incident_date: NaiveDate,
    /// The post-mortem whose people these are (nil outside post-mortems).
    postmortem_id: Uuid,
    audience: Audience,
}

/// What a reader who may not see names reads where a sync failed before
/// failures were recorded in two parts.
const OLD_SYNC_FAILURE: &str = "the last sync failed; an admin can see why";

impl Redactor {
    /// Free text with people replaced by their pseudonyms (unchanged for readers who see names).
    pub fn text(&self, text: &str) -> String {
        match &self.pseudonyms {
            Some(p) => p.scrub(text),
            None => text.to_owned(),
        }
    }

    pub fn optional_text(&self, text: Option<&str>) -> Option<String> {
        text.map(|t| self.text(t))
    }

    /// A link, unless it names someone this reader may not see: a URL with a
    /// name or an address in it cannot be rewritten into one that still works.
    pub fn link(&self, url: Option<&str>) -> Option<String> {
        let url = url?;
        match &self.pseudonyms {
            Some(p) if p.scrub(url) != url => None,
            _ => Some(url.to_owned()),
        }
    }

    /// How a person is named: their display name, or their pseudonym with the
    /// signal anonymizing would lose (team, role, tenure at the incident).
    pub fn person(&self, id: Uuid) -> Option<String> {
        match &self.pseudonyms {
            Some(p) => p.describe(&id.to_string(), self.incident_date),
            None => self.names.get(&id).cloned(),
        }
    }

    /// A person's id as this reader may see it: the id itself, or, for a reader
    /// who may not see names, this post-mortem's handle of them.
    pub fn person_ref(&self, id: Uuid) -> Uuid {
        if self.is_anonymizing() {
            self.audience.handles.handle(self.postmortem_id, id)
        } else {
            id
        }
    }

    /// Who a token subject (usually an e-mail) is to this reader: the subject,
    /// or the pseudonym of the person it names, or nothing.
    pub fn subject(&self, subject: Option<&str>) -> Option<String> {
        let subject = subject?;
        match &self.pseudonyms {
            None => Some(subject.to_owned()),
            Some(p) => Some(p.scrub(subject)).filter(|seen| seen != subject),
        }
    }

    /// Why an action item's last sync failed: the tracker's own words for
    /// admins who see names, hindsight's neutral reason (with the owner as this
    /// reader may see them) for everyone else.
    pub fn sync_failure(
        &self,
        reason: Option<&str>,
        detail: Option<&str>,
        owner: Option<Uuid>,
    ) -> Option<String> {
        if self.audience.role == Role::Admin && !self.is_anonymizing() {
            return detail.or(reason).map(str::to_owned);
        }
        let reason = match reason {
            Some(reason) => reason,
            None => {
                detail?;
                OLD_SYNC_FAILURE
            }
        };
        let owner = owner
            .and_then(|o| self.person(o))
            .unwrap_or_else(|| "the owner".to_owned());
        Some(self.text(&reason.replace(super::outbox::OWNER_REFERENCE, &owner)))
    }

    pub fn is_anonymizing(&self) -> bool {
        self.pseudonyms.is_some()
    }

    /// Findings name what they found; a reader who may not see names gets
    /// pseudonyms there too.
    pub fn review(&self, mut review: Review) -> Review {
        review.findings = self.findings(review.findings);
        review
    }

    /// [`Redactor::review`] for findings alone (a refused publish lists them).
    pub fn findings(&self, mut findings: Vec<Finding>) -> Vec<Finding> {
        if self.is_anonymizing() {
            for finding in &mut findings {
                finding.message = self.text(&finding.message);
                finding.suggestion = finding.suggestion.as_deref().map(|s| self.text(s));
            }
        }
        findings
    }
}

fn profile(p: &person::Model) -> PersonProfile {
    PersonProfile {
        id: p.id.to_string(),
        display_name: Some(p.display_name.clone()),
        email: Some(p.email.clone()),
        github_login: p.github_login.clone(),
        team: p.team.clone(),
        role_title: p.role_title.clone(),
        joined_on: p.joined_on,
    }
}

/// Redactors for several post-mortems at once, in a fixed number of queries.
pub async fn redactors(
    db: &impl ConnectionTrait,
    audience: Audience,
    postmortems: &[&postmortem::Model],
) -> ApiResult<HashMap<Uuid, Arc<Redactor>>> {
    let ids: Vec<Uuid> = postmortems.iter().map(|p| p.id).collect();
    let participants = participant::Entity::find()
        .filter(participant::Column::PostmortemId.is_in(ids.clone()))
        .order_by_asc(participant::Column::CreatedAt)
        .order_by_asc(participant::Column::PersonId)
        .all(db)
        .await?;
    let owners = action_item::Entity::find()
        .filter(action_item::Column::PostmortemId.is_in(ids))
        .filter(action_item::Column::OwnerId.is_not_null())
        .order_by_asc(action_item::Column::Id)
        .all(db)
        .await?;
    let participants = super::group_by(participants, |p| p.postmortem_id);
    let owners = super::group_by(owners, |i| i.postmortem_id);
    let anonymizing = postmortems
        .iter()
        .any(|pm| !audience.sees_names(pm.anonymized));
    // Scrubbing must know everyone who could be named in the text, not only
    // those involved; reading names only needs the people involved.
    let people = if anonymizing {
        person::Entity::find()
            .order_by_asc(person::Column::Id)
            .all(db)
            .await?
    } else {
        let wanted: Vec<Uuid> = postmortems
            .iter()
            .flat_map(|pm| {
                involved(
                    pm,
                    participants.get(&pm.id).map_or(&[], Vec::as_slice),
                    owners.get(&pm.id).map_or(&[], Vec::as_slice),
                )
            })
            .collect();
        person::Entity::find()
            .filter(person::Column::Id.is_in(wanted))
            .all(db)
            .await?
    };
    let directory = Directory::new(people);
    Ok(postmortems
        .iter()
        .map(|pm| {
            let redactor = build_redactor(
                audience,
                pm,
                participants.get(&pm.id).map_or(&[], Vec::as_slice),
                owners.get(&pm.id).map_or(&[], Vec::as_slice),
                &directory,
            );
            (pm.id, Arc::new(redactor))
        })
        .collect())
}

/// The people a redactor may have to name: the whole directory when anyone
/// is anonymized (scrubbing must know every name), else at least those involved.
pub struct Directory {
    people: Vec<person::Model>,
    index: foldhash::HashMap<Uuid, usize>,
    names: Arc<foldhash::HashMap<Uuid, String>>,
    /// Everyone read for matching in text, made on first use and shared by
    /// the redactors of every post-mortem built from this directory.
    matching: OnceLock<Arc<People>>,
}

impl Directory {
    /// `people` in id order, so pseudonyms are assigned the same way everywhere.
    pub fn new(people: Vec<person::Model>) -> Self {
        let names = people
            .iter()
            .map(|p| (p.id, p.display_name.clone()))
            .collect();
        let index = people.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
        Self {
            people,
            index,
            names: Arc::new(names),
            matching: OnceLock::new(),
        }
    }

    /// Everyone, in id order, read for matching names in text.
    fn matching(&self) -> Arc<People> {
        self.matching
            .get_or_init(|| Arc::new(People::new(self.people.iter().map(profile))))
            .clone()
    }

    /// Everyone, in id order.
    pub fn people(&self) -> &[person::Model] {
        &self.people
    }

    pub fn get(&self, id: Uuid) -> Option<&person::Model> {
        self.index.get(&id).map(|&i| &self.people[i])
    }
}

/// Author, participants (in the order they were added), then action item
/// owners (in item order): the order pseudonyms are handed out in.
fn involved(
    pm: &postmortem::Model,
    participants: &[participant::Model],
    action_items: &[action_item::Model],
) -> Vec<Uuid> {
    pm.author_id
        .into_iter()
        .chain(participants.iter().map(|p| p.person_id))
        .chain(action_items.iter().filter_map(|i| i.owner_id))
        .collect()
}

/// How one post-mortem's people appear to `audience`, from what is already
/// loaded: its participants, its action items and the directory. REST (through
/// [`redactors`]) and GraphQL (through its loaders) both end here.
pub fn build_redactor(
    audience: Audience,
    pm: &postmortem::Model,
    participants: &[participant::Model],
    action_items: &[action_item::Model],
    directory: &Directory,
) -> Redactor {
    let incident_date = pm.impact_started_at.unwrap_or(pm.created_at).date_naive();
    let pseudonyms = (!audience.sees_names(pm.anonymized)).then(|| {
        // Involved people first, in order of appearance, then everyone else:
        // labels stay stable as the directory grows.
        let involved: Vec<String> = involved(pm, participants, action_items)
            .iter()
            .map(Uuid::to_string)
            .collect();
        let everyone = 0..directory.people.len();
        Pseudonyms::in_order(
            directory.matching(),
            involved.iter().map(String::as_str),
            everyone,
        )
    });
    Redactor {
        pseudonyms,
        names: directory.names.clone(),
        incident_date,
        postmortem_id: pm.id,
        audience,
    }
}

/// How people appear to `audience` in what belongs to no post-mortem (events
/// from webhooks): names for admins, otherwise every person of the directory
/// scrubbed, labelled in directory order.
pub fn outside_postmortems(audience: Audience, directory: &Directory) -> Redactor {
    let pseudonyms = (!audience.sees_names_outside_postmortems()).then(|| {
        Pseudonyms::in_order(
            directory.matching(),
            std::iter::empty(),
            0..directory.people.len(),
        )
    });
    Redactor {
        pseudonyms,
        names: directory.names.clone(),
        incident_date: NaiveDate::default(),
        postmortem_id: Uuid::nil(),
        audience,
    }
}

/// The person a writer means by `id` in `postmortem`: a person's own id, or
/// the handle a reader who may not see names was shown for them there (an
/// editor of an anonymized post-mortem sends back the `owner_id` it read).
/// Anything else is returned as given, for the caller's own "does not exist".
pub async fn person_meant(
    db: &impl ConnectionTrait,
    settings: &Settings,
    postmortem: Uuid,
    id: Uuid,
) -> ApiResult<Uuid> {
    use sea_orm::QuerySelect;
    if person::Entity::find_by_id(id).one(db).await?.is_some() {
        return Ok(id);
    }
    let key = HandleKey::derive(&settings.secret_key);
    let everyone: Vec<Uuid> = person::Entity::find()
        .select_only()
        .column(person::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    Ok(everyone
        .into_iter()
        .find(|&person| key.handle(postmortem, person) == id)
        .unwrap_or(id))
}

/// The redactor of events, which belong to no post-mortem: reads the
/// directory only when the reader may not see names.
pub async fn for_events(db: &impl ConnectionTrait, audience: Audience) -> ApiResult<Arc<Redactor>> {
    let people = if audience.sees_names_outside_postmortems() {
        Vec::new()
    } else {
        person::Entity::find()
            .order_by_asc(person::Column::Id)
            .all(db)
            .await?
    };
    Ok(Arc::new(outside_postmortems(
        audience,
        &Directory::new(people),
    )))
}

/// The redactor for one post-mortem.
pub async fn redactor(
    db: &impl ConnectionTrait,
    audience: Audience,
    pm: &postmortem::Model,
) -> ApiResult<Arc<Redactor>> {
    let mut map = redactors(db, audience, &[pm]).await?;
    map.remove(&pm.id).ok_or_else(|| {
        crate::error::ApiError::Internal(anyhow::anyhow!("redactor missing for {}", pm.id))
    })
}

/// Redactors for the post-mortems a page of their parts belongs to.
pub async fn redactors_by_id(
    db: &impl ConnectionTrait,
    audience: Audience,
    postmortem_ids: impl IntoIterator<Item = Uuid>,
) -> ApiResult<HashMap<Uuid, Arc<Redactor>>> {
    let mut ids: Vec<Uuid> = postmortem_ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    let records = postmortem::Entity::find()
        .filter(postmortem::Column::Id.is_in(ids))
        .all(db)
        .await?;
    let refs: Vec<&postmortem::Model> = records.iter().collect();
    redactors(db, audience, &refs).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admins_and_editors_of_named_post_mortems_see_names() {
        let handles = HandleKey::derive(&Secret::new(vec![7; 32]));
        let audience = |role| Audience {
            role,
            anonymize_all: false,
            handles,
        };
        assert!(audience(Role::Admin).sees_names(true));
        assert!(audience(Role::Editor).sees_names(false));
        assert!(!audience(Role::Editor).sees_names(true));
        assert!(!audience(Role::Viewer).sees_names(false));
        assert!(
            !Audience {
                role: Role::Admin,
                anonymize_all: true,
                handles,
            }
            .sees_names(false)
        );
    }

    #[test]
    fn a_person_has_a_different_handle_in_every_post_mortem_and_under_every_key() {
        let key = HandleKey::derive(&Secret::new(vec![7; 32]));
        let other_key = HandleKey::derive(&Secret::new(vec![8; 32]));
        let (pm1, pm2, alice) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let handle = key.handle(pm1, alice);
        assert_eq!(
            handle,
            key.handle(pm1, alice),
            "stable within a post-mortem"
        );
        assert_ne!(handle, alice);
        assert_ne!(handle, key.handle(pm2, alice));
        assert_ne!(handle, other_key.handle(pm1, alice));
    }
}
