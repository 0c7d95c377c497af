//! The HTTP executor: one request, 2xx is success. Anything else fails with the
//! status and the start of the body, because that is usually where the remote
//! side says what went wrong. Only a small excerpt of the body is ever read, so a
//! huge response costs nothing.

use std::error::Error as _;
use std::sync::OnceLock;
use std::time::Duration;

use reqwest::{Client, Method, Response, Url};
use tokio_util::sync::CancellationToken;

use super::outcome::{Ending, Outcome};
use super::output::trim_incomplete_end;

/// Bytes of the response body kept (and read at most).
pub const BODY_EXCERPT: usize = 2048;

fn client() -> &'static Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        Client::builder()
            .user_agent(concat!("cronkeeper/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_else(|_| Client::new())
    })
}

/// Sends `method` (empty means GET) to `url`; the whole exchange, body excerpt
/// included, must finish within `timeout`. `kill` aborts it (outcome `Killed`).
pub async fn run_http(url: &str, method: &str, timeout: Duration, kill: CancellationToken) -> Outcome {
    let method = match method.trim() {
        "" => Method::GET,
        m => match Method::from_bytes(m.to_ascii_uppercase().as_bytes()) {
            Ok(m) => m,
            Err(_) => return failed(format!("invalid HTTP method `{m}`")),
        },
    };
    let url = match Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        Ok(u) => return failed(format!("unsupported URL scheme `{}` in {url}", u.scheme())),
        Err(e) => return failed(format!("invalid URL `{url}`: {e}")),
    };
    let exchange = async {
        let response = client().request(method.clone(), url.clone()).send().await?;
        let status = response.status();
        Ok::<_, reqwest::Error>((status, read_excerpt(response).await))
    };
    tokio::select! {
        biased;
        _ = kill.cancelled() => Outcome {
            ending: Ending::Killed,
            exit_code: None,
            output: String::new(),
            error: Some("killed on request".to_owned()),
        },
        result = tokio::time::timeout(timeout, exchange) => match result {
            Err(_) => Outcome {
                ending: Ending::TimedOut,
                exit_code: None,
                output: String::new(),
                error: Some(format!("{method} {url}: no complete response within {timeout:?}")),
            },
            Ok(Err(e)) => failed(format!("{method} {url}: {}", describe(&e))),
            Ok(Ok((status, body))) => {
                let error = (!status.is_success()).then(|| {
                    let mut msg = format!("{method} {url}: HTTP {status}");
                    if !body.trim().is_empty() {
                        msg.push_str(": ");
                        msg.push_str(body.trim());
                    }
                    msg
                });
                Outcome { ending: Ending::HttpStatus(status.as_u16()), exit_code: None, output: body, error }
            }
        },
    }
}

fn failed(error: String) -> Outcome {
    Outcome { ending: Ending::Failed, exit_code: None, output: String::new(), error: Some(error) }
}

/// The first [`BODY_EXCERPT`] bytes of the body as lossy UTF-8, with a note if
/// there was more or if reading it failed.
async fn read_excerpt(mut response: Response) -> String {
    let mut bytes = Vec::new();
    let mut more = false;
    let mut read_error = None;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = BODY_EXCERPT - bytes.len();
                bytes.extend_from_slice(&chunk[..room.min(chunk.len())]);
                if chunk.len() > room {
                    more = true;
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                read_error = Some(describe(&e));
                break;
            }
        }
    }
    let kept = if more { trim_incomplete_end(&bytes) } else { &bytes };
    let mut text = String::from_utf8_lossy(kept).into_owned();
    if more {
        text.push_str("\n… [body truncated]");
    }
    if let Some(e) = read_error {
        text.push_str(&format!("\n[cronkeeper] reading the body failed: {e}"));
    }
    text
}

/// reqwest's own message is terse ("error sending request"); the cause chain
/// holds the useful part ("Connection refused").
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_redirect() {
        "too many redirects"
    } else if e.is_body() || e.is_decode() {
        "bad response body"
    } else {
        "request failed"
    };
    let mut msg = kind.to_owned();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !msg.contains(&s_text) {
            msg.push_str(": ");
            msg.push_str(&s_text);
        }
        source = s.source();
    }
    msg
}
