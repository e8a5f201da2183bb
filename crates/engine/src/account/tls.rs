//! TLS trust for XMPP connections: the system roots plus any extra ones (the tests' CA), and
//! per-account pins (SHA-256 of a leaf's DER) the user accepted for a certificate that fails
//! WebPKI verification. A refusal is recorded so the window can show its fingerprint.

use std::io;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use tokio_rustls::rustls::{
    self,
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    client::WebPkiServerVerifier,
    pki_types::{CertificateDer, ServerName, UnixTime},
    ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

use super::connector::ConnectError;
use crate::event::CertificateInfo;

/// Certificate verifier: a pinned leaf (SHA-256 of its DER) is accepted as is; anything else
/// must pass WebPKI verification against the system roots plus any extra roots. A refusal is
/// recorded so the user can be shown the fingerprint and subject.
#[derive(Debug)]
struct PinningVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    pins: Vec<String>,
    refused: Arc<Mutex<Option<CertificateInfo>>>,
}

/// SHA-256 of a DER certificate, lowercase hex.
pub fn fingerprint(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}

fn subject_of(der: &[u8]) -> String {
    x509_parser::parse_x509_certificate(der)
        .map(|(_, cert)| cert.subject().to_string())
        .unwrap_or_else(|_| "(unreadable certificate)".to_owned())
}

impl ServerCertVerifier for PinningVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let sha256 = fingerprint(end_entity);
        if self.pins.iter().any(|p| p.eq_ignore_ascii_case(&sha256)) {
            return Ok(ServerCertVerified::assertion());
        }
        match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(ok) => Ok(ok),
            Err(e) => {
                if let Ok(mut slot) = self.refused.lock() {
                    *slot = Some(CertificateInfo {
                        sha256,
                        subject: subject_of(end_entity),
                        reason: e.to_string(),
                    });
                }
                Err(e)
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// Trust settings shared by every account of an engine.
#[derive(Debug, Clone, Default)]
pub struct TrustRoots {
    /// Extra root certificates (DER), trusted beside the system roots (e.g. a company CA).
    pub extra: Vec<Vec<u8>>,
}

impl TrustRoots {
    /// Reads extra roots from a PEM file. Errors when the file cannot be read or holds none.
    pub fn from_pem_file(path: &std::path::Path) -> io::Result<Self> {
        let pem = std::fs::read(path)?;
        let mut extra = Vec::new();
        for item in rustls::pki_types::pem::PemObject::pem_slice_iter(&pem) {
            let cert: CertificateDer<'static> =
                item.map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
            extra.push(cert.to_vec());
        }
        if extra.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "no certificate in PEM file",
            ));
        }
        Ok(Self { extra })
    }

    /// TLS for HTTPS downloads: the system roots and ours, certificates verified, no pins.
    ///
    /// Errors: no usable root (in words).
    pub(crate) fn https_config(&self) -> Result<ClientConfig, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(self.root_store())
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }

    fn root_store(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        roots.add_parsable_certificates(self.extra.iter().map(|d| CertificateDer::from(d.clone())));
        roots
    }
}

pub(crate) fn tls_config(
    roots: &TrustRoots,
    pins: &[String],
    refused: Arc<Mutex<Option<CertificateInfo>>>,
) -> Result<ClientConfig, ConnectError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let webpki =
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots.root_store()), provider.clone())
            .build()
            .map_err(|e| ConnectError::Policy(format!("no usable trust roots: {e}")))?;
    let verifier = PinningVerifier {
        webpki,
        pins: pins.to_vec(),
        refused,
    };
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConnectError::Policy(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}
