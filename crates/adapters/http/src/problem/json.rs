//! JSON body errors as problems: syntax errors are 400 `malformed_json`; a wrong type, an unknown
//! or missing field, an invalid value are 422 `invalid_body` naming the field.

use super::{ApiError, Detail, ProblemCode};

/// Turns a JSON body error into its problem: syntax errors are 400 `malformed_json`; a wrong
/// type, an unknown or missing field, an invalid value are 422 `invalid_body` naming the field.
pub fn json_error(error: &serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let inner = error.inner();
    match inner.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            ApiError::malformed_json(inner)
        }
        serde_json::error::Category::Io => ApiError::new(ProblemCode::MalformedBody, Detail::MalformedBody),
        serde_json::error::Category::Data => {
            let message = strip_position(&inner.to_string());
            let path = error.path().to_string();
            if path.starts_with('[') {
                // A struct read from an array: every body of this API is an object.
                return ApiError::new(ProblemCode::InvalidBody, Detail::NotAnObject);
            }
            let base = if path == "." { String::new() } else { path };
            let param = match named_field(&message) {
                // serde reports an unknown field at its own path, a missing one at its parent's.
                Some(field) if base.is_empty() => field.to_owned(),
                Some(field) if base == field || base.ends_with(&format!(".{field}")) => base,
                Some(field) => format!("{base}.{field}"),
                None => base,
            };
            let param = (!param.is_empty()).then_some(param);
            let problem = ApiError::new(
                ProblemCode::InvalidBody,
                Detail::InvalidField { param: param.clone(), message },
            );
            match param {
                Some(param) => problem.param(param),
                None => problem,
            }
        }
    }
}

impl ApiError {
    /// 400 `malformed_json` for a document that is not JSON, saying where it stopped.
    pub fn malformed_json(error: &serde_json::Error) -> Self {
        let message = error.to_string();
        ApiError::new(
            ProblemCode::MalformedJson,
            Detail::MalformedJson {
                message,
                eof: error.classify() == serde_json::error::Category::Eof,
                line: error.line(),
                column: error.column(),
            },
        )
    }
}

/// serde_json appends " at line L column C"; the detail reads better without it.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// The field named by "unknown field `x`" and "missing field `x`" messages, whose path is the
/// enclosing object.
fn named_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `").or_else(|| message.strip_prefix("missing field `"))?;
    rest.split('`').next()
}
