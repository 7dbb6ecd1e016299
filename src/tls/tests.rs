use super::*;
use crate::sim::tls::{Issued, Pki};

fn pki() -> Pki {
    Pki::generate().unwrap()
}

fn key_b64_lines(issued: &Issued) -> Vec<String> {
    pem_block("PRIVATE KEY", &issued.key_der)
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::to_string)
        .collect()
}

#[test]
fn pem_with_certificate_and_key() {
    let p = pki();
    let cert = ClientCert::parse(p.client.pem().as_bytes(), None).unwrap();
    assert_eq!(cert.thumbprint, p.client.thumbprint());
    assert_eq!(cert.thumbprint.len(), 40);
    assert!(
        cert.subject
            .contains("purge-wait demo management certificate")
    );
    assert!(cert.check_dates(Utc::now()).is_ok());
    assert_eq!(cert.leaf_der(), &p.client.cert_der[..]);
    // Key first, extra text and a chain certificate are fine.
    let text = format!(
        "Bag Attributes\n{}{}{}",
        pem_block("PRIVATE KEY", &p.client.key_der),
        p.client.cert_pem(),
        p.ca_pem()
    );
    let cert = ClientCert::parse(text.as_bytes(), None).unwrap();
    assert_eq!(cert.thumbprint, p.client.thumbprint());
    // What the HTTP client gets holds the chain and the key.
    let id = cert.identity_pem();
    assert_eq!(id.expose().matches("BEGIN CERTIFICATE").count(), 2);
    assert!(id.expose().contains("BEGIN PRIVATE KEY"));
    assert!(reqwest::Identity::from_pem(id.expose().as_bytes()).is_ok());
}

#[test]
fn pem_problems_are_named() {
    let p = pki();
    assert_eq!(
        ClientCert::parse(p.client.cert_pem().as_bytes(), None).unwrap_err(),
        CertError::NoPrivateKey(String::new())
    );
    assert_eq!(
        ClientCert::parse(pem_block("PRIVATE KEY", &p.client.key_der).as_bytes(), None)
            .unwrap_err(),
        CertError::NoCertificate
    );
    let encrypted = p.client.cert_pem()
        + "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n";
    assert_eq!(
        ClientCert::parse(encrypted.as_bytes(), None).unwrap_err(),
        CertError::EncryptedPem
    );
    // A key that belongs to another certificate.
    let other = p.client_cert("other", None).unwrap();
    let mixed = p.client.cert_pem() + &pem_block("PRIVATE KEY", &other.key_der);
    let e = ClientCert::parse(mixed.as_bytes(), None).unwrap_err();
    assert!(
        matches!(&e, CertError::BadKey(m) if m.contains("does not belong")),
        "{e}"
    );
    // Cut short.
    let cut = &p.client.pem()[..100];
    assert!(matches!(
        ClientCert::parse(cut.as_bytes(), None).unwrap_err(),
        CertError::Unreadable(_) | CertError::NoCertificate
    ));
    assert!(matches!(
        ClientCert::parse(b"hello world!", None).unwrap_err(),
        CertError::Unreadable(_)
    ));
    assert!(matches!(
        ClientCert::parse(b"\x01\x02binary", None).unwrap_err(),
        CertError::Unreadable(_)
    ));
}

#[test]
fn pkcs12_binary_and_base64_with_and_without_password() {
    let p = pki();
    // As in a .publishsettings file: empty password, base64 (with line breaks).
    let empty = p.client.pkcs12("");
    let b64 = BASE64.encode(&empty);
    let wrapped: String = b64
        .as_bytes()
        .chunks(76)
        .map(|c| format!("{}\n", std::str::from_utf8(c).unwrap()))
        .collect();
    for input in [b64.as_bytes(), wrapped.as_bytes(), &empty[..]] {
        let cert = ClientCert::parse(input, None).unwrap();
        assert_eq!(cert.thumbprint, p.client.thumbprint());
        let cert = ClientCert::parse(input, Some("")).unwrap();
        assert_eq!(cert.thumbprint, p.client.thumbprint());
    }
    // Password-protected.
    let locked = p.client.pkcs12("s3cret-pass");
    let cert = ClientCert::parse(&locked, Some("s3cret-pass")).unwrap();
    assert_eq!(cert.thumbprint, p.client.thumbprint());
    assert!(reqwest::Identity::from_pem(cert.identity_pem().expose().as_bytes()).is_ok());
    assert_eq!(
        ClientCert::parse(&locked, None).unwrap_err(),
        CertError::PasswordRequired
    );
    assert_eq!(
        ClientCert::parse(BASE64.encode(&locked).as_bytes(), None).unwrap_err(),
        CertError::PasswordRequired
    );
    assert_eq!(
        ClientCert::parse(&locked, Some("wrong")).unwrap_err(),
        CertError::WrongPassword
    );
    // Damaged.
    let mut damaged = locked.clone();
    damaged.truncate(damaged.len() / 2);
    assert!(matches!(
        ClientCert::parse(&damaged, Some("s3cret-pass")).unwrap_err(),
        CertError::Unreadable(_)
    ));
}

#[test]
fn pkcs12_without_a_key() {
    use p12_keystore::{Certificate, KeyStore, KeyStoreEntry};
    let p = pki();
    let mut store = KeyStore::new();
    store.add_entry(
        "ca",
        KeyStoreEntry::Certificate(Certificate::from_der(&p.client.cert_der).unwrap()),
    );
    let der = store.writer("").write().unwrap();
    assert!(matches!(
        ClientCert::parse(&der, None).unwrap_err(),
        CertError::NoPrivateKey(_)
    ));
}

