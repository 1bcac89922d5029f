//! Reading `COPY ... TO STDOUT (FORMAT binary)` output, as it streams in.
//!
//! Loading a layer is the one bulk read riskatlas makes, and the binary COPY protocol is
//! PostgreSQL's fastest way out: no per-row protocol messages, no text formatting of
//! geometries. sqlx hands the stream over as raw chunks (`copy_out_raw`), and nothing in
//! the crate graph parses the format, so this module does: a header, then per row a field
//! count and length-prefixed fields, then a trailer (PostgreSQL docs, "COPY", "Binary
//! Format"). Rows may span chunks; [`CopyBinary::rows`] hands out only complete ones.

use bytes::{Buf, BytesMut};

const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

/// A streaming parser: [`push`](Self::push) chunks, then take the complete rows.
#[derive(Default)]
pub struct CopyBinary {
    buf: BytesMut,
    header_read: bool,
    finished: bool,
}

/// Why a stream is not binary COPY output.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The stream does not open with binary COPY's signature.
    #[error("not binary COPY output (bad signature)")]
    Signature,
    /// A row has another number of fields than the query selects.
    #[error("row with {found} fields, expected {expected}")]
    FieldCount {
        /// Fields the query selects.
        expected: usize,
        /// Fields the row has.
        found: i16,
    },
    /// A field length below -1 (-1 is NULL).
    #[error("negative field length {0}")]
    Length(i32),
    /// The stream ended inside a row, or before the trailer.
    #[error("the stream ended in the middle of a row")]
    Truncated,
}

impl CopyBinary {
    /// Buffers the next chunk of the stream.
    pub fn push(&mut self, chunk: &[u8]) {
        self.buf.extend_from_slice(chunk);
    }

    /// Calls `row` with the fields (None for SQL NULL) of every complete row buffered so
    /// far, each row having `N` fields.
    pub fn rows<const N: usize>(
        &mut self,
        mut row: impl FnMut([Option<&[u8]>; N]),
    ) -> Result<(), CopyError> {
        if !self.header_read {
            // signature, flags (i32), header extension length (i32) + extension
            if self.buf.len() < SIGNATURE.len() + 8 {
                return Ok(());
            }
            if &self.buf[..SIGNATURE.len()] != SIGNATURE {
                return Err(CopyError::Signature);
            }
            let ext_at = SIGNATURE.len() + 4;
            let ext = i32::from_be_bytes(self.buf[ext_at..ext_at + 4].try_into().expect("4 bytes"));
            let header = ext_at + 4 + ext.max(0) as usize;
            if self.buf.len() < header {
                return Ok(());
            }
            self.buf.advance(header);
            self.header_read = true;
        }
        let data = &self.buf[..];
        let mut at = 0;
        while !self.finished && data.len() >= at + 2 {
            let count = i16::from_be_bytes([data[at], data[at + 1]]);
            if count == -1 {
                self.finished = true;
                at += 2;
                break;
            }
            if count as usize != N {
                return Err(CopyError::FieldCount {
                    expected: N,
                    found: count,
                });
            }
            // Find the row's end before handing out anything.
            let mut fields = [None; N];
            let mut p = at + 2;
            let mut complete = true;
            for field in fields.iter_mut() {
                if data.len() < p + 4 {
                    complete = false;
                    break;
                }
                let len = i32::from_be_bytes(data[p..p + 4].try_into().expect("4 bytes"));
                p += 4;
                if len == -1 {
                    continue;
                }
                if len < 0 {
                    return Err(CopyError::Length(len));
                }
                let len = len as usize;
                if data.len() < p + len {
                    complete = false;
                    break;
                }
                *field = Some(&data[p..p + len]);
                p += len;
            }
            if !complete {
                break;
            }
            row(fields);
            at = p;
        }
        self.buf.advance(at);
        Ok(())
    }

    /// Checks, at the end of the stream, that nothing was left half-read.
    pub fn finish(&self) -> Result<(), CopyError> {
        if self.finished && self.buf.is_empty() {
            Ok(())
        } else {
            Err(CopyError::Truncated)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream written by hand to the documented format: two rows of (text, int4),
    /// the second with a NULL.
    fn stream() -> Vec<u8> {
        let mut s = SIGNATURE.to_vec();
        s.extend(0i32.to_be_bytes()); // flags
        s.extend(3i32.to_be_bytes()); // extension length
        s.extend([9, 9, 9]); // extension, skipped
        for (text, int) in [(Some("石门"), Some(7i32)), (Some("b"), None)] {
            s.extend(2i16.to_be_bytes());
            let t = text.unwrap().as_bytes();
            s.extend((t.len() as i32).to_be_bytes());
            s.extend(t);
            match int {
                Some(v) => {
                    s.extend(4i32.to_be_bytes());
                    s.extend(v.to_be_bytes());
                }
                None => s.extend((-1i32).to_be_bytes()),
            }
        }
        s.extend((-1i16).to_be_bytes());
        s
    }

    fn parse_in_chunks(
        bytes: &[u8],
        chunk: usize,
    ) -> Result<Vec<(String, Option<i32>)>, CopyError> {
        let mut parser = CopyBinary::default();
        let mut out = Vec::new();
        for piece in bytes.chunks(chunk) {
            parser.push(piece);
            parser.rows(|[t, i]: [Option<&[u8]>; 2]| {
                out.push((
                    String::from_utf8(t.unwrap().to_vec()).unwrap(),
                    i.map(|b| i32::from_be_bytes(b.try_into().unwrap())),
                ))
            })?;
        }
        parser.finish()?;
        Ok(out)
    }

    #[test]
    fn rows_come_out_whole_whatever_the_chunking() {
        let bytes = stream();
        let expected = vec![("石门".to_string(), Some(7)), ("b".to_string(), None)];
        for chunk in 1..=bytes.len() {
            assert_eq!(
                parse_in_chunks(&bytes, chunk).unwrap(),
                expected,
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn a_truncated_or_foreign_stream_is_an_error() {
        let bytes = stream();
        let cut = &bytes[..bytes.len() - 5];
        assert!(matches!(parse_in_chunks(cut, 7), Err(CopyError::Truncated)));
        assert!(matches!(
            parse_in_chunks(b"id,geom\n1,2\n__________", 4),
            Err(CopyError::Signature)
        ));
        let mut three = stream();
        three[SIGNATURE.len() + 11 + 1] = 3; // first row claims 3 fields
        assert!(matches!(
            parse_in_chunks(&three, 64),
            Err(CopyError::FieldCount {
                expected: 2,
                found: 3
            })
        ));
    }
}
