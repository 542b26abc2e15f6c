//! One tensor's elements as bytes, as the binary tensor data extension lays
//! them out: little-endian, row major, no padding; BOOL one byte (0 or 1);
//! BYTES a u32 length then the UTF-8 text. Elements are JSON values, as the
//! JSON protocol carries them (NaN, which JSON cannot hold, is null).

use serde_json::Value;

use super::bad;
use crate::error::Result;

/// The datatypes a binary tensor can have, with the bytes per element
/// (`None`: BYTES, variable).
const DATATYPES: [(&str, Option<usize>); 13] = [
    ("BOOL", Some(1)),
    ("INT8", Some(1)),
    ("UINT8", Some(1)),
    ("INT16", Some(2)),
    ("UINT16", Some(2)),
    ("INT32", Some(4)),
    ("UINT32", Some(4)),
    ("INT64", Some(8)),
    ("UINT64", Some(8)),
    ("FP16", Some(2)),
    ("FP32", Some(4)),
    ("FP64", Some(8)),
    ("BYTES", None),
];

fn width(name: &str, datatype: &str) -> Result<Option<usize>> {
    DATATYPES
        .iter()
        .find(|(d, _)| *d == datatype)
        .map(|(_, w)| *w)
        .ok_or_else(|| {
            bad(
                name,
                format!(
                    "tensor '{name}': datatype '{datatype}' cannot be sent as binary data \
                     (BOOL, INT8…INT64, UINT8…UINT64, FP16, FP32, FP64 or BYTES)"
                ),
            )
        })
}

/// The `count` elements of a `datatype` tensor from its bytes, as JSON
/// values (NaN, which JSON cannot hold, becomes null: missing).
pub fn decode(name: &str, datatype: &str, bytes: &[u8], count: usize) -> Result<Vec<Value>> {
    let Some(w) = width(name, datatype)? else {
        return decode_bytes(name, bytes, count);
    };
    if count.checked_mul(w) != Some(bytes.len()) {
        return Err(bad(
            name,
            format!(
                "tensor '{name}': its shape holds {count} {datatype} elements ({} bytes) but binary_data_size is {}",
                count.saturating_mul(w),
                bytes.len()
            ),
        ));
    }
    let float = |i: usize, x: f64| -> Result<Value> {
        if x.is_nan() {
            Ok(Value::Null)
        } else {
            serde_json::Number::from_f64(x)
                .map(Value::Number)
                .ok_or_else(|| {
                    bad(
                        name,
                        format!("tensor '{name}': element {i} is {x}; send a finite number (NaN means missing)"),
                    )
                })
        }
    };
    bytes
        .chunks_exact(w)
        .enumerate()
        .map(|(i, c)| {
            let mut b = [0u8; 8];
            b[..w].copy_from_slice(c);
            Ok(match datatype {
                "BOOL" => match c[0] {
                    0 => Value::Bool(false),
                    1 => Value::Bool(true),
                    x => {
                        return Err(bad(
                            name,
                            format!("tensor '{name}': element {i} is the byte {x}; BOOL is 0 or 1"),
                        ));
                    }
                },
                "INT8" => Value::from(i8::from_le_bytes([b[0]])),
                "UINT8" => Value::from(b[0]),
                "INT16" => Value::from(i16::from_le_bytes([b[0], b[1]])),
                "UINT16" => Value::from(u16::from_le_bytes([b[0], b[1]])),
                "INT32" => Value::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                "UINT32" => Value::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                "INT64" => Value::from(i64::from_le_bytes(b)),
                "UINT64" => Value::from(u64::from_le_bytes(b)),
                "FP16" => float(i, f16_to_f64(u16::from_le_bytes([b[0], b[1]])))?,
                "FP32" => float(i, f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])))?,
                _ => float(i, f64::from_le_bytes(b))?,
            })
        })
        .collect()
}

