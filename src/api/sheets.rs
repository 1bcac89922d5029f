//! `GET /sheets/{admin_code}.pdf`: one printed map sheet (see [`crate::render::sheet`]),
//! as `riskatlas sheets` writes them, for the unit the user may see.

use super::{ApiError, AppState};
use crate::render::sheet::paper::Paper;
use crate::render::sheet::pdf::PdfError;
use crate::render::sheet::{SheetError, SheetOptions, plan_line, sheet};
use crate::service::ServiceError;
use crate::service::access::Identity;
use crate::service::analyses::evacuate_within;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
// A misspelt parameter is refused, not silently ignored.
#[serde(deny_unknown_fields)]
pub struct SheetQuery {
    paper: Option<String>,
    request: Option<String>,
}

/// `GET /sheets/{admin_code}.pdf[?paper=A4|A3][&request=<evacuation request JSON>]`.
pub async fn pdf(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Path(file): Path<String>,
    query: Result<Query<SheetQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let code = file
        .strip_suffix(".pdf")
        .ok_or_else(|| {
            ApiError::not_found(format!("sheets are PDF files: ask for /sheets/{file}.pdf"))
        })?
        .to_string();
    let paper = q
        .paper
        .as_deref()
        .map(Paper::parse)
        .transpose()
        .map_err(ApiError::bad_request)?
        .unwrap_or_default();
    let request = q
        .request
        .map(|r| super::json_param(Some(r), "request"))
        .transpose()?;
    let (snapshot, budget) = (state.snapshot_for(&who).await?, state.budget());
    let date = crate::service::audit::now()[..10].to_string();
    let pdf = super::blocking(move || {
        let planned = match request {
            None => None,
            Some(body) => {
                let (snapshot, body) = super::impact::within(snapshot.clone(), body)?;
                Some(evacuate_within(
                    &snapshot,
                    snapshot.road_graph(),
                    body,
                    &budget,
                )?)
            }
        };
        let options = SheetOptions {
            paper,
            date,
            plan: planned.as_ref().map(|(impact, plan)| {
                (&impact.hazards[..], plan, plan_line(&impact.hazards, plan))
            }),
        };
        let sheet = sheet(&snapshot, &code, &options).map_err(|e| match e {
            SheetError::UnknownUnit(_) | SheetError::NoArea(_) => {
                ServiceError::NotFound(e.to_string())
            }
            SheetError::Render(e) => ServiceError::Unavailable(e.to_string()),
        })?;
        // No Chinese font on the server is its set-up, not the request: 503 with what
        // to install.
        let pdf = sheet
            .to_pdf()
            .map_err(|e: PdfError| ServiceError::Unavailable(e.to_string()))?;
        Ok((pdf, sheet.code))
    })
    .await?;
    Ok((
        [
            (CONTENT_TYPE, "application/pdf".to_string()),
            (
                CONTENT_DISPOSITION,
                format!("inline; filename=\"{}.pdf\"", pdf.1),
            ),
        ],
        pdf.0,
    )
        .into_response())
}
