//! Properties of proration over arbitrary amounts, periods and instants.

use proptest::prelude::*;
use time::Duration;

use super::*;
use crate::Interval;
use crate::billing::fixtures::{per_seat, plan, subscribe, with_trial};
use crate::currency::Currency;
use crate::period::billing_period;

const CODES: [&str; 4] = ["USD", "XOF", "KWD", "JPY"];

fn instant() -> impl Strategy<Value = OffsetDateTime> {
    // 2000..2100, to the second.
    (946_684_800_i64..4_102_444_800).prop_map(|s| OffsetDateTime::from_unix_timestamp(s).unwrap())
}

fn interval() -> impl Strategy<Value = Interval> {
    prop_oneof![Just(Interval::Month), Just(Interval::Year)]
}

/// A period as billing makes them, an amount in whole minor units, and its currency.
fn priced_period() -> impl Strategy<Value = (Money, Period)> {
    (0_i64..10_000_000_000, 0..CODES.len(), instant(), instant(), interval()).prop_map(
        |(units, code, anchor, at, interval)| {
            let money = Money::from_minor_units(units, Currency::parse(CODES[code]).unwrap());
            (money, billing_period(anchor, interval, at.max(anchor)).unwrap())
        },
    )
}

/// The instant `fraction` (of 10 000) of the way through `period`.
fn within(period: Period, fraction: u32) -> OffsetDateTime {
    let seconds = period.length().whole_seconds() * i64::from(fraction) / 10_000;
    period.start + Duration::seconds(seconds)
}

fn minor(money: Money) -> i128 {
    i128::from(money.to_minor_units().unwrap())
}

/// `numerator / denominator` rounded half to even, in integers (an oracle free of decimals).
fn half_even(numerator: i128, denominator: i128) -> i128 {
    let (q, r) = (numerator / denominator, numerator % denominator);
    match (2 * r).cmp(&denominator) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => q + q % 2,
    }
}

proptest! {
    #[test]
    fn a_period_split_anywhere_sums_to_its_price_within_a_minor_unit_a_line(
        (price, period) in priced_period(),
        mut cuts in prop::collection::vec(0_u32..=10_000, 1..6),
    ) {
        cuts.sort_unstable();
        let mut instants: Vec<OffsetDateTime> = cuts.into_iter().map(|c| within(period, c)).collect();
        instants.insert(0, period.start);
        instants.push(period.end);
        // Each piece [a, b) costs what is left at a minus what is left at b.
        let lines: Vec<InvoiceLine> = instants
            .windows(2)
            .map(|w| {
                let piece = prorate(price, period, w[0]).unwrap().checked_sub(prorate(price, period, w[1]).unwrap());
                InvoiceLine::new("piece", piece.unwrap(), Some(Period { start: w[0], end: w[1] }))
            })
            .collect();
        let sum: i128 = lines.iter().map(|l| minor(l.amount)).sum();
        let drift = (sum - minor(price)).abs();
        prop_assert!(drift <= lines.len() as i128, "{} lines drift {drift} from {price}", lines.len());
        prop_assert!(lines.iter().all(|l| !l.amount.is_negative()));
    }

    #[test]
    fn a_prorated_line_is_the_exact_share_of_seconds_rounded_half_to_even(
        (price, period) in priced_period(),
        cut in 0_u32..=10_000,
    ) {
        let from = within(period, cut);
        let line = InvoiceLine::new("rest", prorate(price, period, from).unwrap(), None);
        let (left, length) = ((period.end - from).whole_seconds(), period.length().whole_seconds());
        prop_assert_eq!(minor(line.amount), half_even(minor(price) * i128::from(left), i128::from(length)));
    }

    #[test]
    fn prorating_stays_between_nothing_and_the_whole_and_shrinks_with_time(
        (price, period) in priced_period(),
        a in instant(),
        b in instant(),
    ) {
        let (early, late) = (a.min(b), a.max(b));
        let (more, less) = (prorate(price, period, early).unwrap(), prorate(price, period, late).unwrap());
        for share in [more, less] {
            prop_assert!(!share.is_negative());
            prop_assert!(share.amount() <= price.amount());
            prop_assert_eq!(share.currency(), price.currency());
        }
        prop_assert!(less.amount() <= more.amount());
    }

    #[test]
    fn a_quote_totals_its_lines_and_never_charges_before_now(
        prices in (0_i64..100_000_000, 0_i64..100_000_000),
        per_seats in (any::<bool>(), any::<bool>()),
        intervals in (interval(), interval()),
        seats in (1_u32..50, 1_u32..50),
        trial in prop_oneof![Just(0_u32), 1_u32..30],
        started in instant(),
        days in 0_i64..800,
        timing in prop_oneof![Just(None), Just(Some(ChangeTiming::Now)), Just(Some(ChangeTiming::PeriodEnd))],
    ) {
        let price = |units: i64| Money::from_minor_units(units, Currency::parse("EUR").unwrap()).amount_string();
        let make = |code: &str, units, seat, interval| {
            let p = plan(code, code, &format!("{} EUR", price(units)), interval);
            if seat { per_seat(p) } else { p }
        };
        let current = with_trial(make("current", prices.0, per_seats.0, intervals.0), trial);
        let target = make("target", prices.1, per_seats.1, intervals.1);
        let sub = subscribe(&current, seats.0, started);
        let now = started + Duration::days(days) + Duration::seconds(days * 7919);
        let quote = quote_change(&current, &sub, &target, seats.1, timing, now).unwrap();
        let sum = quote.lines.iter().try_fold(Money::zero(quote.total.currency()), |s, l| s.checked_add(l.amount));
        prop_assert_eq!(sum, Ok(quote.total));
        prop_assert!(quote.lines.iter().all(|l| l.amount.to_minor_units().is_ok() && !l.amount.amount().is_zero()));
        prop_assert!(quote.effective_at >= now);
        match quote.timing {
            ChangeTiming::PeriodEnd => prop_assert!(quote.lines.is_empty() && quote.period.is_none()),
            ChangeTiming::Now => {
                prop_assert_eq!(quote.effective_at, now);
                prop_assert!(quote.period.is_some_and(|p| p.contains(now)));
                // Only the first line can be a credit.
                prop_assert!(quote.lines.iter().skip(1).all(|l| !l.amount.is_negative()));
            }
        }
        if sub.status_at(now) == crate::Status::Trialing {
            prop_assert!(quote.lines.is_empty());
        }
    }
}
