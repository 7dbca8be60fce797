//! The HTTP endpoints, on `http.listen` (loopback by default), served by one thread:
//!
//! - `/metrics`: the Prometheus text format;
//! - `/healthz`: 200 while the process runs;
//! - `/readyz`: 200 once the consumer group has given this process its partitions and the
//!   shards run, 503 otherwise (starting, rebalancing, draining).

use metrics_exporter_prometheus::PrometheusHandle;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use tiny_http::{Header, Method, Response, Server};

/// Whether the process is ready.
pub type Readiness = Arc<dyn Fn() -> bool + Send + Sync>;

/// A bound HTTP port; [`Http::serve`] starts answering.
pub struct Http {
    server: Arc<Server>,
    addr: SocketAddr,
    thread: Option<JoinHandle<()>>,
}

impl Http {
    /// Binds the port (so a taken port fails at startup, before anything else starts).
    pub fn bind(addr: SocketAddr) -> io::Result<Http> {
        let server = Server::http(addr).map_err(|e| io::Error::new(io::ErrorKind::AddrInUse, e.to_string()))?;
        let addr = server.server_addr().to_ip().unwrap_or(addr);
        Ok(Http { server: Arc::new(server), addr, thread: None })
    }

    /// The bound address (the port chosen when `listen` asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Answers requests on a thread until dropped.
    pub fn serve(&mut self, metrics: Option<PrometheusHandle>, ready: Readiness) -> io::Result<()> {
        let server = self.server.clone();
        let thread = std::thread::Builder::new().name("slad-http".into()).spawn(move || {
            for request in server.incoming_requests() {
                let response = respond(request.method(), request.url(), metrics.as_ref(), &ready);
                if let Err(error) = request.respond(response) {
                    tracing::debug!(%error, "http response not sent");
                }
            }
        })?;
        self.thread = Some(thread);
        Ok(())
    }
}

impl Drop for Http {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn text(status: u16, body: String, content_type: &str) -> Response<io::Cursor<Vec<u8>>> {
    let header = Header::from_bytes(&b"Content-Type"[..], content_type.as_bytes()).expect("a valid header");
    Response::from_string(body).with_status_code(status).with_header(header)
}

fn respond(
    method: &Method,
    url: &str,
    metrics: Option<&PrometheusHandle>,
    ready: &Readiness,
) -> Response<io::Cursor<Vec<u8>>> {
    const PLAIN: &str = "text/plain; charset=utf-8";
    if !matches!(method, Method::Get | Method::Head) {
        return text(405, "method not allowed\n".into(), PLAIN);
    }
    let path = url.split(['?', '#']).next().unwrap_or("");
    match path {
        "/metrics" => {
            crate::metrics::set_build_info();
            crate::metrics::set_ready(ready());
            let body = metrics.map(PrometheusHandle::render).unwrap_or_default();
            text(200, body, "text/plain; version=0.0.4; charset=utf-8")
        }
        "/healthz" => text(200, "ok\n".into(), PLAIN),
        "/readyz" if ready() => text(200, "ready\n".into(), PLAIN),
        "/readyz" => text(503, "not ready\n".into(), PLAIN),
        _ => text(404, "not found: try /metrics, /healthz, /readyz\n".into(), PLAIN),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::sync::atomic::{AtomicBool, Ordering};

    fn get(addr: SocketAddr, path: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(addr).unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response.split(' ').nth(1).unwrap().parse().unwrap();
        let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
        (status, body)
    }

    #[test]
    fn health_and_readiness() {
        let flag = Arc::new(AtomicBool::new(false));
        let probe = flag.clone();
        let mut http = Http::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        http.serve(None, Arc::new(move || probe.load(Ordering::Relaxed))).unwrap();
        let addr = http.local_addr();
        assert_eq!(get(addr, "/healthz").0, 200);
        assert_eq!(get(addr, "/readyz").0, 503);
        flag.store(true, Ordering::Relaxed);
        assert_eq!(get(addr, "/readyz?verbose").0, 200);
        assert_eq!(get(addr, "/nope").0, 404);
        assert_eq!(get(addr, "/metrics").0, 200);
        drop(http);
    }
}
