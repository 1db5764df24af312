//! The caller of a use case. A [`Session`] is the services' [`Core`] plus who
//! is asking (subject, role) and the request's id, built once per request by
//! the web layer. What a caller may do is a type: a use case that reads takes
//! a [`Reader`], one that writes a [`Writer`], one only admins may run
//! takes an [`Admin`], and the only way to get one is through the role check
//! here. So a new REST route or GraphQL resolver cannot reach a use case
//! without the check, and the audit log always knows who wrote.

use std::{ops::Deref, sync::Arc};

use super::{Core, anonymity::Audience, audit::Actor};
use crate::{
    auth::{AuthUser, Role},
    error::{ApiError, ApiResult},
};

/// The services, and one authenticated caller.
#[derive(Clone)]
pub struct Session {
    core: Arc<Core>,
    user: AuthUser,
    actor: Actor,
}

impl Session {
    pub fn new(core: Arc<Core>, user: AuthUser, request_id: Option<String>) -> Self {
        let actor = Actor::user(&user, request_id);
        Self { core, user, actor }
    }

    pub fn core(&self) -> &Core {
        &self.core
    }

    pub fn db(&self) -> &sea_orm::DatabaseConnection {
        &self.core.db
    }

    pub fn user(&self) -> &AuthUser {
        &self.user
    }

    /// Who the audit log says wrote, with the request's id.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// How this caller sees people, under the deployment's policy.
    pub fn audience(&self) -> Audience {
        Audience::with_key(self.user.role, &self.core.settings, self.core.handles)
    }

    /// Any authenticated caller may read.
    pub fn reader(self) -> ApiResult<Reader> {
        self.require(Role::Viewer)?;
        Ok(Reader(self))
    }

    /// Editors and admins may write.
    pub fn writer(self) -> ApiResult<Writer> {
        self.require(Role::Editor)?;
        Ok(Writer(Reader(self)))
    }

    /// Only admins.
    pub fn admin(self) -> ApiResult<Admin> {
        self.require(Role::Admin)?;
        Ok(Admin(Writer(Reader(self))))
    }

    /// Fails with 403 unless the caller has at least `role`: for a rule
    /// inside a use case (an override only admins may give).
    pub fn require(&self, role: Role) -> ApiResult<()> {
        if self.user.role >= role {
            return Ok(());
        }
        Err(ApiError::Forbidden(match role {
            Role::Viewer => "this needs the viewer role",
            Role::Editor => "this needs the editor role: viewers can only read",
            Role::Admin => "this needs the admin role",
        }))
    }
}

/// A caller allowed to read.
#[derive(Clone)]
pub struct Reader(Session);

/// A caller allowed to write: an editor or an admin. Derefs to [`Reader`].
#[derive(Clone)]
pub struct Writer(Reader);

/// An admin. Derefs to [`Writer`], so it serves wherever writing does.
#[derive(Clone)]
pub struct Admin(Writer);

impl Deref for Reader {
    type Target = Session;

    fn deref(&self) -> &Session {
        &self.0
    }
}

impl Deref for Writer {
    type Target = Reader;

    fn deref(&self) -> &Reader {
        &self.0
    }
}

impl Deref for Admin {
    type Target = Writer;

    fn deref(&self) -> &Writer {
        &self.0
    }
}
