//! The details of identity problems (credentials, tokens, members, seats), in English and French.

use tollgate_domain::{Locale, PasswordError};

/// What went wrong with a person's credentials, tokens or memberships.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityDetail {
    /// `auth.open_registration` is off.
    RegistrationClosed,
    /// A user has the address.
    EmailTaken,
    /// The password breaks the length rule.
    Password(PasswordError),
    /// Unknown e-mail or wrong password.
    InvalidCredentials,
    /// A second factor is needed.
    TotpRequired,
    /// The second factor is wrong or spent.
    InvalidTotp,
    /// Too many failures; retry after this many seconds.
    TooManyAttempts(u64),
    /// A spent refresh token came back.
    RefreshTokenReused,
    /// The refresh token is unknown or its session is over.
    InvalidRefreshToken,
    /// A mailed token is bad, used or expired.
    InvalidToken,
    /// The credential's session or user is gone.
    CredentialRevoked,
    /// The caller lacks the right.
    Forbidden,
    /// No such member, session or user (its kind).
    NotFound(&'static str),
    /// The account must keep an owner.
    LastOwner,
    /// Already a member or invited.
    MemberExists,
    /// No seat is left on the plan.
    SeatLimitReached,
    /// Two-factor is not in a state that allows this (the state).
    TotpState(&'static str),
}

impl IdentityDetail {
    /// The sentence in `locale`.
    pub fn render(&self, locale: Locale) -> String {
        match locale {
            Locale::En => self.english(),
            Locale::Fr => self.french(),
        }
    }

    fn english(&self) -> String {
        match self {
            IdentityDetail::RegistrationClosed => "Registration is closed on this server.".to_owned(),
            IdentityDetail::EmailTaken => "A user with this email address already exists.".to_owned(),
            IdentityDetail::Password(PasswordError::TooShort) => {
                "A password is at least 10 characters.".to_owned()
            }
            IdentityDetail::Password(PasswordError::TooLong) => {
                "A password is at most 128 characters.".to_owned()
            }
            IdentityDetail::InvalidCredentials => "The email or the password is wrong.".to_owned(),
            IdentityDetail::TotpRequired => "Send the code of your authenticator app in `totp`.".to_owned(),
            IdentityDetail::InvalidTotp => "The two-factor code is wrong or was already used.".to_owned(),
            IdentityDetail::TooManyAttempts(seconds) => {
                format!("Too many failed attempts; retry in {seconds} seconds.")
            }
            IdentityDetail::RefreshTokenReused => {
                "This refresh token was already used; its session is now revoked. Log in again.".to_owned()
            }
            IdentityDetail::InvalidRefreshToken => {
                "The refresh token is unknown, or its session has ended. Log in again.".to_owned()
            }
            IdentityDetail::InvalidToken => "The token is invalid, already used or expired.".to_owned(),
            IdentityDetail::CredentialRevoked => {
                "The access token is no longer valid. Log in again.".to_owned()
            }
            IdentityDetail::Forbidden => "You may not do this on this account.".to_owned(),
            IdentityDetail::NotFound(kind) => format!("No {kind} has this id."),
            IdentityDetail::LastOwner => "The account must keep at least one owner.".to_owned(),
            IdentityDetail::MemberExists => "This person is already a member or invited.".to_owned(),
            IdentityDetail::SeatLimitReached => {
                "Every seat of the plan is taken; upgrade or remove a member first.".to_owned()
            }
            IdentityDetail::TotpState(state) => format!("Two-factor authentication is {state}."),
        }
    }

    fn french(&self) -> String {
        match self {
            IdentityDetail::RegistrationClosed => "Les inscriptions sont fermées sur ce serveur.".to_owned(),
            IdentityDetail::EmailTaken => "Un utilisateur avec cette adresse e-mail existe déjà.".to_owned(),
            IdentityDetail::Password(PasswordError::TooShort) => {
                "Un mot de passe fait au moins 10 caractères.".to_owned()
            }
            IdentityDetail::Password(PasswordError::TooLong) => {
                "Un mot de passe fait au plus 128 caractères.".to_owned()
            }
            IdentityDetail::InvalidCredentials => "L'e-mail ou le mot de passe est incorrect.".to_owned(),
            IdentityDetail::TotpRequired => {
                "Envoyez le code de votre application d'authentification dans `totp`.".to_owned()
            }
            IdentityDetail::InvalidTotp => "Le code à deux facteurs est faux ou a déjà servi.".to_owned(),
            IdentityDetail::TooManyAttempts(seconds) => {
                format!("Trop de tentatives échouées ; réessayez dans {seconds} secondes.")
            }
            IdentityDetail::RefreshTokenReused => {
                "Ce jeton de rafraîchissement a déjà servi ; sa session est révoquée. Reconnectez-vous."
                    .to_owned()
            }
            IdentityDetail::InvalidRefreshToken => {
                "Le jeton de rafraîchissement est inconnu ou sa session est terminée. Reconnectez-vous."
                    .to_owned()
            }
            IdentityDetail::InvalidToken => "Le jeton est invalide, déjà utilisé ou expiré.".to_owned(),
            IdentityDetail::CredentialRevoked => {
                "Le jeton d'accès n'est plus valable. Reconnectez-vous.".to_owned()
            }
            IdentityDetail::Forbidden => "Vous ne pouvez pas faire cela sur ce compte.".to_owned(),
            IdentityDetail::NotFound(kind) => {
                format!("Aucun élément ({}) n'a cet identifiant.", kind_fr(kind))
            }
            IdentityDetail::LastOwner => "Le compte doit garder au moins un propriétaire.".to_owned(),
            IdentityDetail::MemberExists => "Cette personne est déjà membre ou invitée.".to_owned(),
            IdentityDetail::SeatLimitReached => {
                "Tous les sièges de l'offre sont pris ; passez à une offre supérieure ou retirez un membre."
                    .to_owned()
            }
            IdentityDetail::TotpState(state) => {
                format!("L'authentification à deux facteurs : {}.", state_fr(state))
            }
        }
    }
}

fn kind_fr(kind: &str) -> &'static str {
    match kind {
        "member" => "membre",
        "session" => "session",
        "user" => "utilisateur",
        "api key" => "clé d'API",
        _ => "ressource",
    }
}

fn state_fr(state: &str) -> &'static str {
    match state {
        "already enabled" => "déjà activée",
        "not enabled" => "non activée",
        "not started" => "non commencée",
        _ => "état invalide",
    }
}
