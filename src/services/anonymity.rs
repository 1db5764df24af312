//! Who sees real names, and how everyone else sees people: stable pseudonyms per
//! post-mortem ("Engineer A, frontend, joined 3 days before"), with names,
//! emails and handles scrubbed from free text. REST, Markdown and GraphQL all
//! go through [`Redactor`], so the rule lives in one place.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{action_item, participant, person, postmortem};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::{
    auth::Role,
    domain::anonymize::{PersonProfile, Pseudonyms},
    error::ApiResult,
};

/// The reader of a view.
#[derive(Debug, Clone, Copy)]
pub struct Audience {
    pub role: Role,
    /// The deployment shows pseudonyms to everyone.
    pub anonymize_all: bool,
}

impl Audience {
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

    /// What leaves the service (announcements): names only where the
    /// post-mortem is not anonymized, as an editor would see it.
    pub fn shared(anonymize_all: bool) -> Self {
        Self {
            role: Role::Editor,
            anonymize_all,
        }
    }
}

/// How one post-mortem's people appear to one reader.
pub struct Redactor {
    pseudonyms: Option<Pseudonyms>,
    names: HashMap<Uuid, String>,
    incident_date: NaiveDate,
}

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

    /// How a person is named: their display name, or their pseudonym with the
    /// signal anonymizing would lose (team, role, tenure at the incident).
    pub fn person(&self, id: Uuid) -> Option<String> {
        match &self.pseudonyms {
            Some(p) => p.describe(&id.to_string(), self.incident_date),
            None => self.names.get(&id).cloned(),
        }
    }

    pub fn is_anonymizing(&self) -> bool {
        self.pseudonyms.is_some()
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
) -> ApiResult<HashMap<Uuid, Redactor>> {
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
    let mut involved: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for pm in postmortems {
        involved.entry(pm.id).or_default().extend(pm.author_id);
    }
    for p in &participants {
        involved
            .entry(p.postmortem_id)
            .or_default()
            .push(p.person_id);
    }
    for item in &owners {
        involved
            .entry(item.postmortem_id)
            .or_default()
            .extend(item.owner_id);
    }
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
        let wanted: Vec<Uuid> = involved.values().flatten().copied().collect();
        person::Entity::find()
            .filter(person::Column::Id.is_in(wanted))
            .all(db)
            .await?
    };
    let by_id: HashMap<Uuid, &person::Model> = people.iter().map(|p| (p.id, p)).collect();
    let names: HashMap<Uuid, String> = people
        .iter()
        .map(|p| (p.id, p.display_name.clone()))
        .collect();

    let mut out = HashMap::new();
    for pm in postmortems {
        let incident_date = pm.impact_started_at.unwrap_or(pm.created_at).date_naive();
        let pseudonyms = (!audience.sees_names(pm.anonymized)).then(|| {
            // Involved people first, in order of appearance, then everyone else:
            // labels stay stable as the directory grows.
            let order = involved
                .get(&pm.id)
                .into_iter()
                .flatten()
                .copied()
                .chain(people.iter().map(|p| p.id));
            let profiles: Vec<PersonProfile> = order
                .filter_map(|id| by_id.get(&id))
                .map(|p| profile(p))
                .collect();
            Pseudonyms::assign(pm.author_id.map(|a| a.to_string()).as_deref(), &profiles)
        });
        out.insert(
            pm.id,
            Redactor {
                pseudonyms,
                names: names.clone(),
                incident_date,
            },
        );
    }
    Ok(out)
}

/// The redactor for one post-mortem.
pub async fn redactor(
    db: &impl ConnectionTrait,
    audience: Audience,
    pm: &postmortem::Model,
) -> ApiResult<Redactor> {
    let mut map = redactors(db, audience, &[pm]).await?;
    map.remove(&pm.id).ok_or_else(|| {
        crate::error::ApiError::Internal(anyhow::anyhow!("redactor missing for {}", pm.id))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admins_and_editors_of_named_post_mortems_see_names() {
        let audience = |role| Audience {
            role,
            anonymize_all: false,
        };
        assert!(audience(Role::Admin).sees_names(true));
        assert!(audience(Role::Editor).sees_names(false));
        assert!(!audience(Role::Editor).sees_names(true));
        assert!(!audience(Role::Viewer).sees_names(false));
        assert!(
            !Audience {
                role: Role::Admin,
                anonymize_all: true
            }
            .sees_names(false)
        );
    }
}
