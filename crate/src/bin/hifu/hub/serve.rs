//! `hifu hub serve`: the hub's progress dashboard (`web/hub.html`) on 127.0.0.1, with the same
//! strict headers as the site pages. `/api/status` opens the store for each request and lets go
//! of it at once, so other `hifu hub` commands can run while the page is open.

use super::store::Store;
use super::{status, Failure};
use crate::keys::os_rng;
use crate::serve::{lookup, respond_file, respond_with};
use hifu::seal::HubPrivateKey;
use std::io::Write;
use std::path::PathBuf;
use tiny_http::{Method, Server};

pub fn serve(store: PathBuf, key: HubPrivateKey, port: u16) -> Result<(), Failure> {
    // Refuse a wrong key or folder now rather than on the first page load.
    drop(Store::open(&store, key.clone(), os_rng().map_err(Failure::Data)?)?);
    let server = Server::http(("127.0.0.1", port))
        .map_err(|e| Failure::Usage(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
    let port = server.server_addr().to_ip().map(|a| a.port()).unwrap_or(port);
    say!("hifu hub: dashboard on http://127.0.0.1:{port}/ (Ctrl-C to stop)");
    let _ = std::io::stdout().flush();
    for request in server.incoming_requests() {
        let path = request.url().split(['?', '#']).next().unwrap_or("").to_owned();
        let response = match (request.method(), path.as_str()) {
            (Method::Get | Method::Head, "/api/status") => {
                let (code, body) = match status_json(&store, &key) {
                    Ok(json) => (200, json),
                    Err(Failure::Usage(e) | Failure::Data(e)) => (
                        503,
                        serde_json::json!({ "error": e }).to_string().into_bytes(),
                    ),
                };
                respond_with(code, body, "application/json", &[])
            }
            (Method::Get | Method::Head, "/" | "/index.html") => match lookup("/hub.html") {
                Some(found) => respond_file(&request, found),
                None => respond_with(404, b"not found\n".to_vec(), "text/plain; charset=utf-8", &[]),
            },
            (Method::Get | Method::Head, _) => match lookup(&path) {
                Some(found) => respond_file(&request, found),
                None => respond_with(404, b"not found\n".to_vec(), "text/plain; charset=utf-8", &[]),
            },
            _ => respond_with(405, b"method not allowed\n".to_vec(), "text/plain; charset=utf-8", &[]),
        };
        let _ = request.respond(response);
    }
    Ok(())
}

fn status_json(store: &std::path::Path, key: &HubPrivateKey) -> Result<Vec<u8>, Failure> {
    let opened = Store::open(store, key.clone(), os_rng().map_err(Failure::Data)?)?;
    let status = status::status(&opened)?;
    serde_json::to_vec(&status).map_err(|e| Failure::Data(format!("cannot encode the status: {e}")))
}
