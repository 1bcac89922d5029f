//! The few pieces of the protobuf wire format an MVT layer needs: field keys, varints,
//! length-delimited and packed fields, written as prost writes them.

/// Protobuf wire types.
pub(super) const VARINT: u8 = 0;
pub(super) const FIXED64: u8 = 1;
pub(super) const BYTES: u8 = 2;

pub(super) fn field(number: u8, wire: u8) -> u8 {
    (number << 3) | wire
}

pub(super) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub(super) fn varint_len(v: u64) -> usize {
    // 7 bits a byte; zero still takes one.
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

/// A length-delimited field: its key, the length, the bytes.
pub(super) fn put_bytes(out: &mut Vec<u8>, number: u8, bytes: &[u8]) {
    out.push(field(number, BYTES));
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// A packed repeated `uint32` field (left out when empty, as prost does).
pub(super) fn put_packed(out: &mut Vec<u8>, number: u8, values: &[u32]) {
    if values.is_empty() {
        return;
    }
    out.push(field(number, BYTES));
    let len: usize = values.iter().map(|&v| varint_len(u64::from(v))).sum();
    put_varint(out, len as u64);
    for &v in values {
        put_varint(out, u64::from(v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_take_seven_bits_a_byte_as_the_protobuf_encoding_says() {
        // From the protobuf encoding guide: 1 is 01, 150 is 96 01, 300 is ac 02.
        for (v, bytes) in [
            (1u64, vec![0x01]),
            (150, vec![0x96, 0x01]),
            (300, vec![0xac, 0x02]),
        ] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!(out, bytes, "{v}");
        }
        for (v, len) in [
            (0u64, 1),
            (127, 1),
            (128, 2),
            (16_383, 2),
            (16_384, 3),
            (u64::MAX, 10),
        ] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!((out.len(), varint_len(v)), (len, len), "{v}");
        }
    }
}
