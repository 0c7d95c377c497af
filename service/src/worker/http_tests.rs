//! The HTTP executor against a real local server (raw HTTP over a TcpListener).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::http::{run_http, BODY_EXCERPT};
use super::Ending;

const LONG: Duration = Duration::from_secs(10);

/// Serves: /ok (200 "hello"), /method (200, echoes the method), /fail (500 with
/// a long body), /slow (answers after 30 s).
async fn server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                let mut req = Vec::new();
                let mut buf = [0u8; 1024];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&req).into_owned();
                let mut words = head.split_whitespace();
                let (method, path) = (words.next().unwrap_or("").to_owned(), words.next().unwrap_or(""));
                let (status, body) = match path {
                    "/ok" => ("200 OK", "hello".to_owned()),
                    "/method" => ("200 OK", method),
                    "/fail" => ("500 Internal Server Error", format!("boom: {}", "x".repeat(5000))),
                    "/slow" => {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        ("200 OK", "late".to_owned())
                    }
                    _ => ("404 Not Found", String::new()),
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(response.as_bytes()).await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn http_2xx_is_a_success_with_the_body_as_output() {
    let addr = server().await;
    let out = run_http(&format!("http://{addr}/ok"), "", LONG, CancellationToken::new()).await;
    assert_eq!(out.ending, Ending::HttpStatus(200));
    assert!(out.ending.is_success());
    assert_eq!(out.output, "hello");
    assert_eq!(out.error, None);
}

#[tokio::test]
async fn http_method_defaults_to_get_and_is_honoured_case_insensitively() {
    let addr = server().await;
    let url = format!("http://{addr}/method");
    assert_eq!(run_http(&url, "", LONG, CancellationToken::new()).await.output, "GET");
    assert_eq!(run_http(&url, "post", LONG, CancellationToken::new()).await.output, "POST");
}

#[tokio::test]
async fn http_500_fails_with_the_status_and_a_capped_body_excerpt() {
    let addr = server().await;
    let out = run_http(&format!("http://{addr}/fail"), "GET", LONG, CancellationToken::new()).await;
    assert_eq!(out.ending, Ending::HttpStatus(500));
    assert!(!out.ending.is_success());
    let error = out.error.unwrap();
    assert!(error.contains("HTTP 500 Internal Server Error: boom: xxx"), "{error}");
    assert!(error.len() < BODY_EXCERPT + 200, "error not capped: {} bytes", error.len());
    assert!(out.output.starts_with("boom: ") && out.output.ends_with("… [body truncated]"));
    assert!(out.output.len() < BODY_EXCERPT + 50);
}

#[tokio::test]
async fn http_slow_response_beyond_the_timeout_times_out() {
    let addr = server().await;
    let begun = Instant::now();
    let timeout = Duration::from_millis(500);
    let out = run_http(&format!("http://{addr}/slow"), "GET", timeout, CancellationToken::new()).await;
    assert_eq!(out.ending, Ending::TimedOut);
    assert!(begun.elapsed() < timeout + Duration::from_secs(3), "took {:?}", begun.elapsed());
    assert!(out.error.unwrap().contains("no complete response within 500ms"));
}

#[tokio::test]
async fn http_kill_request_aborts_the_request_as_killed() {
    let addr = server().await;
    let kill = CancellationToken::new();
    let (url, token) = (format!("http://{addr}/slow"), kill.clone());
    let task = tokio::spawn(async move { run_http(&url, "GET", LONG, token).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let begun = Instant::now();
    kill.cancel();
    let out = task.await.unwrap();
    assert_eq!(out.ending, Ending::Killed);
    assert!(begun.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn http_connection_refused_is_a_clear_failure() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    }; // closed again: nothing listens there now
    let out = run_http(&format!("http://127.0.0.1:{port}/"), "GET", LONG, CancellationToken::new()).await;
    assert_eq!(out.ending, Ending::Failed);
    let error = out.error.unwrap();
    assert!(error.contains("cannot connect") && error.to_lowercase().contains("refused"), "{error}");
}

#[tokio::test]
async fn http_invalid_url_or_method_fails_before_sending() {
    let out = run_http("not a url", "GET", LONG, CancellationToken::new()).await;
    assert_eq!(out.ending, Ending::Failed);
    assert!(out.error.unwrap().contains("invalid URL `not a url`"));
    let out = run_http("ftp://example.invalid/x", "GET", LONG, CancellationToken::new()).await;
    assert!(out.error.unwrap().contains("unsupported URL scheme `ftp`"));
    let out = run_http("http://127.0.0.1:1/", "GE T", LONG, CancellationToken::new()).await;
    assert!(out.error.unwrap().contains("invalid HTTP method `GE T`"));
}
