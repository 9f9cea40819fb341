//! The hub's LAN API: HTTP/JSON plus a Server-Sent Events push stream, never polling.
//!
//! Every route but `/health` and `/api/v1/openapi.json` needs `Authorization: Bearer <token>`,
//! one token per device from the `[[device]]` table of the configuration; the device's id goes
//! into every event it causes, and its role limits what it may do. The OpenAPI document is
//! generated from the handlers and the wire types (`utoipa`), so it cannot drift from the code.
//!
//! Not here: TLS (the hub serves the office LAN; put it behind a reverse proxy with TLS where the
//! LAN is not trusted), rate limiting.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::Stream;
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use utoipa::OpenApi;

use crate::Hub;
use crate::api::{ApiError, Catalog, CounterAction, CounterReply, EventEnvelope, IssueRequest, QueueSnapshot, Ticket};
use crate::config::DeviceRole;
use crate::error::{Error, ErrorKind};

/// The generated OpenAPI document of this API.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "motcua hub LAN API", description = "Office queue hub: catalog, tickets, counters, push stream."),
    paths(get_catalog, post_ticket, post_confirm, post_counter_action, get_queue, get_events, get_health),
    components(schemas(
        Catalog, IssueRequest, Ticket, CounterAction, CounterReply, QueueSnapshot, EventEnvelope, ApiError, Health,
        crate::api::OfficeInfo, crate::api::FieldInfo, crate::api::PriorityClassInfo, crate::api::WaitRange,
        crate::api::TicketStatus, crate::api::CounterState, crate::api::ConfirmRequest, crate::api::Delivery,
        crate::api::RatingWindowInfo, crate::api::RatingScale, crate::api::RatingKeyInfo,
        crate::config::NationalLevel
    )),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI document as pretty JSON.
pub fn openapi_json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// Health summary.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok` when the hub answers.
    pub status: String,
    /// Office id.
    pub office_id: String,
    /// Events in the outbox not yet delivered to the central system.
    pub outbox_backlog: u64,
    /// Time of the oldest undelivered event.
    pub outbox_oldest: Option<String>,
    /// Tickets waiting now.
    pub waiting: u32,
}

/// The caller, identified by its bearer token.
#[derive(Debug, Clone)]
pub struct Device {
    /// Device id from the configuration.
    pub id: String,
    /// Its role.
    pub role: DeviceRole,
    /// Counters a counter device may act for (empty = any).
    pub counters: Vec<u32>,
}

impl FromRequestParts<Hub> for Device {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, hub: &Hub) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let Some(token) = token else {
            return Err(api_error(StatusCode::UNAUTHORIZED, "unauthorized", "missing bearer token"));
        };
        // Compare against every token in constant time so timing does not reveal a prefix.
        let mut found = None;
        for d in &hub.config().devices {
            if bool::from(d.token.as_bytes().ct_eq(token.as_bytes())) {
                found = Some(Device { id: d.id.clone(), role: d.role, counters: d.counters.clone() });
            }
        }
        found.ok_or_else(|| api_error(StatusCode::UNAUTHORIZED, "unauthorized", "unknown token"))
    }
}

impl Device {
    /// The 403 reply when this device's role is not among `allowed` (admins may do anything).
    fn forbidden(&self, allowed: &[DeviceRole]) -> Option<Response> {
        if self.role == DeviceRole::Admin || allowed.contains(&self.role) {
            None
        } else {
            Some(api_error(StatusCode::FORBIDDEN, "forbidden", &format!("device {} may not do this", self.id)))
        }
    }
}

fn api_error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(ApiError { code: code.to_owned(), message: message.to_owned() })).into_response()
}

