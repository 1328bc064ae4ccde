use crate::{
    AccountKey, ApiKeyId, Caller, Denial, MemberRole, PasswordError, Right, Role, Scope, SessionId, UserId,
    authorize, check_password, normalise_email,
};

fn acme() -> AccountKey {
    AccountKey::parse("acme").unwrap()
}

fn user(platform_admin: bool) -> Caller {
    Caller::User {
        user: UserId::parse("usr_1").unwrap(),
        session: SessionId::parse("ses_1").unwrap(),
        platform_admin,
        impersonator: None,
    }
}

const RIGHTS: [Right; 5] = [Right::Enforce, Right::Usage, Right::Read, Right::Manage, Right::Own];

#[test]
fn passwords_are_10_to_128_characters_counted_as_characters() {
    assert_eq!(check_password("short"), Err(PasswordError::TooShort));
    assert_eq!(check_password("ten chars!"), Ok(()));
    assert_eq!(check_password(&"é".repeat(10)), Ok(()), "characters, not bytes");
    assert_eq!(check_password(&"x".repeat(128)), Ok(()));
    assert_eq!(check_password(&"x".repeat(129)), Err(PasswordError::TooLong));
    assert_eq!(check_password(&"x".repeat(1_000_000)), Err(PasswordError::TooLong));
}

#[test]
fn emails_are_trimmed_and_lowercased_before_validation() {
    assert_eq!(normalise_email("  Ann@Acme.TEST ").unwrap().as_str(), "ann@acme.test");
    assert!(normalise_email("not an email").is_err());
}

#[test]
fn generated_ids_carry_their_prefix() {
    assert!(UserId::parse("usr_0a1b2c").is_ok());
    for bad in ["", "usr_", "ses_1", "usr_ABC", "usr_1/2", &format!("usr_{}", "a".repeat(65))] {
        assert!(UserId::parse(bad).is_err(), "{bad}");
    }
    assert!(SessionId::parse("ses_9").is_ok());
}

#[test]
fn member_roles_grant_nested_rights() {
    let granted = |role: MemberRole| RIGHTS.into_iter().filter(|r| role.grants(*r)).collect::<Vec<_>>();
    assert_eq!(granted(MemberRole::Member), [Right::Usage, Right::Read]);
    assert_eq!(granted(MemberRole::Admin), [Right::Usage, Right::Read, Right::Manage]);
    assert_eq!(granted(MemberRole::Owner), RIGHTS);
}

#[test]
fn a_user_without_membership_cannot_see_the_account() {
    for right in RIGHTS {
        assert_eq!(authorize(&user(false), &acme(), None, right), Err(Denial::Hidden));
        assert_eq!(authorize(&user(true), &acme(), None, right), Ok(()), "platform admins see all");
    }
    assert_eq!(
        authorize(&user(false), &acme(), Some(MemberRole::Member), Right::Manage),
        Err(Denial::Forbidden)
    );
    assert_eq!(authorize(&user(false), &acme(), Some(MemberRole::Admin), Right::Manage), Ok(()));
}

#[test]
fn an_account_key_touches_only_its_account_within_its_scopes() {
    let key = Caller::AccountKey {
        id: ApiKeyId::parse("key_1").unwrap(),
        account: acme(),
        scopes: vec![Scope::Read],
    };
    let other = AccountKey::parse("globex").unwrap();
    for right in RIGHTS {
        assert_eq!(authorize(&key, &other, None, right), Err(Denial::Hidden));
    }
    assert_eq!(authorize(&key, &acme(), None, Right::Read), Ok(()));
    assert_eq!(authorize(&key, &acme(), None, Right::Enforce), Err(Denial::Forbidden));
    let enforce = Caller::AccountKey {
        id: ApiKeyId::parse("key_2").unwrap(),
        account: acme(),
        scopes: vec![Scope::Enforce],
    };
    assert_eq!(authorize(&enforce, &acme(), None, Right::Enforce), Ok(()));
    assert_eq!(authorize(&enforce, &acme(), None, Right::Read), Err(Denial::Forbidden));
}

