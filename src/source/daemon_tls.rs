//! A client of a Docker daemon over TLS, made as the docker CLI makes it (see
//! [`super::docker_context`]): the context's `ca.pem` the only CA trusted (else the system's
//! roots), its client certificate sent when it has one, https only — so an endpoint the CLI
//! speaks TLS to is never spoken to in clear text, whatever files it has. bollard's own TLS client
//! wants all three files and adds the system's roots to the CA; this one is bollard's transport
//! for every request (`/version`, `/build`, the BuildKit session's `/grpc`), upgrades included.

use std::sync::Arc;

use bollard::{BollardRequest, ClientVersion, Docker};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::docker_context::Tls;

/// A bollard client of `host` (`tcp://HOST:PORT` or `https://…`) over TLS as `tls` says.
pub fn connect(
    host: &str,
    tls: &Tls,
    timeout: u64,
    version: &ClientVersion,
) -> Result<Docker, String> {
    let config = client_config(tls)?;
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_only()
        .enable_http1()
        .build();
    let client: Client<_, _> = Client::builder(TokioExecutor::new()).build(connector);
    let transport = move |req: BollardRequest| {
        let client = client.clone();
        async move { Ok(client.request(req).await?) }
    };
    let address = host
        .strip_prefix("tcp://")
        .or_else(|| host.strip_prefix("https://"))
        .unwrap_or(host);
    Docker::connect_with_custom_transport(
        transport,
        Some(format!("https://{address}")),
        timeout,
        version,
    )
    .map_err(|e| e.to_string())
}

fn client_config(tls: &Tls) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let mut roots = rustls::RootCertStore::empty();
    match &tls.ca {
        Some(ca) => {
            let certs = CertificateDer::pem_file_iter(ca)
                .and_then(|i| i.collect::<Result<Vec<_>, _>>())
                .map_err(|e| format!("{}: not a CA certificate: {e}", ca.display()))?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(format!("{}: no CA certificate in it", ca.display()));
            }
        }
        None => {
            let native = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(native.certs);
        }
    }
    let builder = builder.with_root_certificates(roots);
    match &tls.client {
        Some((cert, key)) => {
            let chain = CertificateDer::pem_file_iter(cert)
                .and_then(|i| i.collect::<Result<Vec<_>, _>>())
                .map_err(|e| format!("{}: not a certificate: {e}", cert.display()))?;
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| format!("{}: not a private key: {e}", key.display()))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("the context's certificate and key: {e}"))
        }
        None => Ok(builder.with_no_client_auth()),
    }
}