fn hub_error(e: &Error) -> Response {
    let status = match e.kind() {
        ErrorKind::Invalid => match e {
            Error::UnknownField(_)
            | Error::UnknownCounter(_)
            | Error::UnknownPriorityClass(_)
            | Error::UnknownTicket(_) => StatusCode::NOT_FOUND,
            _ => StatusCode::CONFLICT,
        },
        ErrorKind::Empty => StatusCode::CONFLICT,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Config => StatusCode::INTERNAL_SERVER_ERROR,
    };
    api_error(status, e.code(), &e.to_string())
}

/// The router with every route, ready to serve.
pub fn router(hub: Hub) -> Router {
    Router::new()
        .route("/", get(get_health_page))
        .route("/health", get(get_health))
        .route("/metrics", get(get_metrics))
        .route("/api/v1/openapi.json", get(|| async { ([(header::CONTENT_TYPE, "application/json")], openapi_json()) }))
        .route("/api/v1/catalog", get(get_catalog))
        .route("/api/v1/tickets", post(post_ticket))
        .route("/api/v1/tickets/{id}/confirm", post(post_confirm))
        .route("/api/v1/queue", get(get_queue))
        .route("/api/v1/counters/{number}/actions", post(post_counter_action))
        .route("/api/v1/events", get(get_events))
        .with_state(hub)
}

/// Serve the API on `listener` until `shutdown` completes.
pub async fn serve(
    hub: Hub,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(hub)).with_graceful_shutdown(shutdown).await
}

/// Hub health and outbox backlog.
#[utoipa::path(get, path = "/health", responses((status = 200, body = Health)))]
async fn get_health(State(hub): State<Hub>) -> Response {
    let h = hub.clone();
    let stats = tokio::task::spawn_blocking(move || h.outbox_stats()).await;
    match stats {
        Ok(Ok((backlog, oldest))) => {
            let waiting = hub.catalog().fields.iter().map(|f| f.waiting).sum();
            Json(Health {
                status: "ok".into(),
                office_id: hub.config().office.id.clone(),
                outbox_backlog: backlog,
                outbox_oldest: oldest,
                waiting,
            })
            .into_response()
        }
        Ok(Err(e)) => hub_error(&e),
        Err(e) => api_error(StatusCode::INTERNAL_SERVER_ERROR, "internal", &e.to_string()),
    }
}

/// What the health page and the metrics show, gathered once.
struct Figures {
    backlog: u64,
    oldest: Option<String>,
    oldest_age_secs: Option<i64>,
    catalog: Catalog,
    snapshot: QueueSnapshot,
    commits: u64,
    commands: u64,
}

async fn figures(hub: &Hub) -> Result<Figures, Response> {
    let h = hub.clone();
    let (backlog, oldest) = match tokio::task::spawn_blocking(move || h.outbox_stats()).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Err(hub_error(&e)),
        Err(e) => return Err(api_error(StatusCode::INTERNAL_SERVER_ERROR, "internal", &e.to_string())),
    };
    let oldest_age_secs = oldest
        .as_deref()
        .and_then(|o| o.parse::<jiff::Timestamp>().ok())
        .map(|t| (jiff::Timestamp::now() - t).get_seconds().max(0));
    let (commits, commands) = hub.writer_stats();
    Ok(Figures {
        backlog,
        oldest,
        oldest_age_secs,
        catalog: hub.catalog(),
        snapshot: hub.snapshot(),
        commits,
        commands,
    })
}

