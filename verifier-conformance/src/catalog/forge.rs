//! Signatures made by hand for the encoding cases (SIG-18, DPP-39, DPP-40): what Wycheproof's
//! RSA PKCS#1 v1.5 and ECDSA vectors test, recreated on real access tokens and DPoP proofs (the
//! published vectors sign the payload `foo` and cannot be replayed as tokens).
//!
//! RSA: the encoded message `00 01 FF.. 00 DigestInfo` (RFC 8017 §9.2) is built with one defect,
//! then raised to the key's private exponent (textbook RSA, RFC 8017 §5.2.1: not constant-time,
//! which is fine for the tenant's test keys). ECDSA: a real P-256 signature's `r || s` is
//! re-encoded or replaced (RFC 7518 §3.4).

use num_bigint::BigUint;

use mock_idp::SigningKey;

/// `DigestInfo` for SHA-256 up to the digest (RFC 8017 §9.2 note 1).
const SHA256_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// The order of P-256 (SEC 2 §2.4.2).
pub(super) const P256_N: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// One way to get the PKCS#1 v1.5 encoding of a SHA-256 digest wrong.
#[derive(Debug, Clone, Copy)]
pub(super) enum Pkcs1Defect {
    /// The `DigestInfo` without its `NULL` parameters (RFC 8017 §B.1 lets a verifier accept it).
    MissingNull,
    /// SHA-512's OID in front of a SHA-256 digest.
    WrongOid,
    /// The outer `DigestInfo` length in BER long form (`81 31`): not DER.
    LongFormLength,
    /// A byte after the digest; the padding one byte shorter.
    TrailingByte,
    /// Eight bytes of padding, then the `DigestInfo`, then garbage to the end (Bleichenbacher
    /// 2006: a verifier that parses instead of comparing stops at the digest).
    GarbageAfterDigest,
}

impl Pkcs1Defect {
    pub(super) const ALL: [Pkcs1Defect; 5] = [
        Pkcs1Defect::MissingNull,
        Pkcs1Defect::WrongOid,
        Pkcs1Defect::LongFormLength,
        Pkcs1Defect::TrailingByte,
        Pkcs1Defect::GarbageAfterDigest,
    ];

    pub(super) const fn label(self) -> &'static str {
        match self {
            Pkcs1Defect::MissingNull => "DigestInfo without NULL parameters",
            Pkcs1Defect::WrongOid => "SHA-512 OID, SHA-256 digest",
            Pkcs1Defect::LongFormLength => "DigestInfo length in BER long form",
            Pkcs1Defect::TrailingByte => "a byte after the digest",
            Pkcs1Defect::GarbageAfterDigest => "short padding, garbage after the digest",
        }
    }

    /// The encoded message of `digest` for a `k`-byte modulus, with this defect.
    pub(super) fn encode(self, digest: &[u8], k: usize) -> Vec<u8> {
        let mut t = SHA256_PREFIX.to_vec();
        match self {
            Pkcs1Defect::MissingNull => {
                // 30 2f 30 0b 06 09 <oid> 04 20
                t = [
                    &[0x30, 0x2f, 0x30, 0x0b][..],
                    &SHA256_PREFIX[4..15],
                    &[0x04, 0x20],
                ]
                .concat();
            }
            Pkcs1Defect::WrongOid => t[14] = 0x03,
            Pkcs1Defect::LongFormLength => t.splice(1..2, [0x81, 0x31]).for_each(drop),
            Pkcs1Defect::TrailingByte | Pkcs1Defect::GarbageAfterDigest => {}
        }
        t.extend_from_slice(digest);
        let mut em = vec![0x00, 0x01];
        match self {
            Pkcs1Defect::TrailingByte => {
                t.push(0x00);
                em.extend(std::iter::repeat_n(0xff, k.saturating_sub(t.len() + 3)));
                em.push(0x00);
                em.extend(t);
            }
            Pkcs1Defect::GarbageAfterDigest => {
                em.extend([0xff; 8]);
                em.push(0x00);
                em.extend(t);
                let fill = k.saturating_sub(em.len());
                em.extend((0..fill).map(|i| (i as u8).wrapping_mul(37) | 1));
            }
            _ => {
                em.extend(std::iter::repeat_n(0xff, k.saturating_sub(t.len() + 3)));
                em.push(0x00);
                em.extend(t);
            }
        }
        em
    }
}

