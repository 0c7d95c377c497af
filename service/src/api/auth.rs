//! Who is calling: JWT bearer tokens checked on every GraphQL request (HTTP and
//! WebSocket alike), the three roles, minting tokens for the CLI, and the JWT
//! secret a first start on a loopback address may generate for itself.
//!
//! The checks are strict on purpose: one algorithm (the one the key is for, so
//! an HS256 token signed with a public key as its "secret" never passes),
//! audience `cronkeeper`, `exp` and `iat` required, lifetimes longer than
//! `auth.max_token_lifetime` refused (a leaked token stops working soon), `iss`
//! checked when configured. Error messages say what is wrong with the token,
//! never anything about the key.

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::{AuthConfig, Config, Secret};
use crate::domain::EpochMs;

pub const AUDIENCE: &str = "cronkeeper";
/// Clock skew allowed between the token's issuer and this service, in seconds.
const LEEWAY_SECS: u64 = 30;
const MIN_SECRET_BYTES: usize = 32;
/// Longest token looked at. Real tokens are a few hundred bytes; anything far
/// larger is refused before it is base64-decoded, parsed or hashed, so a caller
/// cannot make every request cost megabytes of work, and a holder of the key
/// cannot smuggle bulk data into the audit trail through its claims.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
pub const SECRET_FILE: &str = "jwt.secret";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Viewer,
    Operator,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    /// Exact, lower-case names only: a token is not the place for guessing.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "operator" => Some(Role::Operator),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

/// The authenticated caller, attached to every GraphQL request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub subject: String,
    pub role: Role,
    /// The token's `exp`, in ms: a WebSocket authenticated by it is closed then.
    pub expires_at: EpochMs,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    role: String,
    aud: String,
    exp: i64,
    iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<String>,
}

/// Why a token was refused. The messages are safe to show to the caller.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("missing bearer token: send `Authorization: Bearer <jwt>`")]
    Missing,
    #[error("malformed token")]
    Malformed,
    #[error("token has expired")]
    Expired,
    #[error("token is not valid yet")]
    NotYetValid,
    #[error("token signature is invalid")]
    BadSignature,
    #[error("token is for another audience (expected `cronkeeper`)")]
    WrongAudience,
    #[error("token has the wrong issuer")]
    WrongIssuer,
    #[error("token algorithm is not accepted")]
    WrongAlgorithm,
    #[error("token lacks the `{0}` claim")]
    MissingClaim(String),
    #[error("token lifetime exceeds the maximum of {0}")]
    TooLong(String),
    #[error("token was issued in the future")]
    IssuedInFuture,
    #[error("token role must be viewer, operator or admin")]
    UnknownRole,
    #[error("token is longer than {MAX_TOKEN_BYTES} bytes")]
    TooLarge,
}

/// Checks tokens against the configured key. Built once at start.
#[derive(Clone)]
pub struct Verifier {
    key: DecodingKey,
    validation: Validation,
    max_lifetime: Duration,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier").field("algorithms", &self.validation.algorithms).finish_non_exhaustive()
    }
}

impl Verifier {
    /// From `[auth]`: a public key file (RS*/PS*/ES*/EdDSA) when configured, else
    /// the HS256 shared secret. The error says which setting to fix, not the key.
    pub fn from_config(auth: &AuthConfig) -> Result<Verifier, String> {
        let (key, alg) = match &auth.public_key_file {
            Some(path) => public_key(path, &auth.algorithm)?,
            None => {
                let secret = auth.jwt_secret.as_ref().ok_or("no JWT secret is configured (CRONKEEPER_JWT_SECRET)")?;
                if secret.expose().len() < MIN_SECRET_BYTES {
                    return Err(format!("the JWT secret must be at least {MIN_SECRET_BYTES} bytes long"));
                }
                let alg = match auth.algorithm.to_ascii_uppercase().as_str() {
                    "HS256" => Algorithm::HS256,
                    "HS384" => Algorithm::HS384,
                    "HS512" => Algorithm::HS512,
                    other => return Err(format!("auth.algorithm `{other}` needs auth.public_key_file; with a shared secret use HS256")),
                };
                (DecodingKey::from_secret(secret.expose().as_bytes()), alg)
            }
        };
        let mut validation = Validation::new(alg);
        validation.set_audience(&[AUDIENCE]);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        let mut required = vec!["exp", "aud", "sub"];
        if let Some(iss) = &auth.issuer {
            validation.set_issuer(&[iss]);
            required.push("iss");
        }
        validation.set_required_spec_claims(&required);
        Ok(Verifier { key, validation, max_lifetime: auth.max_token_lifetime })
    }

    /// Checks an `Authorization` header value.
    pub fn authenticate(&self, header: Option<&str>, now: EpochMs) -> Result<Principal, AuthError> {
        let header = header.map(str::trim).filter(|h| !h.is_empty()).ok_or(AuthError::Missing)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or(AuthError::Malformed)?;
        self.verify(token, now)
    }