/// Prometheus metrics (text format 0.0.4): outbox backlog and age, queue lengths, counters.
/// No personal data: numbers and counts only.
async fn get_metrics(State(hub): State<Hub>) -> Response {
    let f = match figures(&hub).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, String)]| {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        for (labels, value) in samples {
            out.push_str(&format!("{name}{labels} {value}\n"));
        }
    };
    metric(
        "motcua_outbox_backlog",
        "gauge",
        "Events not yet delivered to the central system.",
        &[(String::new(), f.backlog.to_string())],
    );
    if let Some(age) = f.oldest_age_secs {
        metric(
            "motcua_outbox_oldest_age_seconds",
            "gauge",
            "Age of the oldest undelivered event.",
            &[(String::new(), age.to_string())],
        );
    }
    let waiting: Vec<_> =
        f.catalog.fields.iter().map(|x| (format!("{{field=\"{}\"}}", x.id), x.waiting.to_string())).collect();
    metric("motcua_queue_waiting", "gauge", "Tickets waiting per service field.", &waiting);
    let open: Vec<_> = f
        .snapshot
        .counters
        .iter()
        .map(|c| (format!("{{counter=\"{}\"}}", c.number), u8::from(c.open).to_string()))
        .collect();
    metric("motcua_counter_open", "gauge", "1 when an officer has opened the counter.", &open);
    metric(
        "motcua_hub_commits_total",
        "counter",
        "Durable transactions committed by the hub.",
        &[(String::new(), f.commits.to_string())],
    );
    metric(
        "motcua_hub_commands_total",
        "counter",
        "Commands carried by those transactions.",
        &[(String::new(), f.commands.to_string())],
    );
    for source in hub.health_sources() {
        for (name, help, value) in source.metrics() {
            metric(&name, "gauge", &help, &[(String::new(), value.to_string())]);
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The health page for office IT staff: plain HTML, Vietnamese first, refreshes itself.
async fn get_health_page(State(hub): State<Hub>) -> Response {
    let f = match figures(&hub).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let mut rows = String::new();
    for x in &f.catalog.fields {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&x.letter),
            esc(&x.name_vi),
            x.waiting,
            x.counters_open
        ));
    }
    let mut counters = String::new();
    for c in &f.snapshot.counters {
        counters.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.name),
            if c.open { "Đang mở / open" } else { "Đóng / closed" },
            c.current.as_ref().map(|t| esc(&t.number)).unwrap_or_default()
        ));
    }
    let mut sections = String::new();
    for source in hub.health_sources() {
        sections.push_str(&format!("<h2>{}</h2><table>", esc(&source.title())));
        for (label, value) in source.rows() {
            sections.push_str(&format!("<tr><td>{}</td><td>{}</td></tr>", esc(&label), esc(&value)));
        }
        sections.push_str("</table>");
    }
    let oldest = match (&f.oldest, f.oldest_age_secs) {
        (Some(o), Some(age)) => format!("{} ({} phút trước / min ago)", esc(o), age / 60),
        _ => "—".to_owned(),
    };
    let page = format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"10\">\
         <title>Tình trạng hệ thống / Health — {office}</title>\
         <style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:.3em .8em}}</style>\
         </head><body><h1>{office}</h1>\
         <h2>Hàng đợi gửi về hệ thống tỉnh / Outbox</h2><p>Chưa gửi / undelivered: <b>{backlog}</b> — cũ nhất / oldest: {oldest}</p>\
         {sections}\
         <h2>Lĩnh vực / Fields</h2><table><tr><th>Dãy số</th><th>Lĩnh vực</th><th>Đang chờ / waiting</th><th>Quầy mở / open counters</th></tr>{rows}</table>\
         <h2>Quầy / Counters</h2><table><tr><th>Quầy</th><th>Trạng thái / state</th><th>Đang phục vụ / current</th></tr>{counters}</table>\
         <p>Giao dịch đã ghi / commits: {commits}; lệnh / commands: {commands}. <a href=\"/metrics\">Prometheus</a> · <a href=\"/api/v1/openapi.json\">OpenAPI</a></p>\
         </body></html>",
        office = esc(&f.catalog.office.name_vi),
        backlog = f.backlog,
        commits = f.commits,
        commands = f.commands,
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
}

/// The catalog with live waiting counts.
#[utoipa::path(get, path = "/api/v1/catalog", security(("bearer" = [])), responses((status = 200, body = Catalog), (status = 401, body = ApiError)))]
async fn get_catalog(State(hub): State<Hub>, _device: Device) -> Json<Catalog> {
    Json(hub.catalog())
}