/// `em ^ d mod n` for an RSA key, as `k` bytes: a signature over whatever `em` says. `None` for
/// a key without RSA private parts.
pub(super) fn rsa_sign_raw(key: &SigningKey, em: &[u8]) -> Option<Vec<u8>> {
    let jwk = key.private_jwk();
    let int = |name: &str| {
        let b = mock_idp::jose::b64url_decode(jwk[name].as_str()?).ok()?;
        Some(BigUint::from_bytes_be(&b))
    };
    let (n, d) = (int("n")?, int("d")?);
    let k = key.modulus().len();
    let s = BigUint::from_bytes_be(em).modpow(&d, &n).to_bytes_be();
    Some(left_pad(&s, k))
}

/// `bytes` left-padded with zeros to `len` (unchanged when longer).
pub(super) fn left_pad(bytes: &[u8], len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len.saturating_sub(bytes.len())];
    out.extend_from_slice(bytes);
    out
}

/// `a + b` as big-endian bytes, no shorter than `len`.
pub(super) fn add(a: &[u8], b: &[u8], len: usize) -> Vec<u8> {
    left_pad(
        &(BigUint::from_bytes_be(a) + BigUint::from_bytes_be(b)).to_bytes_be(),
        len,
    )
}

/// `n - s` for P-256 (the other, "high" or "low", S of the same signature), 32 bytes.
pub(super) fn p256_negate(s: &[u8]) -> Vec<u8> {
    let n = BigUint::from_bytes_be(&P256_N);
    let s = BigUint::from_bytes_be(s) % &n;
    left_pad(&((&n - s) % &n).to_bytes_be(), 32)
}

/// Whether `s` is in the upper half of P-256's order.
pub(super) fn p256_is_high(s: &[u8]) -> bool {
    BigUint::from_bytes_be(s) > BigUint::from_bytes_be(&P256_N) >> 1u32
}

/// `r || s` as an ASN.1 DER `ECDSA-Sig-Value` (RFC 3279 §2.2.3): what RFC 7518 §3.4 says a JWS
/// must not carry.
pub(super) fn ecdsa_der(r: &[u8], s: &[u8]) -> Vec<u8> {
    let int = |v: &[u8]| {
        let v: Vec<u8> = v.iter().copied().skip_while(|b| *b == 0).collect();
        let mut body = if v.first().is_some_and(|b| b & 0x80 != 0) {
            vec![0]
        } else {
            Vec::new()
        };
        body.extend(if v.is_empty() { vec![0] } else { v });
        let mut out = vec![0x02, body.len() as u8];
        out.extend(body);
        out
    };
    let body = [int(r), int(s)].concat();
    let mut out = vec![0x30, body.len() as u8];
    out.extend(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_defect_is_one_change_to_a_k_byte_message() {
        let digest = [0xabu8; 32];
        for d in Pkcs1Defect::ALL {
            let em = d.encode(&digest, 256);
            assert_eq!(em.len(), 256, "{d:?}");
            assert_eq!(&em[..2], &[0x00, 0x01], "{d:?}");
        }
        let good = [
            &[0x00, 0x01][..],
            &[0xff; 256 - 3 - 51],
            &[0x00],
            &SHA256_PREFIX,
            &digest,
        ]
        .concat();
        assert_eq!(good.len(), 256);
        let oid = Pkcs1Defect::WrongOid.encode(&digest, 256);
        assert_eq!(oid.iter().zip(&good).filter(|(a, b)| a != b).count(), 1);
        // A real signature over the right encoding verifies: the raw signer is RSA.
        let key = SigningKey::fixture(1);
        let msg = b"conformance";
        let real = key.sign(mock_idp::SigAlg::RS256, msg).unwrap();
        let digest = mock_idp::jose::sha256(msg);
        let em = [
            &[0x00, 0x01][..],
            &[0xff; 256 - 3 - 51],
            &[0x00],
            &SHA256_PREFIX,
            &digest,
        ]
        .concat();
        assert_eq!(rsa_sign_raw(&key, &em).unwrap(), real);
    }

    #[test]
    fn p256_helpers() {
        let s = [0x01u8; 32];
        assert_eq!(p256_negate(&p256_negate(&s)), s.to_vec());
        assert!(!p256_is_high(&s));
        assert!(p256_is_high(&p256_negate(&s)));
        let der = ecdsa_der(&[0x80; 32], &[0x00, 0x01]);
        assert_eq!(&der[..4], &[0x30, 2 + 33 + 3, 0x02, 33]);
        assert_eq!(&der[der.len() - 3..], &[0x02, 0x01, 0x01]);
    }
}
