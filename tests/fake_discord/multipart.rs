//! A small `multipart/form-data` reader for the bodies serenity sends with attachments
//! (`payload_json` plus `files[n]` parts).

/// One part of a multipart body.
#[derive(Debug)]
pub struct Part {
    /// The form field name (`payload_json`, `files[0]`, ...).
    pub name: String,
    /// The file name, for file parts.
    pub filename: Option<String>,
    /// The part's `Content-Type`, if it had one.
    pub content_type: Option<String>,
    /// The raw bytes.
    pub data: Vec<u8>,
}

/// The boundary of a `multipart/form-data` content type, or `None` for other content types.
pub fn boundary(content_type: &str) -> Option<String> {
    let mut pieces = content_type.split(';');
    if !pieces.next()?.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    pieces.find_map(|p| {
        let (key, value) = p.trim().split_once('=')?;
        key.eq_ignore_ascii_case("boundary").then(|| value.trim_matches('"').to_string())
    })
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > haystack.len() {
        return None;
    }
    haystack[from..].windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

/// Splits a multipart body into its parts.
pub fn parse(boundary: &str, body: &[u8]) -> Result<Vec<Part>, String> {
    let delimiter = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let mut pos = find(body, &delimiter, 0).ok_or("multipart body without its boundary")? + delimiter.len();
    loop {
        if body[pos..].starts_with(b"--") {
            return Ok(parts);
        }
        pos += 2; // CRLF after the delimiter
        let header_end = find(body, b"\r\n\r\n", pos).ok_or("multipart part without a header end")?;
        let headers = String::from_utf8_lossy(&body[pos..header_end]).to_string();
        let data_start = header_end + 4;
        let mut closing = b"\r\n".to_vec();
        closing.extend_from_slice(&delimiter);
        let data_end = find(body, &closing, data_start).ok_or("multipart part without a closing boundary")?;

        let mut name = None;
        let mut filename = None;
        let mut content_type = None;
        for line in headers.split("\r\n") {
            let Some((key, value)) = line.split_once(':') else { continue };
            if key.trim().eq_ignore_ascii_case("content-disposition") {
                for param in value.split(';').skip(1) {
                    if let Some((k, v)) = param.trim().split_once('=') {
                        let v = v.trim_matches('"').to_string();
                        match k.trim() {
                            "name" => name = Some(v),
                            "filename" => filename = Some(v),
                            _ => {}
                        }
                    }
                }
            } else if key.trim().eq_ignore_ascii_case("content-type") {
                content_type = Some(value.trim().to_string());
            }
        }
        parts.push(Part {
            name: name.ok_or("multipart part without a name")?,
            filename,
            content_type,
            data: body[data_start..data_end].to_vec(),
        });
        pos = data_end + closing.len();
    }
}
