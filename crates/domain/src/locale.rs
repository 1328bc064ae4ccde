//! The languages Tollgate speaks. Which one a caller wants is the caller's business (the HTTP
//! adapter reads `Accept-Language`); the domain only names them.

/// A language Tollgate speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    /// English (the default).
    #[default]
    En,
    /// French.
    Fr,
}

impl Locale {
    /// The BCP 47 tag (`en`, `fr`).
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Fr => "fr",
        }
    }
}