/// BYTES: each element a u32 little-endian length, then that many bytes of UTF-8.
fn decode_bytes(name: &str, mut bytes: &[u8], count: usize) -> Result<Vec<Value>> {
    // Every element takes at least its 4-byte length: bound the count first.
    if count > bytes.len() / 4 {
        return Err(bad(
            name,
            format!(
                "tensor '{name}': its shape holds {count} BYTES elements but {} bytes hold at most {}",
                bytes.len(),
                bytes.len() / 4
            ),
        ));
    }
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let truncated = || {
            bad(
                name,
                format!(
                    "tensor '{name}': BYTES element {i} is cut short (its length or text runs past binary_data_size)"
                ),
            )
        };
        let (len, tail) = bytes.split_first_chunk::<4>().ok_or_else(truncated)?;
        let len = usize::try_from(u32::from_le_bytes(*len)).map_err(|_| truncated())?;
        if len > tail.len() {
            return Err(truncated());
        }
        let (text, tail) = tail.split_at(len);
        let s = std::str::from_utf8(text).map_err(|e| {
            bad(
                name,
                format!("tensor '{name}': BYTES element {i} is not UTF-8 text ({e})"),
            )
        })?;
        out.push(Value::from(s));
        bytes = tail;
    }
    if !bytes.is_empty() {
        return Err(bad(
            name,
            format!(
                "tensor '{name}': {} bytes are left after its {count} BYTES elements; binary_data_size does not match the shape",
                bytes.len()
            ),
        ));
    }
    Ok(out)
}

/// A tensor's bytes from its elements (null is NaN for FP types). The
/// inverse of [`decode`]; the server writes its outputs with it.
pub fn encode(name: &str, datatype: &str, values: &[Value]) -> Result<Vec<u8>> {
    let w = width(name, datatype)?;
    let mut out = Vec::with_capacity(values.len() * w.unwrap_or(8));
    for (i, v) in values.iter().enumerate() {
        let wrong = || {
            bad(
                name,
                format!("tensor '{name}': element {i} ({v}) is not {datatype}"),
            )
        };
        let int = || v.as_i64().ok_or_else(wrong);
        let uint = || v.as_u64().ok_or_else(wrong);
        let float = || match v {
            Value::Null => Ok(f64::NAN),
            _ => v.as_f64().ok_or_else(wrong),
        };
        match datatype {
            "BYTES" => {
                let s = v.as_str().ok_or_else(wrong)?;
                let len = u32::try_from(s.len()).map_err(|_| wrong())?;
                out.extend_from_slice(&len.to_le_bytes());
                out.extend_from_slice(s.as_bytes());
            }
            "BOOL" => out.push(u8::from(v.as_bool().ok_or_else(wrong)?)),
            "INT8" => out.extend(i8::try_from(int()?).map_err(|_| wrong())?.to_le_bytes()),
            "UINT8" => out.extend(u8::try_from(uint()?).map_err(|_| wrong())?.to_le_bytes()),
            "INT16" => out.extend(i16::try_from(int()?).map_err(|_| wrong())?.to_le_bytes()),
            "UINT16" => out.extend(u16::try_from(uint()?).map_err(|_| wrong())?.to_le_bytes()),
            "INT32" => out.extend(i32::try_from(int()?).map_err(|_| wrong())?.to_le_bytes()),
            "UINT32" => out.extend(u32::try_from(uint()?).map_err(|_| wrong())?.to_le_bytes()),
            "INT64" => out.extend(int()?.to_le_bytes()),
            "UINT64" => out.extend(uint()?.to_le_bytes()),
            "FP16" => out.extend(f64_to_f16(float()?).to_le_bytes()),
            // Narrowing to the wire's precision is what FP32 asks for.
            "FP32" => out.extend((float()? as f32).to_le_bytes()),
            _ => out.extend(float()?.to_le_bytes()),
        }
    }
    Ok(out)
}

