//! A lane queue message carries one run id and nothing else: the body is the
//! id in decimal ASCII (`12345`), so an operator reading the queue or the
//! dead-letter queue sees which run it names. It is persistent, so a durable
//! queue keeps it across a broker restart.

use lapin::BasicProperties;

use crate::domain::RunId;

pub fn body(id: RunId) -> Vec<u8> {
    id.to_string().into_bytes()
}

pub fn properties(id: RunId) -> BasicProperties {
    BasicProperties::default()
        .with_delivery_mode(2)
        .with_content_type("text/plain".into())
        .with_message_id(id.to_string().as_str().into())
        .with_app_id("cronkeeper".into())
}

/// The run id a body names, or why it names none.
pub fn parse(body: &[u8]) -> Result<RunId, String> {
    let text = std::str::from_utf8(body).map_err(|_| format!("the body is not text ({} bytes)", body.len()))?;
    let text = text.trim();
    match text.parse::<RunId>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(format!("the body `{}` is not a run id", text.chars().take(64).collect::<String>())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_names_its_run_and_reads_back() {
        assert_eq!(body(12345), b"12345");
        assert_eq!(parse(&body(12345)), Ok(12345));
        assert_eq!(parse(b" 7\n"), Ok(7));
    }

    #[test]
    fn anything_but_a_positive_id_is_refused_with_the_reason() {
        assert!(parse(b"").unwrap_err().contains("not a run id"));
        assert!(parse(b"-3").unwrap_err().contains("`-3`"));
        assert!(parse(b"{\"run\":1}").is_err());
        assert!(parse(&[0xff, 0xfe]).unwrap_err().contains("not text"));
    }
}
