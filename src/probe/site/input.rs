//! Site addresses: what a user may type, and which redirects stay on the same site.

use url::{Host, Url};

/// Why a typed site address cannot be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// A scheme other than http or https.
    #[error("`{scheme}:` addresses cannot be checked; use an http:// or https:// address")]
    Scheme { scheme: String },
    /// Nothing where the host name should be.
    #[error("The address has no host; write it like https://example.com")]
    NoHost,
    /// A user name or password before the host (`user:pass@`).
    #[error("The address contains a user name or password; remove the part before `@`")]
    Credentials,
    /// Not a URL at all.
    #[error("This is not a web address ({reason}); write it like https://example.com")]
    Invalid { reason: String },
}

/// Validates a site address typed by a user: http or https with a host and no credentials.
/// Without a scheme (`example.com`, `example.com:8443/health`) https is assumed. Returns the
/// normalised URL (host lower-cased and IDNA-encoded, `/` path when none, fragment dropped).
pub fn parse_site_url(input: &str) -> Result<Url, UrlError> {
    let input = input.trim();
    let url = match typed_scheme(input) {
        Some(scheme) if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") => {
            return Err(UrlError::Scheme { scheme: scheme.to_ascii_lowercase() });
        }
        Some(_) => Url::parse(input),
        None => Url::parse(&format!("https://{input}")),
    };
    let mut url = url.map_err(|err| match err {
        url::ParseError::EmptyHost => UrlError::NoHost,
        other => UrlError::Invalid { reason: other.to_string() },
    })?;
    if url.host().is_none() {
        return Err(UrlError::NoHost);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::Credentials);
    }
    url.set_fragment(None);
    Ok(url)
}

/// The scheme the user typed, if any: `ftp://x`, `mailto:x`, but not the host of `example.com:8080`.
fn typed_scheme(input: &str) -> Option<&str> {
    let (scheme, rest) = input.split_once(':')?;
    let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let is_port = rest.starts_with(|c: char| c.is_ascii_digit());
    (is_scheme && (rest.starts_with("//") || !is_port)).then_some(scheme)
}

/// Whether a redirect from `from` to `to` stays on the site: an http(s) URL on the same
/// registrable domain (`www.example.com` -> `example.com`), or the very same host when there is
/// none (IP addresses, `localhost`). Ports and http/https may change.
pub(super) fn same_site(from: &Url, to: &Url) -> bool {
    let site = |host: Host<&str>| match host {
        Host::Domain(name) => psl::domain_str(name).unwrap_or(name).to_owned(),
        ip => ip.to_string(),
    };
    matches!(to.scheme(), "http" | "https")
        && from.host().zip(to.host()).is_some_and(|(from, to)| site(from) == site(to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, expected: Result<&str, UrlError>) {
        assert_eq!(parse_site_url(input).map(String::from), expected.map(str::to_owned), "{input:?}");
    }

    #[test]
    fn site_urls() {
        check("https://example.com", Ok("https://example.com/"));
        check("  HTTP://Example.COM/status#top ", Ok("http://example.com/status"));
        check("example.com", Ok("https://example.com/"));
        check("example.com:8443/health?full=1", Ok("https://example.com:8443/health?full=1"));
        check("localhost:8080", Ok("https://localhost:8080/"));
        check("https://bücher.example/", Ok("https://xn--bcher-kva.example/"));
        check("http://127.0.0.1:3000/", Ok("http://127.0.0.1:3000/"));

        check("ftp://example.com/file", Err(UrlError::Scheme { scheme: "ftp".into() }));
        check("mailto:ops@example.com", Err(UrlError::Scheme { scheme: "mailto".into() }));
        check("https://", Err(UrlError::NoHost));
        check("", Err(UrlError::NoHost));
        check("https://user:secret@example.com/", Err(UrlError::Credentials));
        check("admin@example.com", Err(UrlError::Credentials));
        check("https://exa mple.com", Err(UrlError::Invalid { reason: "invalid international domain name".into() }));
        check("example.com:99999", Err(UrlError::Invalid { reason: "invalid port number".into() }));
    }

    #[test]
    fn redirects_stay_on_the_registrable_domain() {
        #[track_caller]
        fn check(from: &str, to: &str, expected: bool) {
            assert_eq!(same_site(&from.parse().unwrap(), &to.parse().unwrap()), expected, "{from} -> {to}");
        }
        check("http://example.com/", "https://www.example.com/login", true);
        check("https://a.shop.example.co.uk/", "https://example.co.uk:8443/", true);
        check("http://127.0.0.1:80/", "http://127.0.0.1:8080/next", true);
        check("http://localhost/", "http://localhost/next", true);

        check("https://example.com/", "https://example.org/", false);
        check("https://example.co.uk/", "https://other.co.uk/", false);
        check("https://alice.github.io/", "https://bob.github.io/", false);
        check("http://127.0.0.1/", "http://localhost/", false);
        check("http://127.0.0.1/", "http://127.0.0.2/", false);
        check("https://example.com/", "ftp://example.com/", false);
    }
}
