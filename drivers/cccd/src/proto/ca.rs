//! Chip authentication (ICAO 9303-11 §6.2, BSI TR-03110-1 §3.4) with ECDH and AES-128
//! (`id-CA-ECDH-AES-CBC-CMAC-128`) on brainpoolP256r1, the CCCD's profile (CCCD.md §2.1).
//!
//! The terminal sends MSE:Set AT (the CA OID, and the key id when DG14 has one), then General
//! Authenticate with its ephemeral public key, both over the current secure channel. Both
//! sides derive K = x(sk·PK) and new AES session keys (KDF counters 1 and 2); secure messaging
//! restarts with SSC = 0. Only a chip that holds the private key of DG14's public key can
//! answer under the new keys, so a clone fails at the next response's MAC. DG14 must have
//! passed passive authentication first, or the key proves nothing.
//!
//! Does not implement: CA with DH or on other curves, CA version 2 tokens, MSE:Set KAT (3DES).

use bp256::r1::ProjectivePoint;
use zeroize::Zeroize;

use super::crypto::Key16;
use super::der::{Curve, PublicKey};
use super::dg14::{ChipAuthenticationInfo, ChipAuthenticationPublicKey};
use super::pace::{decode_point, encode_point, kdf_aes128, scalar_from_random};
use crate::{Error, Result};

/// The terminal's part of chip authentication: the two commands to send (over SM) and the
/// session keys to switch to once the chip has answered the second.
pub struct CaTerminal {
    /// MSE:Set AT (plain APDU, to be protected by the current channel).
    pub mse_set_at: Vec<u8>,
    /// General Authenticate with the ephemeral public key (plain APDU).
    pub general_authenticate: Vec<u8>,
    keys: (Key16, Key16),
}

impl std::fmt::Debug for CaTerminal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CaTerminal(<keys redacted>)")
    }
}

impl Drop for CaTerminal {
    fn drop(&mut self) {
        self.keys.0.zeroize();
        self.keys.1.zeroize();
    }
}

fn ca_point(key: &ChipAuthenticationPublicKey) -> Result<ProjectivePoint> {
    match &key.key {
        PublicKey::Ec { curve: Curve::BrainpoolP256r1, point } => decode_point(point),
        _ => Err(Error::Authentication("chip authentication key is not on brainpoolP256r1")),
    }
}

/// The session keys from the ECDH shared secret `sk·pk`.
pub fn ca_session_keys(sk: &[u8; 32], pk: &ProjectivePoint) -> Result<(Key16, Key16)> {
    let s = scalar_from_random(sk)?;
    let shared = encode_point(&(*pk * s))?;
    let mut x = [0u8; 32];
    x.copy_from_slice(shared.get(1..33).unwrap_or(&[0u8; 32]));
    let keys = (kdf_aes128(&x, 1), kdf_aes128(&x, 2));
    x.zeroize();
    Ok(keys)
}

impl CaTerminal {
    /// Prepares chip authentication with DG14's `info` and `key`, and the terminal's ephemeral
    /// private key (32 random bytes from a CSPRNG).
    pub fn new(info: &ChipAuthenticationInfo, key: &ChipAuthenticationPublicKey, eph_sk: &[u8; 32]) -> Result<Self> {
        if info.protocol != super::dg14::ID_CA_ECDH_AES_128 {
            return Err(Error::Authentication("unsupported chip authentication protocol"));
        }
        let pk_chip = ca_point(key)?;
        let eph_pk = encode_point(&(ProjectivePoint::GENERATOR * scalar_from_random(eph_sk)?))?;
        let keys = ca_session_keys(eph_sk, &pk_chip)?;
        let mut data = vec![0x80, 0x0A];
        data.extend_from_slice(&info.protocol);
        if let Some(id) = info.key_id {
            let id = u8::try_from(id).map_err(|_| Error::Authentication("chip authentication key id too large"))?;
            data.extend_from_slice(&[0x84, 0x01, id]);
        }
        let mut mse = vec![0x00, 0x22, 0x41, 0xA4, u8::try_from(data.len()).unwrap_or(0)];
        mse.extend_from_slice(&data);
        let mut ga = vec![0x00, 0x86, 0x00, 0x00, 0x45, 0x7C, 0x43, 0x80, 0x41];
        ga.extend_from_slice(&eph_pk);
        ga.push(0x00);
        Ok(Self { mse_set_at: mse, general_authenticate: ga, keys })
    }

    /// The new session keys (KS_enc, KS_mac), to use once the chip answered General
    /// Authenticate under the old ones.
    pub fn session_keys(&self) -> (Key16, Key16) {
        self.keys
    }
}

/// Card side (simulated chip): the new session keys from the General Authenticate command
/// data (`7C 43 80 41 PK_PCD`) and the chip's CA private key.
pub fn chip_side(cmd_data: &[u8], ca_sk: &[u8; 32]) -> Result<(Key16, Key16)> {
    let pk = decode_point(super::pace::dynamic_auth_data(cmd_data, 0x80)?)?;
    ca_session_keys(ca_sk, &pk)
}
