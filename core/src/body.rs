//! Reading a response body with a size cap: a hostile or broken server cannot make the client
//! hold more than the cap (plus one chunk) in memory, however large or endless its answer.

/// Why a body could not be read.
pub(crate) enum BodyError {
    /// The body is larger than the cap (`declared` when the server said so up front).
    TooLarge { limit: usize, declared: Option<u64> },
    /// The transport failed while reading.
    Transport(reqwest::Error),
}

/// Reads the whole body of `resp`, failing as soon as it exceeds `limit` bytes. The bytes are
/// copied once, into a buffer that never grows past `limit`; dropping the response on failure
/// closes the connection instead of returning it to the pool.
pub(crate) async fn read_capped(
    mut resp: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    let declared = resp.content_length();
    if let Some(n) = declared {
        if n > limit as u64 {
            return Err(BodyError::TooLarge {
                limit,
                declared: Some(n),
            });
        }
    }
    // Trust a declared length only up to the cap, and start small otherwise.
    let mut buf: Vec<u8> = Vec::with_capacity(declared.map_or(8 * 1024, |n| n as usize));
    while let Some(chunk) = resp.chunk().await.map_err(BodyError::Transport)? {
        let need = buf.len() + chunk.len();
        if need > limit {
            return Err(BodyError::TooLarge {
                limit,
                declared: None,
            });
        }
        if need > buf.capacity() {
            // Grow geometrically, but never past the cap.
            let target = (buf.capacity() * 2).max(need).min(limit);
            buf.reserve_exact(target - buf.len());
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

/// `8 MiB`, `512 KiB`, `100 bytes`: a limit as people write it.
pub(crate) fn human_bytes(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= KIB && n.is_multiple_of(KIB) {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn limits_read_naturally() {
        assert_eq!(human_bytes(8 * 1024 * 1024), "8 MiB");
        assert_eq!(human_bytes(512 * 1024), "512 KiB");
        assert_eq!(human_bytes(1000), "1000 bytes");
    }
}
