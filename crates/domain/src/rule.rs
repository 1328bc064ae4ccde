//! The rules a value of the domain can break, each with its sentence in every language.
//!
//! A rule is named by a variant, never by its text: the sentences are one exhaustive `match` per
//! language, so a rule without its French does not compile. The English sentence also travels as
//! plain text (serde reports an [`InvalidValue`](crate::InvalidValue) through its `Display`), and
//! [`Rule::from_english`] finds the rule again from it.

use std::fmt;

use crate::locale::Locale;

/// Declares [`Rule`] and [`Rule::ALL`] from one list, so no rule can be left out of `ALL`.
macro_rules! rules {
    ($($(#[$doc:meta])* $rule:ident,)*) => {
        /// A rule a value must follow, as an [`InvalidValue`](crate::InvalidValue) names it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Rule {
            $($(#[$doc])* $rule,)*
        }

        impl Rule {
            /// Every rule, for exhaustive tests and for finding a rule by its sentence.
            pub const ALL: &'static [Rule] = &[$(Rule::$rule),*];
        }
    };
}

rules! {
    /// The shape of an account key.
    AccountKey,
    /// The shape of a plan code.
    PlanCode,
    /// The shape of a metric name.
    MetricName,
    /// The shape of a feature name.
    FeatureName,
    /// The shape of an idempotency key.
    IdempotencyKey,
    /// The shape of an e-mail address.
    Email,
    /// A quantity's range.
    Quantity,
    /// A subscription's number of seats.
    Seats,
    /// A subscription status by its name.
    SubscriptionStatus,
    /// An add-on code's length.
    AddOnCode,
    /// An add-on's quantity.
    AddOnQuantity,
    /// A currency code.
    Currency,
    /// The text of an amount.
    Amount,
    /// An amount's decimal places, bounded by its currency.
    AmountPrecision,
    /// A display name's length.
    NameLength,
    /// Control characters in text.
    ControlCharacters,
    /// A plan name's length.
    PlanNameLength,
    /// A description's length.
    DescriptionLength,
    /// A price's sign.
    NegativePrice,
    /// A price in whole minor units.
    PriceMinorUnits,
    /// A trial's length.
    TrialLength,
    /// The first plan version.
    FirstVersion,
    /// A plan's rate limit's range.
    RateLimit,
    /// The shape of a user id.
    UserId,
    /// The shape of a session id.
    SessionId,
    /// The shape of an API key id.
    ApiKeyId,
    /// The shape of a counting window's key.
    WindowKey,
    /// A plan's code in a body that names another plan than its path.
    PlanCodeMismatch,
    /// An account API key's scopes.
    Scopes,
    /// An expiry time, which must come after now.
    FutureExpiry,
    /// The shape of a catalog add-on's code.
    AddOnCodeShape,
    /// An add-on's code in a body that names another add-on than its path.
    AddOnCodeMismatch,
    /// An add-on that neither raises a limit nor grants a feature.
    AddOnEmpty,
    /// A plan allowing an add-on the catalog does not have.
    UnknownAddOn,
    /// An add-on bought that the catalog does not have.
    NoSuchAddOn,
    /// The quantity of an add-on bought at once.
    AddOnPurchaseQuantity,
    /// The shape of an invoice number.
    InvoiceNumber,
    /// A change naming another billing interval than its plan's.
    PlanInterval,
    /// The shape of a payment method token.
    PaymentToken,
    /// The shape of a URL a payer returns to.
    ReturnUrl,
    /// A field an invitation's acceptance takes only when the invited address has no user yet.
    NotForExistingUser,
    /// A field an invitation's acceptance needs when the invited address has no user yet.
    RequiredForNewUser,
}

impl Rule {
    /// The sentence saying what the rule expects, in `locale`.
    pub fn message(self, locale: Locale) -> &'static str {
        match locale {
            Locale::En => self.english(),
            Locale::Fr => self.french(),
        }
    }

    /// The rule whose English sentence is `english`; `None` for a sentence of someone else.
    pub fn from_english(english: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|rule| rule.english() == english)
    }

    fn english(self) -> &'static str {
        match self {
            Rule::AccountKey => "an account key is 1 to 128 characters of A-Z a-z 0-9 . _ : @ -",
            Rule::PlanCode => {
                "a plan code is 1 to 64 characters of a-z 0-9 _ - starting with a letter or digit"
            }
            Rule::MetricName => "a metric name is 1 to 64 characters of a-z 0-9 _ starting with a letter",
            Rule::FeatureName => "a feature name is 1 to 64 characters of a-z 0-9 _ starting with a letter",
            Rule::IdempotencyKey => "an idempotency key is 1 to 255 printable ASCII characters",
            Rule::Email => "an email address looks like name@example.com",
            Rule::Quantity => "quantity is a whole number from 1 to 1000000000000",
            Rule::Seats => "seats is a whole number from 1 to 1000000",
            Rule::SubscriptionStatus => "unknown subscription status",
            Rule::AddOnCode => "an add-on code is 1 to 64 characters",
            Rule::AddOnQuantity => "an add-on quantity is at least 1",
            Rule::Currency => "a currency is an ISO 4217 code such as USD, EUR or XOF",
            Rule::Amount => "an amount is a decimal string such as \"19.99\"",
            Rule::AmountPrecision => "the amount has more decimal places than its currency allows",
            Rule::NameLength => "a name is 1 to 200 characters",
            Rule::ControlCharacters => "text cannot contain control characters",
            Rule::PlanNameLength => "a plan name is 1 to 200 characters",
            Rule::DescriptionLength => "a description is at most 2000 characters",
            Rule::NegativePrice => "a price cannot be negative",
            Rule::PriceMinorUnits => "a price is a whole number of minor units",
            Rule::TrialLength => "a trial is at most 730 days",
            Rule::FirstVersion => "versions start at 1",
            Rule::RateLimit => "a rate limit's per_minute and burst are whole numbers from 1 to 1000000",
            Rule::UserId => "a user id looks like usr_1a2b3c",
            Rule::SessionId => "a session id looks like ses_1a2b3c",
            Rule::ApiKeyId => "an API key id is key_ and 1 to 60 characters of A-Z a-z 0-9 _ -",
            Rule::WindowKey => "a window key is never, d:<date>, m:<year-month> or p:<unix seconds>",
            Rule::PlanCodeMismatch => {
                "the code in the body must be the plan code of the path, or be left out"
            }
            Rule::Scopes => "scopes are one or more of enforce, read and manage",
            Rule::FutureExpiry => "an expiry time must be in the future",
            Rule::AddOnCodeShape => {
                "an add-on code is 1 to 64 characters of a-z 0-9 _ - starting with a letter or digit"
            }
            Rule::AddOnCodeMismatch => {
                "the code in the body must be the add-on code of the path, or be left out"
            }
            Rule::AddOnEmpty => "an add-on raises at least one limit or grants at least one feature",
            Rule::UnknownAddOn => "a plan may allow only add-ons of the catalog",
            Rule::NoSuchAddOn => "no add-on of the catalog has this code",
            Rule::AddOnPurchaseQuantity => "an add-on's quantity is a whole number from 1 to 1000",
            Rule::InvoiceNumber => {
                "an invoice number is TG-, a year from 0001 to 9999, - and a sequence from 000001, as in TG-2026-000123"
            }
            Rule::PlanInterval => {
                "the interval must be the plan's own (month or year); choose the plan billed on it"
            }
            Rule::PaymentToken => "a payment method token is 1 to 255 printable characters without spaces",
            Rule::ReturnUrl => "a return URL is an absolute http or https URL of at most 2048 characters",
            Rule::NotForExistingUser => {
                "the invited address already has a user, who joins as they are: leave out name and password"
            }
            Rule::RequiredForNewUser => {
                "the invited address has no user yet: a name and a password are needed to create one"
            }
        }
    }

    fn french(self) -> &'static str {
        match self {
            Rule::AccountKey => "une clé de compte fait 1 à 128 caractères parmi A-Z a-z 0-9 . _ : @ -",
            Rule::PlanCode => {
                "un code d'offre fait 1 à 64 caractères parmi a-z 0-9 _ - et commence par une lettre ou un chiffre"
            }
            Rule::MetricName => {
                "un nom de métrique fait 1 à 64 caractères parmi a-z 0-9 _ et commence par une lettre"
            }
            Rule::FeatureName => {
                "un nom de fonctionnalité fait 1 à 64 caractères parmi a-z 0-9 _ et commence par une lettre"
            }
            Rule::IdempotencyKey => "une clé d'idempotence fait 1 à 255 caractères ASCII imprimables",
            Rule::Email => "une adresse e-mail s'écrit comme nom@example.com",
            Rule::Quantity => "la quantité est un nombre entier de 1 à 1000000000000",
            Rule::Seats => "le nombre de sièges est un entier de 1 à 1000000",
            Rule::SubscriptionStatus => "statut d'abonnement inconnu",
            Rule::AddOnCode => "un code d'option fait 1 à 64 caractères",
            Rule::AddOnQuantity => "une option se prend au moins une fois",
            Rule::Currency => "une devise est un code ISO 4217 comme USD, EUR ou XOF",
            Rule::Amount => "un montant est une chaîne décimale comme \"19.99\"",
            Rule::AmountPrecision => "le montant a plus de décimales que sa devise n'en permet",
            Rule::NameLength => "un nom fait 1 à 200 caractères",
            Rule::ControlCharacters => "le texte ne peut pas contenir de caractères de contrôle",
            Rule::PlanNameLength => "le nom d'une offre fait 1 à 200 caractères",
            Rule::DescriptionLength => "une description fait au plus 2000 caractères",
            Rule::NegativePrice => "un prix ne peut pas être négatif",
            Rule::PriceMinorUnits => "un prix est un nombre entier d'unités mineures de sa devise",
            Rule::TrialLength => "un essai dure au plus 730 jours",
            Rule::FirstVersion => "les versions commencent à 1",
            Rule::RateLimit => {
                "le per_minute et le burst d'une limite de débit sont des entiers de 1 à 1000000"
            }
            Rule::UserId => "un identifiant d'utilisateur s'écrit comme usr_1a2b3c",
            Rule::SessionId => "un identifiant de session s'écrit comme ses_1a2b3c",
            Rule::ApiKeyId => {
                "un identifiant de clé d'API est key_ suivi de 1 à 60 caractères parmi A-Z a-z 0-9 _ -"
            }
            Rule::WindowKey => "une clé de fenêtre est never, d:<date>, m:<année-mois> ou p:<secondes unix>",
            Rule::PlanCodeMismatch => "le code du corps doit être le code d'offre du chemin, ou être omis",
            Rule::Scopes => "les portées sont une ou plusieurs parmi enforce, read et manage",
            Rule::FutureExpiry => "une date d'expiration doit être dans le futur",
            Rule::AddOnCodeShape => {
                "un code d'option fait 1 à 64 caractères parmi a-z 0-9 _ - et commence par une lettre ou un chiffre"
            }
            Rule::AddOnCodeMismatch => "le code du corps doit être le code d'option du chemin, ou être omis",
            Rule::AddOnEmpty => {
                "une option augmente au moins une limite ou accorde au moins une fonctionnalité"
            }
            Rule::UnknownAddOn => "une offre ne peut permettre que des options du catalogue",
            Rule::NoSuchAddOn => "aucune option du catalogue n'a ce code",
            Rule::AddOnPurchaseQuantity => "la quantité d'une option est un nombre entier de 1 à 1000",
            Rule::InvoiceNumber => {
                "un numéro de facture est TG-, une année de 0001 à 9999, - et un rang à partir de 000001, comme TG-2026-000123"
            }
            Rule::PlanInterval => {
                "la périodicité doit être celle de l'offre (mois ou année) ; choisissez l'offre facturée ainsi"
            }
            Rule::PaymentToken => {
                "un jeton de moyen de paiement fait 1 à 255 caractères imprimables sans espace"
            }
            Rule::ReturnUrl => {
                "une URL de retour est une URL http ou https absolue d'au plus 2048 caractères"
            }
            Rule::NotForExistingUser => {
                "l'adresse invitée a déjà un utilisateur, qui rejoint le compte tel quel : omettez le nom et le mot de passe"
            }
            Rule::RequiredForNewUser => {
                "l'adresse invitée n'a pas encore d'utilisateur : un nom et un mot de passe sont nécessaires pour le créer"
            }
        }
    }
}