    pub fn verify(&self, token: &str, now: EpochMs) -> Result<Principal, AuthError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::TooLarge);
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation).map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => AuthError::Expired,
            ErrorKind::ImmatureSignature => AuthError::NotYetValid,
            ErrorKind::InvalidSignature => AuthError::BadSignature,
            ErrorKind::InvalidAudience => AuthError::WrongAudience,
            ErrorKind::InvalidIssuer => AuthError::WrongIssuer,
            ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName | ErrorKind::MissingAlgorithm => AuthError::WrongAlgorithm,
            ErrorKind::MissingRequiredClaim(c) => AuthError::MissingClaim(c.clone()),
            _ => AuthError::Malformed,
        })?;
        let claims = data.claims;
        let iat = claims.iat.ok_or_else(|| AuthError::MissingClaim("iat".into()))?;
        if iat > now / 1000 + LEEWAY_SECS as i64 {
            return Err(AuthError::IssuedInFuture);
        }
        if claims.exp.saturating_sub(iat) > self.max_lifetime.as_secs() as i64 {
            return Err(AuthError::TooLong(humantime::format_duration(self.max_lifetime).to_string()));
        }
        let role = Role::parse(&claims.role).ok_or(AuthError::UnknownRole)?;
        if claims.sub.trim().is_empty() {
            return Err(AuthError::MissingClaim("sub".into()));
        }
        Ok(Principal { subject: claims.sub, role, expires_at: claims.exp.saturating_mul(1000) })
    }
}

fn public_key(path: &Path, algorithm: &str) -> Result<(DecodingKey, Algorithm), String> {
    let pem = std::fs::read(path).map_err(|e| format!("cannot read auth.public_key_file {}: {e}", path.display()))?;
    let bad = |what: &str| format!("auth.public_key_file {} is not a PEM {what} public key", path.display());
    let alg = match algorithm.to_ascii_uppercase().as_str() {
        // The default names the shared-secret algorithm; with a key file, take the key's kind.
        "HS256" | "" => {
            if let Ok(k) = DecodingKey::from_rsa_pem(&pem) {
                return Ok((k, Algorithm::RS256));
            }
            if let Ok(k) = DecodingKey::from_ed_pem(&pem) {
                return Ok((k, Algorithm::EdDSA));
            }
            if let Ok(k) = DecodingKey::from_ec_pem(&pem) {
                return Ok((k, Algorithm::ES256));
            }
            return Err(bad("RSA, Ed25519 or EC"));
        }
        other => other.parse::<Algorithm>().map_err(|_| format!("auth.algorithm `{other}` is not a JWT algorithm"))?,
    };
    let key = match alg {
        Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512 | Algorithm::PS256 | Algorithm::PS384 | Algorithm::PS512 => {
            DecodingKey::from_rsa_pem(&pem).map_err(|_| bad("RSA"))?
        }
        Algorithm::ES256 | Algorithm::ES384 => DecodingKey::from_ec_pem(&pem).map_err(|_| bad("EC"))?,
        Algorithm::EdDSA => DecodingKey::from_ed_pem(&pem).map_err(|_| bad("Ed25519"))?,
        _ => return Err(format!("auth.algorithm `{algorithm}` cannot be used with a public key file")),
    };
    Ok((key, alg))
}

/// An HS256 token for `sub` with `role`, valid for `ttl` from `now`
/// (milliseconds since the epoch, as [`crate::clock::Clock`] gives it).
pub fn mint(secret: &Secret, sub: &str, role: Role, ttl: Duration, now: EpochMs, issuer: Option<&str>) -> String {
    let iat = now / 1000;
    let claims = Claims {
        sub: sub.to_string(),
        role: role.as_str().to_string(),
        aud: AUDIENCE.to_string(),
        exp: iat + ttl.as_secs() as i64,
        iat: Some(iat),
        iss: issuer.map(str::to_string),
    };
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.expose().as_bytes()))
        .expect("HS256 signing of plain claims cannot fail")
}

