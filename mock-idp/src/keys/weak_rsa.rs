//! The weak-RSA signer: keys aws-lc refuses (under 2048 bits) sign by textbook modular
//! exponentiation, and the EMSA-PKCS1-v1_5 encoding both that signer and the degenerate-exponent
//! token cases use. These keys exist only to be rejected by verifiers.

use super::alg::SigAlg;
use super::error::KeyError;

/// An RSA key aws-lc refuses, kept as the integers PKCS#1 v1.5 signing needs.
pub(super) struct WeakRsa {
    pub(super) n: num_bigint::BigUint,
    pub(super) d: num_bigint::BigUint,
    pub(super) n_bytes: Vec<u8>,
    pub(super) e_bytes: Vec<u8>,
}

impl WeakRsa {
    /// RSASSA-PKCS1-v1_5 (RFC 8017 §8.2.1) with textbook exponentiation. Not constant-time:
    /// acceptable only because these keys exist to be rejected by verifiers.
    pub(super) fn sign_pkcs1(&self, alg: SigAlg, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let k = self.n_bytes.len();
        let em = pkcs1_v15_encoded_message(alg, message, k)?;
        let s = num_bigint::BigUint::from_bytes_be(&em).modpow(&self.d, &self.n);
        let bytes = s.to_bytes_be();
        let mut out = vec![0u8; k.saturating_sub(bytes.len())];
        out.extend(bytes);
        Ok(out)
    }
}

/// The EMSA-PKCS1-v1_5 encoded message (RFC 8017 §9.2) of `message` for a `k`-byte modulus:
/// `00 01 FF.. 00 DigestInfo`. With a published exponent `e = 1` this *is* a valid signature,
/// which is how degenerate-exponent JWKS cases are forged.
pub(crate) fn pkcs1_v15_encoded_message(
    alg: SigAlg,
    message: &[u8],
    k: usize,
) -> Result<Vec<u8>, KeyError> {
    use aws_lc_rs::digest;
    let (prefix, dalg): (&[u8], _) = match alg {
        SigAlg::RS256 => (
            &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            &digest::SHA256,
        ),
        SigAlg::RS384 => (
            &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            &digest::SHA384,
        ),
        SigAlg::RS512 => (
            &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
            &digest::SHA512,
        ),
        _ => return Err(KeyError::Sign),
    };
    let hash = digest::digest(dalg, message);
    let t_len = prefix.len() + hash.as_ref().len();
    if k < t_len + 11 {
        return Err(KeyError::Sign);
    }
    let mut em = vec![0x00, 0x01];
    em.extend(std::iter::repeat_n(0xff, k - t_len - 3));
    em.push(0x00);
    em.extend_from_slice(prefix);
    em.extend_from_slice(hash.as_ref());
    Ok(em)
}