#[test]
fn validity_dates() {
    let p = pki();
    let expired = p
        .client_cert("expired", Some(((2020, 1, 1), (2021, 1, 1))))
        .unwrap();
    let cert = ClientCert::parse(expired.pem().as_bytes(), None).unwrap();
    let e = cert.check_dates(Utc::now()).unwrap_err();
    assert!(matches!(e, CertError::Expired { .. }));
    let text = e.to_string();
    assert!(
        text.starts_with("expired on 2021-01-01T00:00:00Z"),
        "{text}"
    );
    assert!(text.contains(&expired.thumbprint()), "{text}");
    let future = p
        .client_cert("future", Some(((2090, 1, 1), (2091, 1, 1))))
        .unwrap();
    let cert = ClientCert::parse(future.pem().as_bytes(), None).unwrap();
    assert!(matches!(
        cert.check_dates(Utc::now()).unwrap_err(),
        CertError::NotYetValid { .. }
    ));
}

#[test]
fn no_key_material_in_debug_or_errors() {
    let p = pki();
    let cert = ClientCert::parse(p.client.pem().as_bytes(), None).unwrap();
    let debug = format!("{cert:?}");
    for line in key_b64_lines(&p.client) {
        assert!(!debug.contains(&line), "{debug}");
    }
    let other = p.client_cert("other", None).unwrap();
    let mixed = p.client.cert_pem() + &pem_block("PRIVATE KEY", &other.key_der);
    let e = ClientCert::parse(mixed.as_bytes(), None)
        .unwrap_err()
        .to_string();
    for line in key_b64_lines(&other) {
        assert!(!e.contains(&line), "{e}");
    }
}

#[test]
fn ca_bundles() {
    let p = pki();
    let bundle = format!("# comment\n{}{}", p.ca_pem(), p.server.cert_pem());
    let roots = read_ca_bundle(bundle.as_bytes()).unwrap();
    assert_eq!(roots.len(), 2);
    assert!(reqwest::Certificate::from_der(&roots[0]).is_ok());
    assert!(read_ca_bundle(b"nothing here").is_err());
    assert!(read_ca_bundle(pem_block("CERTIFICATE", b"not x509").as_bytes()).is_err());
    assert!(read_ca_bundle(b"-----BEGIN CERTIFICATE-----\nAAAA\n").is_err());
}

/// The OpenSSL stack (azure-classic) takes every identity the checks accept: PEM with a
/// PKCS#8, PKCS#1 RSA or SEC1 EC key, and PKCS#12.
#[test]
fn openssl_takes_every_accepted_identity() {
    use openssl::asn1::Asn1Time;
    use openssl::bn::BigNum;
    use openssl::ec::{EcGroup, EcKey};
    use openssl::hash::MessageDigest;
    use openssl::nid::Nid;
    use openssl::pkey::PKey;
    use openssl::rsa::Rsa;
    use openssl::x509::{X509, X509NameBuilder};

    let p = pki();
    let self_signed = |key: &PKey<openssl::pkey::Private>| {
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", "openssl-made").unwrap();
        let name = name.build();
        let mut b = X509::builder().unwrap();
        b.set_version(2).unwrap();
        b.set_serial_number(&BigNum::from_u32(7).unwrap().to_asn1_integer().unwrap())
            .unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(key).unwrap();
        b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        b.set_not_after(&Asn1Time::days_from_now(30).unwrap())
            .unwrap();
        b.sign(key, MessageDigest::sha256()).unwrap();
        String::from_utf8(b.build().to_pem().unwrap()).unwrap()
    };
    let rsa = Rsa::generate(2048).unwrap();
    let rsa_pkcs1 = String::from_utf8(rsa.private_key_to_pem().unwrap()).unwrap();
    assert!(rsa_pkcs1.contains("BEGIN RSA PRIVATE KEY"));
    let rsa_cert = self_signed(&PKey::from_rsa(rsa).unwrap());
    let ec = EcKey::generate(&EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap()).unwrap();
    let ec_sec1 = String::from_utf8(ec.private_key_to_pem().unwrap()).unwrap();
    assert!(ec_sec1.contains("BEGIN EC PRIVATE KEY"));
    let ec_cert = self_signed(&PKey::from_ec_key(ec).unwrap());
    let inputs: Vec<(&str, Vec<u8>, Option<&str>)> = vec![
        ("PEM, PKCS#8", p.client.pem().into_bytes(), None),
        (
            "PEM, PKCS#1 RSA",
            (rsa_cert + &rsa_pkcs1).into_bytes(),
            None,
        ),
        ("PEM, SEC1 EC", (ec_cert + &ec_sec1).into_bytes(), None),
        ("PKCS#12", p.client.pkcs12("pw"), Some("pw")),
        (
            "PEM with its chain",
            (p.client.pem() + &p.ca_pem()).into_bytes(),
            None,
        ),
    ];
    for (what, data, password) in inputs {
        let cert = ClientCert::parse(&data, password).unwrap_or_else(|e| panic!("{what}: {e}"));
        let id = cert.identity_pem();
        ossl::client_connector(&[p.ca_der().to_vec()], Some(id.expose()))
            .unwrap_or_else(|e| panic!("{what}: {e}"));
    }
    // A key that does not match is refused by OpenSSL too (the checks refuse it first).
    let other = p.client_cert("other", None).unwrap();
    let mixed = p.client.cert_pem() + &pem_block("PRIVATE KEY", &other.key_der);
    assert!(ossl::client_connector(&[], Some(&mixed)).is_err());
    // Without an identity, and with a bad extra root.
    assert!(ossl::client_connector(&[], None).is_ok());
    assert!(ossl::client_connector(&[b"not a certificate".to_vec()], None).is_err());
}