/// The HS256 secret to run with: the configured one; else, when listening on a
/// loopback address only, one generated once into `<data_dir>/jwt.secret`
/// (mode 0600) and reused on later starts; else a refusal saying what to set.
///
/// With `auth.public_key_file` the secret verifies nothing; a configured one is
/// returned, or an ephemeral random one (so tokens minted with it never pass).
/// The caller puts the result into `config.auth.jwt_secret` before building
/// the API. The key file is checked here too, so a bad one stops the start.
pub fn ensure_jwt_secret(config: &Config) -> Result<Secret, String> {
    if config.auth.public_key_file.is_some() {
        Verifier::from_config(&config.auth)?;
        return Ok(config.auth.jwt_secret.clone().unwrap_or_else(random_secret));
    }
    if let Some(secret) = &config.auth.jwt_secret {
        Verifier::from_config(&config.auth)?;
        return Ok(secret.clone());
    }
    if !config.listen.ip().is_loopback() {
        return Err(format!(
            "no JWT secret: set CRONKEEPER_JWT_SECRET (at least {MIN_SECRET_BYTES} bytes, e.g. `openssl rand -base64 48`) \
             or auth.public_key_file. A secret is generated automatically only when listening on a loopback address, \
             and {} is not one",
            config.listen
        ));
    }
    let path = config.data_dir.join(SECRET_FILE);
    if path.exists() {
        let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let text = text.trim().to_string();
        if text.len() < MIN_SECRET_BYTES {
            return Err(format!("{} is shorter than {MIN_SECRET_BYTES} bytes; delete it to have a new one generated", path.display()));
        }
        return Ok(Secret::new(text));
    }
    let secret = random_secret();
    write_private(&path, secret.expose()).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    tracing::warn!(
        path = %path.display(),
        "no JWT secret was configured: generated one (listening on loopback only); set CRONKEEPER_JWT_SECRET to choose your own"
    );
    Ok(secret)
}

/// 48 random bytes, base64url without padding (64 characters).
fn random_secret() -> Secret {
    use base64::Engine as _;
    use rand::RngCore as _;
    let mut bytes = [0u8; 48];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    Secret::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(secret: &str) -> AuthConfig {
        AuthConfig {
            jwt_secret: Some(Secret::new(secret.into())),
            public_key_file: None,
            algorithm: "HS256".into(),
            issuer: None,
            max_token_lifetime: Duration::from_secs(900),
        }
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef-test";

    #[test]
    fn a_minted_token_verifies_with_its_role() {
        let v = Verifier::from_config(&auth(SECRET)).unwrap();
        let now = chrono::Utc::now().timestamp_millis();
        let token = mint(&Secret::new(SECRET.into()), "alice", Role::Operator, Duration::from_secs(600), now, None);
        let p = v.authenticate(Some(&format!("Bearer {token}")), now).unwrap();
        assert_eq!(p, Principal { subject: "alice".into(), role: Role::Operator, expires_at: (now / 1000 + 600) * 1000 });
    }

    #[test]
    fn a_token_living_longer_than_the_maximum_is_refused() {
        let v = Verifier::from_config(&auth(SECRET)).unwrap();
        let now = chrono::Utc::now().timestamp_millis();
        let token = mint(&Secret::new(SECRET.into()), "alice", Role::Admin, Duration::from_secs(3600), now, None);
        assert!(matches!(v.verify(&token, now), Err(AuthError::TooLong(_))));
    }

    #[test]
    fn an_oversized_token_is_refused_even_when_correctly_signed() {
        #[derive(Serialize)]
        struct Padded<'a> {
            sub: &'a str,
            role: &'a str,
            aud: &'a str,
            iat: i64,
            exp: i64,
            pad: String,
        }
        let v = Verifier::from_config(&auth(SECRET)).unwrap();
        let now = chrono::Utc::now().timestamp_millis();
        let claims = Padded { sub: "alice", role: "admin", aud: AUDIENCE, iat: now / 1000, exp: now / 1000 + 60, pad: "x".repeat(MAX_TOKEN_BYTES) };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(SECRET.as_bytes())).unwrap();
        assert_eq!(v.verify(&token, now), Err(AuthError::TooLarge));
        let normal = mint(&Secret::new(SECRET.into()), "alice", Role::Admin, Duration::from_secs(60), now, None);
        assert!(normal.len() < MAX_TOKEN_BYTES / 16, "real tokens stay far below the cap");
    }

    #[test]
    fn short_secrets_are_refused_without_echoing_them() {
        let err = Verifier::from_config(&auth("short-secret")).unwrap_err();
        assert!(!err.contains("short-secret"), "{err}");
    }

    #[test]
    fn roles_are_ordered_viewer_operator_admin() {
        assert!(Role::Admin.allows(Role::Operator));
        assert!(!Role::Viewer.allows(Role::Operator));
        assert_eq!(Role::parse("Admin"), None);
    }

    #[test]
    fn a_generated_secret_is_private_and_reused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let mut file = crate::config::FileConfig::default();
        file.data_dir = Some(dir.path().display().to_string());
        let config = Config::from_file(file).unwrap();
        let first = ensure_jwt_secret(&config).unwrap();
        let mode = std::fs::metadata(dir.path().join(SECRET_FILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(first.expose().len() >= 64);
        assert_eq!(ensure_jwt_secret(&config).unwrap(), first);
    }

    #[test]
    fn a_public_address_without_secret_refuses_to_start() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = crate::config::FileConfig::default();
        file.data_dir = Some(dir.path().display().to_string());
        file.listen = Some("0.0.0.0:8080".into());
        let config = Config::from_file(file).unwrap();
        let err = ensure_jwt_secret(&config).unwrap_err();
        assert!(err.contains("CRONKEEPER_JWT_SECRET"), "{err}");
        assert!(!dir.path().join(SECRET_FILE).exists());
    }
}