/// IEEE 754 half precision to f64 (exact).
fn f16_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 == 0 { 1.0 } else { -1.0 };
    let exp = i32::from((h >> 10) & 0x1f);
    let frac = f64::from(h & 0x3ff);
    match exp {
        0 => sign * frac * 2f64.powi(-24),
        31 if frac == 0.0 => sign * f64::INFINITY,
        31 => f64::NAN,
        e => sign * (1.0 + frac / 1024.0) * 2f64.powi(e - 15),
    }
}

/// f64 to IEEE 754 half precision, rounding to nearest, ties to even.
fn f64_to_f16(x: f64) -> u16 {
    let sign: u16 = if x.is_sign_negative() { 0x8000 } else { 0 };
    let a = x.abs();
    if a.is_nan() {
        return 0x7e00;
    }
    if a >= 65520.0 {
        return sign | 0x7c00;
    }
    // Below the smallest normal (2^-14): a multiple of 2^-24, which may round up into the normals.
    if a < 2f64.powi(-14) {
        return sign | ((a * 2f64.powi(24)).round_ties_even() as u16);
    }
    let e = a.log2().floor() as i32;
    // log2 may land one off at exact powers of two; settle it.
    let e = if a < 2f64.powi(e) {
        e - 1
    } else if a >= 2f64.powi(e + 1) {
        e + 1
    } else {
        e
    };
    let m = ((a / 2f64.powi(e) - 1.0) * 1024.0).round_ties_even() as u16;
    // A mantissa rounded up to 1024 carries into the exponent, as the bit layout does by itself.
    sign | ((((e + 15) as u16) << 10) + m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn half_precision_round_trips_and_rounds_to_even() {
        for x in [
            0.0,
            1.0,
            -2.5,
            65504.0,
            2f64.powi(-24),
            2f64.powi(-14),
            0.333_251_953_125,
        ] {
            assert_eq!(f16_to_f64(f64_to_f16(x)), x, "{x}");
        }
        assert_eq!(f64_to_f16(1.0 + 2f64.powi(-11)), 0x3c00); // a tie: to even
        assert_eq!(f64_to_f16(1.0 + 3.0 * 2f64.powi(-11)), 0x3c02);
        assert_eq!(f64_to_f16(70000.0), 0x7c00);
        assert!(f16_to_f64(0x7e00).is_nan());
    }

    #[test]
    fn every_datatype_round_trips() {
        let cases = [
            ("BOOL", json!([true, false, true])),
            ("INT8", json!([-128, 0, 127])),
            ("UINT8", json!([0, 7, 255])),
            ("INT16", json!([-32768, 1, 32767])),
            ("UINT16", json!([0, 300, 65535])),
            ("INT32", json!([i32::MIN, -1, i32::MAX])),
            ("UINT32", json!([0, 1, u32::MAX])),
            ("INT64", json!([i64::MIN, 0, i64::MAX])),
            ("UINT64", json!([0, 1, u64::MAX])),
            ("FP16", json!([-0.5, 1024.0, null])),
            ("FP32", json!([0.25, -1_048_576.5, null])),
            ("FP64", json!([0.1, -1e300, null])),
            ("BYTES", json!(["", "é ✓", "L"])),
        ];
        for (dt, values) in cases {
            let v = values.as_array().map(Vec::as_slice).unwrap_or_default();
            let bytes = encode("t", dt, v).unwrap_or_else(|e| panic!("{dt}: {e}"));
            let back = decode("t", dt, &bytes, v.len()).unwrap_or_else(|e| panic!("{dt}: {e}"));
            assert_eq!(back, v, "{dt}");
        }
        assert_eq!(
            encode("t", "BYTES", &[json!("ab")]).ok(),
            Some(vec![2, 0, 0, 0, b'a', b'b'])
        );
        assert_eq!(
            encode("t", "INT16", &[json!(-2)]).ok(),
            Some(vec![0xfe, 0xff])
        );
    }
}