#[test]
fn platform_keys_see_every_account_and_enforce_keys_only_enforce() {
    for right in RIGHTS {
        for role in [Role::Admin, Role::Service] {
            let caller = Caller::PlatformKey { id: ApiKeyId::parse("key_p").unwrap(), role };
            assert_eq!(authorize(&caller, &acme(), None, right), Ok(()));
        }
    }
    let enforce = Caller::PlatformKey { id: ApiKeyId::parse("key_e").unwrap(), role: Role::Enforce };
    assert_eq!(authorize(&enforce, &acme(), None, Right::Enforce), Ok(()));
    assert_eq!(authorize(&enforce, &acme(), None, Right::Usage), Ok(()));
    assert_eq!(authorize(&enforce, &acme(), None, Right::Read), Err(Denial::Forbidden));
    assert!(!enforce.is_platform_service());
    assert!(
        Caller::PlatformKey { id: ApiKeyId::parse("key_s").unwrap(), role: Role::Service }
            .is_platform_service()
    );
}

#[test]
fn scopes_and_roles_parse_their_names() {
    for scope in Scope::ALL {
        assert_eq!(Scope::parse(scope.as_str()), Some(scope));
    }
    for role in [MemberRole::Member, MemberRole::Admin, MemberRole::Owner] {
        assert_eq!(MemberRole::parse(role.as_str()), Some(role));
    }
    assert_eq!(Role::parse("enforce"), Some(Role::Enforce));
}

fn key(account: Option<AccountKey>) -> crate::ApiKey {
    let at = time::macros::datetime!(2026-11-23 10:00 UTC);
    crate::ApiKey {
        id: ApiKeyId::parse("key_1").unwrap(),
        name: "backend".into(),
        role: Role::Service,
        account,
        scopes: vec![Scope::Read],
        prefix: "tg_12345678".into(),
        secret_hash: "hash".into(),
        created_at: at,
        expires_at: Some(at + time::Duration::hours(1)),
        revoked_at: None,
        last_used_at: None,
    }
}

#[test]
fn a_key_stands_for_a_platform_caller_or_its_account_with_its_scopes() {
    let platform = Caller::of_key(&key(None));
    assert_eq!(platform, Caller::PlatformKey { id: ApiKeyId::parse("key_1").unwrap(), role: Role::Service });
    let scoped = Caller::of_key(&key(Some(acme())));
    let expected = Caller::AccountKey {
        id: ApiKeyId::parse("key_1").unwrap(),
        account: acme(),
        scopes: vec![Scope::Read],
    };
    assert_eq!(scoped, expected, "an account key's role grants nothing");
}

#[test]
fn a_key_is_live_until_it_expires_or_is_revoked() {
    let key = key(None);
    let created = key.created_at;
    assert!(key.is_live(created));
    assert!(key.is_live(created + time::Duration::minutes(59)));
    assert!(!key.is_live(created + time::Duration::hours(1)), "expired at its expiry time");
    let never = crate::ApiKey { expires_at: None, ..key.clone() };
    assert!(never.is_live(created + time::Duration::days(10_000)));
    let revoked = crate::ApiKey { revoked_at: Some(created), ..never };
    assert!(!revoked.is_live(created));
}

#[test]
fn an_account_key_has_at_least_one_scope_each_once_in_order() {
    let set = Scope::set(vec![Scope::Manage, Scope::Enforce, Scope::Manage]).unwrap();
    assert_eq!(set, [Scope::Enforce, Scope::Manage]);
    assert_eq!(Scope::set(Vec::new()).unwrap_err().field, "scopes");
}

#[test]
fn a_new_key_expires_after_now_or_never() {
    let now = time::macros::datetime!(2026-11-23 10:00 UTC);
    assert_eq!(crate::ApiKey::check_expiry(None, now), Ok(()));
    assert_eq!(crate::ApiKey::check_expiry(Some(now + time::Duration::seconds(1)), now), Ok(()));
    for past in [now, now - time::Duration::days(1)] {
        assert_eq!(crate::ApiKey::check_expiry(Some(past), now).unwrap_err().field, "expires_at");
    }
}
