//! Certificate checks that are recorded, not enforced, so a site with a bad certificate is still
//! measured: the verdict of the usual WebPKI verification goes into a [`TlsCheck`].

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

use super::{TlsCheck, TlsProblem};

/// Runs the real verification, keeps the first verdict with the leaf's details, and accepts the
/// certificate. One per check, so concurrent checks cannot see each other's verdicts.
#[derive(Debug)]
pub(super) struct CertRecorder {
    inner: Arc<WebPkiServerVerifier>,
    first: Mutex<Option<TlsCheck>>,
}

impl CertRecorder {
    pub(super) fn new(inner: Arc<WebPkiServerVerifier>) -> CertRecorder {
        CertRecorder { inner, first: Mutex::new(None) }
    }

    /// The first handshake's verdict, if a handshake got as far as the certificate.
    pub(super) fn take(&self) -> Option<TlsCheck> {
        self.first.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

impl ServerCertVerifier for CertRecorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now);
        let mut first = self.first.lock().unwrap_or_else(PoisonError::into_inner);
        first.get_or_insert_with(|| inspect(end_entity, verdict.err()));
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The check of a leaf certificate given the verifier's error, if any.
fn inspect(leaf: &CertificateDer<'_>, error: Option<rustls::Error>) -> TlsCheck {
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(leaf) else {
        let problem = error.map_or_else(|| TlsProblem::Other("unreadable certificate".into()), problem);
        return TlsCheck { problem: Some(problem), expires_at: None, issuer: None, subject: None };
    };
    let self_issued = cert.issuer().as_raw() == cert.subject().as_raw();
    let name = |name: String| Some(crate::probe::printable(&name)).filter(|name| !name.is_empty());
    TlsCheck {
        problem: error.map(|error| match problem(error) {
            TlsProblem::UntrustedIssuer if self_issued => TlsProblem::SelfSigned,
            other => other,
        }),
        expires_at: DateTime::<Utc>::from_timestamp(cert.validity().not_after.timestamp(), 0),
        issuer: name(cert.issuer().to_string()),
        subject: name(cert.subject().to_string()),
    }
}

fn problem(error: rustls::Error) -> TlsProblem {
    use CertificateError as E;
    match error {
        rustls::Error::InvalidCertificate(E::Expired | E::ExpiredContext { .. }) => TlsProblem::Expired,
        rustls::Error::InvalidCertificate(E::NotValidYet | E::NotValidYetContext { .. }) => TlsProblem::NotYetValid,
        rustls::Error::InvalidCertificate(E::UnknownIssuer) => TlsProblem::UntrustedIssuer,
        rustls::Error::InvalidCertificate(E::NotValidForName | E::NotValidForNameContext { .. }) => {
            TlsProblem::WrongHost
        }
        other => TlsProblem::Other(other.to_string()),
    }
}
