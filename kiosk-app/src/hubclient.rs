//! The two ways the kiosk reaches the hub: in-process (the default) and over the LAN API.

use std::time::Duration;

use motcua_hub::api::{
    ApiError, Catalog, ConfirmRequest, CounterAction, CounterReply, Delivery, IssueRequest, QueueSnapshot, Ticket,
};
use motcua_hub::{ErrorKind, Hub};

use crate::backend::{BackendError, HubClient};

/// The hub running inside this process.
#[derive(Debug, Clone)]
pub struct LocalHub {
    hub: Hub,
    device_id: String,
}

impl LocalHub {
    /// Wrap a hub; `device_id` goes into every event this kiosk causes.
    pub fn new(hub: Hub, device_id: impl Into<String>) -> Self {
        Self { hub, device_id: device_id.into() }
    }

    /// The hub.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// A counter action as this device.
    pub fn counter_action(&self, counter: u32, action: CounterAction) -> Result<CounterReply, BackendError> {
        self.hub.blocking_counter(&self.device_id, counter, action).map_err(from_hub)
    }

    /// The queue as displays and counter screens see it.
    pub fn queue(&self) -> Result<QueueSnapshot, BackendError> {
        Ok(self.hub.snapshot())
    }
}

fn from_hub(e: motcua_hub::Error) -> BackendError {
    match e.kind() {
        ErrorKind::Invalid | ErrorKind::Empty => {
            BackendError::Refused { code: e.code().to_owned(), message: e.to_string() }
        }
        ErrorKind::Unavailable | ErrorKind::Config => BackendError::Internal(e.to_string()),
    }
}

impl HubClient for LocalHub {
    fn catalog(&self) -> Result<Catalog, BackendError> {
        Ok(self.hub.catalog())
    }

    fn issue(&self, req: &IssueRequest) -> Result<Ticket, BackendError> {
        self.hub.blocking_issue(&self.device_id, req).map_err(from_hub)
    }

    fn confirm(&self, ticket_id: &str, delivery: Delivery) -> Result<Ticket, BackendError> {
        self.hub.blocking_confirm(&self.device_id, ticket_id, delivery).map_err(from_hub)
    }
}

/// A hub elsewhere on the office LAN, reached over its HTTP API with this device's token.
#[derive(Debug, Clone)]
pub struct RemoteHub {
    base: String,
    token: String,
    agent: ureq::Agent,
}

impl RemoteHub {
    /// `base` like `http://192.0.2.10:8700`; `token` from the hub's `[[device]]` table.
    pub fn new(base: &str, token: &str) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .into();
        Self { base: base.trim_end_matches('/').to_owned(), token: token.to_owned(), agent }
    }

    fn check(
        &self,
        mut resp: ureq::http::Response<ureq::Body>,
    ) -> Result<ureq::http::Response<ureq::Body>, BackendError> {
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let err: Option<ApiError> = resp.body_mut().read_json().ok();
        let (code, message) =
            err.map_or_else(|| (status.as_str().to_owned(), status.to_string()), |e| (e.code, e.message));
        if status.is_server_error() {
            Err(BackendError::Internal(format!("{code}: {message}")))
        } else {
            Err(BackendError::Refused { code, message })
        }
    }
}

impl RemoteHub {
    /// A counter action with this device's token.
    pub fn counter_action(&self, counter: u32, action: CounterAction) -> Result<CounterReply, BackendError> {
        let resp = self
            .agent
            .post(format!("{}/api/v1/counters/{counter}/actions", self.base))
            .header("Authorization", format!("Bearer {}", self.token))
            .send_json(&action)
            .map_err(unreachable)?;
        self.check(resp)?.body_mut().read_json().map_err(|e| BackendError::Internal(format!("bad reply: {e}")))
    }

    /// `GET /api/v1/queue`: who waits and what every counter does.
    pub fn queue(&self) -> Result<QueueSnapshot, BackendError> {
        let resp = self
            .agent
            .get(format!("{}/api/v1/queue", self.base))
            .header("Authorization", format!("Bearer {}", self.token))
            .call()
            .map_err(unreachable)?;
        self.check(resp)?.body_mut().read_json().map_err(|e| BackendError::Internal(format!("bad queue: {e}")))
    }
}

fn unreachable(e: ureq::Error) -> BackendError {
    BackendError::Unreachable(e.to_string())
}

impl HubClient for RemoteHub {
    fn catalog(&self) -> Result<Catalog, BackendError> {
        let resp = self
            .agent
            .get(format!("{}/api/v1/catalog", self.base))
            .header("Authorization", format!("Bearer {}", self.token))
            .call()
            .map_err(unreachable)?;
        self.check(resp)?.body_mut().read_json().map_err(|e| BackendError::Internal(format!("bad catalog: {e}")))
    }

    fn issue(&self, req: &IssueRequest) -> Result<Ticket, BackendError> {
        let resp = self
            .agent
            .post(format!("{}/api/v1/tickets", self.base))
            .header("Authorization", format!("Bearer {}", self.token))
            .send_json(req)
            .map_err(unreachable)?;
        self.check(resp)?.body_mut().read_json().map_err(|e| BackendError::Internal(format!("bad ticket: {e}")))
    }

    fn confirm(&self, ticket_id: &str, delivery: Delivery) -> Result<Ticket, BackendError> {
        let resp = self
            .agent
            .post(format!("{}/api/v1/tickets/{ticket_id}/confirm", self.base))
            .header("Authorization", format!("Bearer {}", self.token))
            .send_json(ConfirmRequest { delivery })
            .map_err(unreachable)?;
        self.check(resp)?.body_mut().read_json().map_err(|e| BackendError::Internal(format!("bad ticket: {e}")))
    }
}
