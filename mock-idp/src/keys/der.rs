//! The little DER this crate reads and writes by hand: TLV encoding and decoding, PEM
//! armour, and the RSA integers inside PKCS#1 and PKCS#8 documents (aws-lc keeps them to
//! itself, and JWKs and weak keys need them).

/// One DER TLV.
pub(super) fn der_encode(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// PEM-armours DER with 64-column lines.
pub(crate) fn pem_encode(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Reads one DER TLV at the start of `input`: (tag, content, rest).
pub(super) fn der_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let mut len = 0usize;
        for &b in &rest[..n] {
            len = (len << 8) | usize::from(b);
        }
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

fn strip_int(value: &[u8]) -> Vec<u8> {
    match value.iter().position(|&b| b != 0) {
        Some(i) => value[i..].to_vec(),
        None => value[value.len().saturating_sub(1)..].to_vec(),
    }
}

/// (n, e) of a PKCS#1 RSAPublicKey.
pub(super) fn rsa_public_integers(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let (_, seq, _) = der_tlv(der)?;
    let (tn, n, rest) = der_tlv(seq)?;
    let (te, e, _) = der_tlv(rest)?;
    (tn == 0x02 && te == 0x02).then(|| (strip_int(n), strip_int(e)))
}

/// The nine INTEGERs of the RSAPrivateKey inside a PKCS#8 document (version, n, e, d, p, q,
/// dp, dq, qi), without leading zero bytes.
pub(super) fn rsa_private_integers(pkcs8: &[u8]) -> Option<Vec<Vec<u8>>> {
    let (_, outer, _) = der_tlv(pkcs8)?;
    let (_, _version, rest) = der_tlv(outer)?;
    let (_, _alg_id, rest) = der_tlv(rest)?;
    let (tag, octets, _) = der_tlv(rest)?;
    if tag != 0x04 {
        return None;
    }
    let (_, mut seq, _) = der_tlv(octets)?;
    let mut ints = Vec::new();
    while !seq.is_empty() && ints.len() < 9 {
        let (tag, value, rest) = der_tlv(seq)?;
        if tag != 0x02 {
            return None;
        }
        ints.push(strip_int(value));
        seq = rest;
    }
    (ints.len() == 9).then_some(ints)
}
