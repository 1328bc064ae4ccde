//! The route table's vocabulary: who may call a route, what it does with an idempotency key, and
//! the builder the tables of [`super::routes`] are written with.

use tollgate_domain::Right;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone.
    Public,
    /// Any authenticated caller (the user routes answer 403 to an API key).
    Caller,
    /// A platform API key with the `service` or `admin` role, or a platform admin.
    Platform,
    /// The right on the account of the path's `{key}`, as the app's policy decides it: 404 for a
    /// caller that may not see the account, 403 for one that may see but not do this.
    Account(Right),
    /// A platform admin (key or user).
    Admin,
}

/// What a route does with the `Idempotency-Key` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// Not a mutation: the header is not read.
    None,
    /// Optional; the first response is recorded and replayed (the idempotency middleware).
    Recorded,
    /// Optional and validated, but nothing is recorded: the route changes nothing (`check`), or
    /// its answer holds a secret that must never be stored (tokens, TOTP secrets, recovery codes)
    /// and repeating it is harmless or refused by the use case itself (single-use tokens).
    Accepted,
    /// Required (400 without it); the usage ledger itself makes the route exactly-once
    /// (`consume`, `release`: the handler takes the key).
    Ledger,
}

/// One operation of the API.
#[derive(Debug, Clone, Copy)]
pub struct RouteDoc {
    /// The HTTP method, lowercase.
    pub method: &'static str,
    /// The path template.
    pub path: &'static str,
    /// A unique operation id.
    pub operation_id: &'static str,
    /// One line.
    pub summary: &'static str,
    /// The group.
    pub tag: &'static str,
    /// Who may call it.
    pub access: Access,
    /// The `Idempotency-Key` header.
    pub idempotency: Idempotency,
    /// The request body schema.
    pub request: Option<&'static str>,
    /// The success status.
    pub status: u16,
    /// The success body schema (`None`: `text/plain`).
    pub response: Option<&'static str>,
}

pub(super) const fn route(
    method: &'static str,
    path: &'static str,
    operation_id: &'static str,
    summary: &'static str,
    tag: &'static str,
    access: Access,
) -> RouteDoc {
    RouteDoc {
        method,
        path,
        operation_id,
        summary,
        tag,
        access,
        idempotency: Idempotency::None,
        request: None,
        status: 200,
        response: None,
    }
}

impl RouteDoc {
    pub(super) const fn body(mut self, schema: &'static str, idempotency: Idempotency) -> Self {
        self.request = Some(schema);
        self.idempotency = idempotency;
        self
    }

    pub(super) const fn returns(mut self, status: u16, schema: &'static str) -> Self {
        self.status = status;
        self.response = Some(schema);
        self
    }

    pub(super) const fn idempotent(mut self) -> Self {
        self.idempotency = Idempotency::Recorded;
        self
    }

    pub(super) const fn accepted(mut self) -> Self {
        self.idempotency = Idempotency::Accepted;
        self
    }

    /// Answers `status` (202, 204) without a body.
    pub(super) const fn empty(mut self, status: u16) -> Self {
        self.status = status;
        self.response = None;
        self
    }

    /// Whether the success answer has no body.
    pub fn is_empty(&self) -> bool {
        matches!(self.status, 202 | 204)
    }
}
