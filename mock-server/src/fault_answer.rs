//! How a request that a fault rule fired on gets served and answered: the route runs (or not),
//! then the answer is bent the way the rule says, and the stats count what the client gets.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use axum::response::IntoResponse;
use axum::Router;
use hyper::body::Incoming;
use serde_json::json;

use crate::envelope::ApiError;
use crate::faults::Action;
use crate::padded_body;
use crate::routes::call;
use crate::state::{lock, Shared};
use crate::stats::DROPPED;

/// The body a `malformed` fault answers with.
const MALFORMED_BODY: &str = "{\"success\":tru";

/// The largest route answer a `body` rule reads for `{original}` (downloads are the biggest).
const ORIGINAL_LIMIT: usize = 64 * 1024 * 1024;

/// What the connection gets.
pub enum Outcome {
    /// Write this response.
    Answer(Response<Body>),
    /// Close the connection without a response.
    Close,
}

/// Serves `req` under `action` and counts the result. When the route runs, it runs in a task of
/// its own: a client that hangs up drops this future, and the action must not stop half-way.
pub async fn serve(
    shared: Arc<Shared>,
    app: Router,
    req: Request<Incoming>,
    route: &'static str,
    action: Action,
) -> Outcome {
    if !action.acts() {
        return answer(shared, app, req, route, action).await;
    }
    let task = tokio::spawn(answer(shared.clone(), app, req, route, action));
    match task.await {
        Ok(outcome) => outcome,
        // Only a panicking handler gets here.
        Err(_) => {
            lock(&shared.stats).record(route, 500);
            Outcome::Answer(
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL_SERVER_ERROR",
                    "Lỗi hệ thống. Vui lòng thử lại sau.",
                )
                .into_response(),
            )
        }
    }
}

async fn answer(
    shared: Arc<Shared>,
    app: Router,
    req: Request<Incoming>,
    route: &'static str,
    action: Action,
) -> Outcome {
    // Read before the router takes the request; only `body` rules need it.
    let authorization = match &action {
        Action::Body { .. } => req
            .headers()
            .get(header::AUTHORIZATION)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default(),
        _ => String::new(),
    };
    let original = if action.acts() {
        Some(call(app, req).await)
    } else {
        None
    };
    let resp = match action {
        Action::Pass => original.unwrap_or_else(|| StatusCode::OK.into_response()),
        Action::Status(err) => err.into_response(),
        Action::Drop => {
            lock(&shared.stats).record(route, DROPPED);
            return Outcome::Close;
        }
        Action::Malformed => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            MALFORMED_BODY,
        )
            .into_response(),
        Action::Stream(padding) => padded_body::response(padding, shared.stop.clone()),
        Action::Redirect { status, location } => {
            let target = String::from_utf8_lossy(location.as_bytes()).into_owned();
            (
                status,
                [(header::LOCATION, location)],
                axum::Json(json!({"redirect": target})),
            )
                .into_response()
        }
        Action::Body {
            status, template, ..
        } => {
            let original = match original {
                Some(resp) => axum::body::to_bytes(resp.into_body(), ORIGINAL_LIMIT)
                    .await
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default(),
                None => String::new(),
            };
            (
                status,
                [(header::CONTENT_TYPE, "application/json")],
                fill(&template, &authorization, &original),
            )
                .into_response()
        }
    };
    lock(&shared.stats).record(route, resp.status().as_u16());
    Outcome::Answer(resp)
}

/// `template` with `{authorization}` and `{original}` replaced, in one pass, so that text put in
/// is never scanned for placeholders again.
pub fn fill(template: &str, authorization: &str, original: &str) -> String {
    let mut out = String::with_capacity(template.len() + original.len() + authorization.len());
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let at = &rest[i..];
        if let Some(after) = at.strip_prefix("{authorization}") {
            out.push_str(authorization);
            rest = after;
        } else if let Some(after) = at.strip_prefix("{original}") {
            out.push_str(original);
            rest = after;
        } else {
            out.push('{');
            rest = &at[1..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::fill;

    #[test]
    fn fill_replaces_once() {
        assert_eq!(
            fill(
                "{\"a\":\"{authorization}\",\"o\":{original}}",
                "Bearer t",
                "{\"x\":1}"
            ),
            "{\"a\":\"Bearer t\",\"o\":{\"x\":1}}"
        );
        // Substituted text is not scanned again.
        assert_eq!(
            fill("{original}", "A", "{authorization}"),
            "{authorization}"
        );
        assert_eq!(fill("{ {origin} {", "A", "O"), "{ {origin} {");
        assert_eq!(fill("", "A", "O"), "");
    }
}
