//! What accepting an invitation takes besides its token. An invitation to a new person makes
//! them a user, so it carries the name and the password they choose; an address that already
//! has a user joins as that user, and an invitation's token is no authority to rename them or to
//! set their password (that takes their password, or a reset), so neither is accepted then.

use crate::ids::InvalidValue;
use crate::rule::Rule;

/// What an accepted invitation does with the fields sent beside its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationAnswer<'a> {
    /// The address has no user: one is created with this name and password.
    NewUser {
        /// The name chosen.
        name: &'a str,
        /// The password chosen (its length rule is checked where it is set).
        password: &'a str,
    },
    /// The address has a user, who joins as they are.
    ExistingUser,
}

impl<'a> InvitationAnswer<'a> {
    /// Reads the `name` and `password` sent with an invitation's token, given whether the invited
    /// address `has_user` already.
    ///
    /// # Errors
    /// [`InvalidValue`] naming `password` (checked first) or `name`: with [`Rule::NotForExistingUser`]
    /// when the address has a user and the field was sent; with [`Rule::RequiredForNewUser`] when
    /// it has none and the field is missing.
    pub fn read(
        has_user: bool,
        name: Option<&'a str>,
        password: Option<&'a str>,
    ) -> Result<InvitationAnswer<'a>, InvalidValue> {
        if has_user {
            if password.is_some() {
                return Err(InvalidValue::new("password", Rule::NotForExistingUser));
            }
            if name.is_some() {
                return Err(InvalidValue::new("name", Rule::NotForExistingUser));
            }
            return Ok(InvitationAnswer::ExistingUser);
        }
        let password = password.ok_or(InvalidValue::new("password", Rule::RequiredForNewUser))?;
        let name = name.ok_or(InvalidValue::new("name", Rule::RequiredForNewUser))?;
        Ok(InvitationAnswer::NewUser { name, password })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_person_sends_a_name_and_a_password_and_an_existing_user_neither() {
        let new = InvitationAnswer::read(false, Some("Carol"), Some("a long passphrase"));
        assert_eq!(new, Ok(InvitationAnswer::NewUser { name: "Carol", password: "a long passphrase" }));
        assert_eq!(InvitationAnswer::read(true, None, None), Ok(InvitationAnswer::ExistingUser));
    }

    #[test]
    fn a_missing_or_unwanted_field_is_named() {
        let refused = |has_user, name, password| {
            let error = InvitationAnswer::read(has_user, name, password).unwrap_err();
            (error.field, error.rule)
        };
        assert_eq!(refused(true, None, Some("x")), ("password", Rule::NotForExistingUser));
        assert_eq!(refused(true, Some("Bob"), None), ("name", Rule::NotForExistingUser));
        assert_eq!(refused(true, Some("Bob"), Some("x")), ("password", Rule::NotForExistingUser));
        assert_eq!(refused(false, Some("Carol"), None), ("password", Rule::RequiredForNewUser));
        assert_eq!(refused(false, None, Some("a long passphrase")), ("name", Rule::RequiredForNewUser));
        assert_eq!(refused(false, None, None), ("password", Rule::RequiredForNewUser));
    }
}