/// The English sentence: what an error message built from the rule says by default.
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.english())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_rule_has_its_own_sentence_in_each_language_and_is_found_by_its_english() {
        let mut seen = HashSet::new();
        for &rule in Rule::ALL {
            let (en, fr) = (rule.message(Locale::En), rule.message(Locale::Fr));
            assert!(!en.is_empty() && !fr.is_empty(), "{rule:?}");
            assert_ne!(en, fr, "{rule:?} has no French of its own");
            assert!(seen.insert(en) && seen.insert(fr), "{rule:?} repeats a sentence");
            assert_eq!(Rule::from_english(en), Some(rule));
            assert_eq!(rule.to_string(), en);
        }
        assert_eq!(Rule::from_english("a sentence of someone else"), None);
    }

    #[test]
    fn every_validation_of_the_crate_names_a_rule_that_speaks_french() {
        use crate::{
            AccountKey, AddOn, AddOnCode, AddOnDraft, AddOnTerms, ApiKey, ApiKeyId, Currency, Email,
            FeatureName, IdempotencyKey, MetricName, Money, Name, Plan, PlanCode, PlanDraft, Quantity,
            SessionId, Status, UserId, WindowKey,
        };
        let draft: PlanDraft = serde_json::from_str(
            r#"{"code": "pro", "name": "Pro", "price": {"amount": "45.00", "currency": "USD"},
                "interval": "month"}"#,
        )
        .unwrap();
        let mut invalid = vec![
            AccountKey::parse("").unwrap_err(),
            PlanCode::parse("").unwrap_err(),
            MetricName::parse("").unwrap_err(),
            FeatureName::parse("").unwrap_err(),
            IdempotencyKey::parse("").unwrap_err(),
            Email::parse("").unwrap_err(),
            ApiKeyId::parse("").unwrap_err(),
            WindowKey::parse("").unwrap_err(),
            UserId::parse("").unwrap_err(),
            SessionId::parse("").unwrap_err(),
            Name::parse("").unwrap_err(),
            Name::parse("a\u{1b}b").unwrap_err(),
            crate::Scope::set(Vec::new()).unwrap_err(),
            ApiKey::check_expiry(Some(time::OffsetDateTime::UNIX_EPOCH), time::OffsetDateTime::UNIX_EPOCH)
                .unwrap_err(),
            Quantity::new(0).unwrap_err(),
            Status::parse("").unwrap_err(),
            Currency::parse("").unwrap_err(),
            Money::parse("x", "USD").unwrap_err(),
            Money::parse("1.001", "USD").unwrap_err(),
            AddOn { code: String::new(), quantity: 1, limits: Default::default(), features: vec![] }
                .validate()
                .unwrap_err(),
            AddOn { code: "a".into(), quantity: 0, limits: Default::default(), features: vec![] }
                .validate()
                .unwrap_err(),
        ];
        let mut plan_error = |change: &dyn Fn(&mut PlanDraft), version| {
            let mut terms = draft.clone();
            change(&mut terms);
            let crate::PlanError::Invalid(error) = Plan::new(terms, version).unwrap_err();
            invalid.push(error);
        };
        plan_error(&|d| d.name = String::new(), 1);
        plan_error(&|d| d.description = "x".repeat(2001), 1);
        plan_error(&|d| d.price = Money::parse("-1", "USD").unwrap(), 1);
        plan_error(&|d| d.trial_days = 731, 1);
        plan_error(&|_| {}, 0);
        plan_error(&|d| d.rate_limit = Some(crate::RateLimit { per_minute: 0, burst: 1 }), 1);
        let usd = Currency::parse("USD").unwrap();
        plan_error(&|d| d.price = Money::new(rust_decimal::Decimal::new(1001, 3), usd), 1);
        invalid.push(draft.check_code(&PlanCode::parse("other").unwrap()).unwrap_err());
        let mut with_addon = draft.clone();
        with_addon.addons.push(AddOnCode::parse("extra-sites").unwrap());
        invalid.push(with_addon.check_addons(&[]).unwrap_err());
        invalid.push(AddOnCode::parse("").unwrap_err());
        let addon: AddOnDraft = serde_json::from_str(
            r#"{"code": "extra-sites", "name": "Extra sites", "price": {"amount": "1", "currency": "USD"},
                "interval": "month"}"#,
        )
        .unwrap();
        invalid.push(AddOnTerms::new(addon.clone()).unwrap_err());
        invalid.push(addon.check_code(&AddOnCode::parse("other").unwrap()).unwrap_err());
        let Err(crate::SubscriptionError::Invalid(seats)) = crate::Subscription::start(
            &Plan::new(draft.clone(), 1).unwrap(),
            0,
            time::OffsetDateTime::UNIX_EPOCH,
        ) else {
            panic!("zero seats are refused");
        };
        invalid.push(seats);
        invalid.push(crate::InvoiceNumber::parse("TG-2026-000000").unwrap_err());
        invalid.push(draft.check_interval(crate::Interval::Year).unwrap_err());
        invalid.push(crate::PaymentToken::parse("").unwrap_err());
        invalid.push(crate::ReturnUrl::parse("success_url", "").unwrap_err());
        invalid.push(crate::InvitationAnswer::read(true, None, Some("x")).unwrap_err());
        invalid.push(crate::InvitationAnswer::read(false, Some("Carol"), None).unwrap_err());
        invalid.push(crate::check_add_on_quantity(0).unwrap_err());
        invalid.push(crate::catalog_add_on(&[], &AddOnCode::parse("extra-sites").unwrap()).unwrap_err());
        let produced: HashSet<Rule> = invalid.iter().map(|error| error.rule).collect();
        for error in &invalid {
            let english = error.rule.message(Locale::En);
            assert_eq!(error.to_string(), format!("invalid {}: {english}", error.field));
            assert_eq!(Rule::from_english(english), Some(error.rule));
        }
        let all: HashSet<Rule> = Rule::ALL.iter().copied().collect();
        assert_eq!(produced, all, "every rule is one a validation of the crate gives");
    }
}