/// Issue a ticket. The reply comes only after the ticket is durable.
#[utoipa::path(post, path = "/api/v1/tickets", security(("bearer" = [])), request_body = IssueRequest,
    responses((status = 201, body = Ticket), (status = 404, body = ApiError), (status = 401, body = ApiError), (status = 503, body = ApiError)))]
async fn post_ticket(State(hub): State<Hub>, device: Device, Json(req): Json<IssueRequest>) -> Response {
    if let Some(r) = device.forbidden(&[DeviceRole::Kiosk]) {
        return r;
    }
    match hub.issue(&device.id, &req).await {
        Ok(t) => (StatusCode::CREATED, Json(t)).into_response(),
        Err(e) => hub_error(&e),
    }
}

/// Confirm how the citizen got a ticket issued with `hold_for_print`: printed (counted as
/// issued) or shown on screen after a failed print (valid, not counted as issued).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/confirm", security(("bearer" = [])), request_body = crate::api::ConfirmRequest,
    params(("id" = String, Path, description = "Ticket id")),
    responses((status = 200, body = Ticket), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
async fn post_confirm(
    State(hub): State<Hub>,
    device: Device,
    Path(id): Path<String>,
    Json(req): Json<crate::api::ConfirmRequest>,
) -> Response {
    if let Some(r) = device.forbidden(&[DeviceRole::Kiosk]) {
        return r;
    }
    match hub.confirm(&device.id, &id, req.delivery).await {
        Ok(t) => Json(t).into_response(),
        Err(e) => hub_error(&e),
    }
}

/// Queue snapshot: waiting tickets in policy order and each counter's state.
#[utoipa::path(get, path = "/api/v1/queue", security(("bearer" = [])), responses((status = 200, body = QueueSnapshot)))]
async fn get_queue(State(hub): State<Hub>, _device: Device) -> Json<QueueSnapshot> {
    Json(hub.snapshot())
}

/// A counter's action: open, close, call_next, recall, skip, start, finish, transfer.
#[utoipa::path(post, path = "/api/v1/counters/{number}/actions", security(("bearer" = [])), request_body = CounterAction,
    params(("number" = u32, Path, description = "Counter number")),
    responses((status = 200, body = CounterReply), (status = 409, body = ApiError), (status = 404, body = ApiError)))]
async fn post_counter_action(
    State(hub): State<Hub>,
    device: Device,
    Path(number): Path<u32>,
    Json(action): Json<CounterAction>,
) -> Response {
    if let Some(r) = device.forbidden(&[DeviceRole::Counter]) {
        return r;
    }
    if device.role == DeviceRole::Counter && !device.counters.is_empty() && !device.counters.contains(&number) {
        return api_error(
            StatusCode::FORBIDDEN,
            "forbidden",
            &format!("device {} may not act for counter {number}", device.id),
        );
    }
    match hub.counter(&device.id, number, action).await {
        Ok(r) => Json(r).into_response(),
        Err(e) => hub_error(&e),
    }
}

/// Push stream (Server-Sent Events) of committed events. Each SSE event is named by the event's
/// kind and carries an [`EventEnvelope`]; `id:` is the per-office sequence number. A subscriber
/// that falls too far behind gets a `lagged` event and should re-read `/api/v1/queue`.
#[utoipa::path(get, path = "/api/v1/events", security(("bearer" = [])),
    responses((status = 200, description = "text/event-stream of EventEnvelope", content_type = "text/event-stream")))]
async fn get_events(State(hub): State<Hub>, _device: Device) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let stream = BroadcastStream::new(hub.subscribe()).map(|item| {
        Ok(match item {
            Ok(env) => SseEvent::default()
                .event(env.kind.clone())
                .id(env.seq.to_string())
                .json_data(&env)
                .unwrap_or_else(|_| SseEvent::default().event("error")),
            Err(BroadcastStreamRecvError::Lagged(n)) => SseEvent::default().event("lagged").data(n.to_string()),
        })
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
