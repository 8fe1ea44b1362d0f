//! The tenant signing key's X.509 certificate, as Auth0 publishes it: in the JWKS (`x5c`, and
//! `x5t`, its SHA-1 thumbprint) and on every client as `signing_keys: [{cert, pkcs7, subject}]`.
//!
//! Owns the certificate and its encodings. It is self-signed by the signing key and derived from it
//! alone (fixed subject, serial from the public key, rcgen's fixed validity; RSA PKCS#1 v1.5
//! signatures are deterministic), so the same key always gives the same certificate: nothing more
//! to store. Must not sign tokens (jwt.rs).

use base64::Engine;
use serde_json::{Value, json};

use super::error::Error;
use super::jwt::pem_encode;
use super::store::KeyMaterial;

/// The certificate's subject common name.
pub const SUBJECT_CN: &str = "m2mctl-emulator.local";

/// The signing key's certificate in the forms Auth0 answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningCert {
    /// DER bytes.
    pub der: Vec<u8>,
    /// `x5c[0]`: standard base64 of the DER.
    pub x5c: String,
    /// `x5t`: base64url (no padding) SHA-1 of the DER.
    pub x5t: String,
    /// `-----BEGIN CERTIFICATE-----` PEM.
    pub pem: String,
    /// `-----BEGIN PKCS7-----` PEM: a certificates-only SignedData holding the certificate.
    pub pkcs7: String,
}

impl SigningCert {
    /// The certificate of `key`.
    pub fn of(key: &KeyMaterial) -> Result<SigningCert, Error> {
        let bad = |e: rcgen::Error| Error::Key {
            reason: format!("cannot make the signing key's certificate: {e}"),
        };
        let pair = rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(&key.pem, &rcgen::PKCS_RSA_SHA256)
            .map_err(bad)?;
        let mut params = rcgen::CertificateParams::default();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, SUBJECT_CN);
        let der = params.self_signed(&pair).map_err(bad)?.der().to_vec();
        let sha1 = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &der);
        Ok(SigningCert {
            x5c: base64::engine::general_purpose::STANDARD.encode(&der),
            x5t: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha1.as_ref()),
            pem: pem_encode("CERTIFICATE", &der),
            pkcs7: pem_encode("PKCS7", &pkcs7_certs_only(&der)),
            der,
        })
    }

    /// A client's `signing_keys`: `[{cert, pkcs7, subject: "deprecated"}]` (raw [RB] answers).
    pub fn signing_keys(&self) -> Value {
        json!([{ "cert": self.pem, "pkcs7": self.pkcs7, "subject": "deprecated" }])
    }
}

/// One DER TLV.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
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

/// PKCS#7 (RFC 2315) `ContentInfo { signedData, SignedData { version 1, digestAlgorithms {},
/// contentInfo { data }, certificates [0] { cert }, signerInfos {} } }`.
fn pkcs7_certs_only(cert_der: &[u8]) -> Vec<u8> {
    const SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
    const DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
    let signed_data = [
        tlv(0x02, &[1]),
        tlv(0x31, &[]),
        tlv(0x30, &tlv(0x06, DATA)),
        tlv(0xa0, cert_der),
        tlv(0x31, &[]),
    ]
    .concat();
    let content_info = [tlv(0x06, SIGNED_DATA), tlv(0xa0, &tlv(0x30, &signed_data))].concat();
    tlv(0x30, &content_info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_lengths_table() {
        for (len, head) in [
            (0usize, vec![0x04, 0x00]),
            (0x7f, vec![0x04, 0x7f]),
            (0x80, vec![0x04, 0x81, 0x80]),
            (0x1234, vec![0x04, 0x82, 0x12, 0x34]),
        ] {
            let out = tlv(0x04, &vec![0; len]);
            assert_eq!(out[..head.len()], head[..], "{len}");
            assert_eq!(out.len(), head.len() + len);
        }
    }

    #[test]
    fn the_certificate_is_the_keys_and_the_same_every_time() {
        let key = super::super::jwt::process_key().expect("key");
        let a = SigningCert::of(&key).expect("cert");
        let b = SigningCert::of(&key).expect("cert");
        assert_eq!(a, b, "derived from the key alone");
        let holds = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
        assert!(holds(&a.der, SUBJECT_CN.as_bytes()));
        // The certificate holds the signing key: its public key is the JWKS key's modulus.
        let signer = super::super::jwt::Signer::new(&key).expect("signer");
        let jwks: Value = serde_json::from_slice(signer.jwks()).expect("jwks");
        let n = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(jwks["keys"][0]["n"].as_str().expect("n"))
            .expect("b64");
        assert!(holds(&a.der, &n));
        assert_eq!(a.x5t.len(), 27, "base64url SHA-1");
        // The PKCS#7 wraps exactly that certificate.
        let p7 = pkcs7_certs_only(&a.der);
        assert!(holds(&p7, &a.der));
        assert!(a.pkcs7.starts_with("-----BEGIN PKCS7-----\n"));
    }
}
