//! Worked proration examples, each figure computed by hand in the comments. Rounding is half to
//! even at the line, so the totals are sums of rounded lines.

use time::macros::datetime;

use super::*;
use crate::Interval::{Month, Year};
use crate::billing::fixtures::{money, per_seat, plan, subscribe, with_trial};

/// The lines of a quote as `(description, amount)`, and its total.
fn figures(quote: &ChangeQuote) -> (Vec<(&str, String)>, String) {
    let lines = quote.lines.iter().map(|l| (l.description.as_str(), l.amount.amount_string())).collect();
    (lines, quote.total.amount_string())
}

fn span(start: OffsetDateTime, end: OffsetDateTime) -> Period {
    Period { start, end }
}

#[test]
fn an_upgrade_in_a_february_clamped_from_a_31_january_anchor() {
    // Anchor 2026-01-31: the second period is [31 Jan, 28 Feb) = 28 days = 2 419 200 s (2026 is
    // not a leap year). Upgrading on 20 Feb at noon leaves 7.5 days = 648 000 s, a ratio of 15/56.
    // Credit 10 × 15/56 = 2.678571… → -2.68; charge 40 × 15/56 = 10.714285… → 10.71.
    let (basic, pro) = (plan("basic", "Basic", "10 USD", Month), plan("pro", "Pro", "40 USD", Month));
    let sub = subscribe(&basic, 1, datetime!(2026-01-31 0:00 UTC));
    let now = datetime!(2026-02-20 12:00 UTC);
    let quote = quote_change(&basic, &sub, &pro, 1, None, now).unwrap();
    let rest = span(now, datetime!(2026-02-28 0:00 UTC));
    assert_eq!(
        figures(&quote),
        (
            vec![("Unused time on Basic", "-2.68".into()), ("Remaining time on Pro", "10.71".into())],
            "8.03".into()
        )
    );
    assert!(quote.lines.iter().all(|line| line.period == Some(rest)));
    assert_eq!((quote.timing, quote.effective_at), (ChangeTiming::Now, now));
    assert_eq!(quote.period, Some(span(datetime!(2026-01-31 0:00 UTC), datetime!(2026-02-28 0:00 UTC))));
}

#[test]
fn upgrades_around_29_february_of_a_leap_year() {
    // 2028 is a leap year: from a 31 Jan anchor the period is [31 Jan, 29 Feb) = 29 days. On
    // 28 Feb one day is left, 1/29: credit 10/29 = 0.344827… → -0.34, charge 40/29 = 1.379310… →
    // 1.38, total 1.04.
    let (basic, pro) = (plan("basic", "Basic", "10 USD", Month), plan("pro", "Pro", "40 USD", Month));
    let sub = subscribe(&basic, 1, datetime!(2028-01-31 0:00 UTC));
    let quote = quote_change(&basic, &sub, &pro, 1, None, datetime!(2028-02-28 0:00 UTC)).unwrap();
    assert_eq!(figures(&quote).1, "1.04");
    assert_eq!(figures(&quote).0[0].1, "-0.34");
    assert_eq!(quote.period.unwrap().end, datetime!(2028-02-29 0:00 UTC));
    // The next period starts on 29 Feb and runs to 31 Mar: 31 days. On 15 Mar 16 days are left,
    // 16/31: credit 10 × 16/31 = 5.161290… → -5.16, charge 40 × 16/31 = 20.645161… → 20.65.
    let quote = quote_change(&basic, &sub, &pro, 1, None, datetime!(2028-03-15 0:00 UTC)).unwrap();
    assert_eq!(
        figures(&quote),
        (
            vec![("Unused time on Basic", "-5.16".into()), ("Remaining time on Pro", "20.65".into())],
            "15.49".into()
        )
    );
    assert_eq!(quote.period.unwrap().start, datetime!(2028-02-29 0:00 UTC));
}

#[test]
fn from_a_month_to_a_year_charges_the_whole_first_year_at_once() {
    // Pro at 40/month since 1 Mar; on 11 Mar, 21 of March's 31 days are left: credit 40 × 21/31
    // = 27.096774… → -27.10. Business is 600/year, 50 a month, more than 40: an upgrade, now. The
    // year [11 Mar 2026, 11 Mar 2027) is charged whole: 600.00. Total 572.90.
    let pro = plan("pro", "Pro", "40 USD", Month);
    let business = plan("business-yearly", "Business Yearly", "600 USD", Year);
    let mut sub = subscribe(&pro, 1, datetime!(2026-03-01 0:00 UTC));
    let now = datetime!(2026-03-11 0:00 UTC);
    let quote = quote_change(&pro, &sub, &business, 1, None, now).unwrap();
    let year = span(now, datetime!(2027-03-11 0:00 UTC));
    assert_eq!(
        figures(&quote),
        (
            vec![("Unused time on Pro", "-27.10".into()), ("Business Yearly", "600.00".into())],
            "572.90".into()
        )
    );
    assert_eq!(quote.lines[0].period, Some(span(now, datetime!(2026-04-01 0:00 UTC))));
    assert_eq!(quote.lines[1].period, Some(year));
    assert_eq!((quote.timing, quote.effective_at, quote.period), (ChangeTiming::Now, now, Some(year)));
    // Applying the change gives the subscription the period the quote charged.
    sub.change_plan(&business, 1, now).unwrap();
    assert_eq!(sub.period_at(now), Some(year));
    // A yearly plan cheaper a month (400/12 = 33.33 < 40) is a downgrade: at period end, free now.
    let pro_yearly = plan("pro-yearly", "Pro Yearly", "400 USD", Year);
    let sub = subscribe(&pro, 1, datetime!(2026-03-01 0:00 UTC));
    let quote = quote_change(&pro, &sub, &pro_yearly, 1, None, now).unwrap();
    assert_eq!((quote.timing, quote.effective_at), (ChangeTiming::PeriodEnd, datetime!(2026-04-01 0:00 UTC)));
    assert_eq!(figures(&quote), (vec![], "0.00".into()));
}

#[test]
fn from_a_year_to_a_month_waits_for_the_year_end_or_credits_the_unused_days() {
    // Pro Yearly at 480 since 1 Jan 2026: the year has 365 days. Pro Monthly at 40 costs the same
    // a month (480/12 = 40), so not an upgrade: by default it waits for 1 Jan 2027.
    let yearly = plan("pro-yearly", "Pro Yearly", "480 USD", Year);
    let monthly = plan("pro", "Pro", "40 USD", Month);
    let sub = subscribe(&yearly, 1, datetime!(2026-01-01 0:00 UTC));
    let now = datetime!(2026-07-02 0:00 UTC);
    let later = quote_change(&yearly, &sub, &monthly, 1, None, now).unwrap();
    assert_eq!((later.timing, later.effective_at), (ChangeTiming::PeriodEnd, datetime!(2027-01-01 0:00 UTC)));
    assert_eq!((later.lines.len(), later.period), (0, None));
    // Now: from 2 Jul, 30 + 31 + 30 + 31 + 30 + 31 = 183 days are left: credit 480 × 183/365 =
    // 240.657534… → -240.66; the month [2 Jul, 2 Aug) is charged 40.00. Total -200.66.
    let quote = quote_change(&yearly, &sub, &monthly, 1, Some(ChangeTiming::Now), now).unwrap();
    assert_eq!(
        figures(&quote),
        (vec![("Unused time on Pro Yearly", "-240.66".into()), ("Pro", "40.00".into())], "-200.66".into())
    );
    assert_eq!(quote.period, Some(span(now, datetime!(2026-08-02 0:00 UTC))));
}

#[test]
fn more_seats_are_charged_at_once_for_the_rest_of_the_period() {
    // Team is 12 a seat a month. 5 → 8 seats halfway through [10 Apr, 10 May) (15 of 30 days
    // left): credit 5 × 12 / 2 = -30.00, charge 8 × 12 / 2 = 48.00, total 18.00.
    let team = per_seat(plan("team", "Team", "12 USD", Month));
    let sub = subscribe(&team, 5, datetime!(2026-04-10 0:00 UTC));
    let quote = quote_change(&team, &sub, &team, 8, None, datetime!(2026-04-25 0:00 UTC)).unwrap();
    assert_eq!(
        figures(&quote),
        (
            vec![
                ("Unused time on Team × 5 seats", "-30.00".into()),
                ("Remaining time on Team × 8 seats", "48.00".into())
            ],
            "18.00".into()
        )
    );
    assert_eq!(quote.timing, ChangeTiming::Now);
}

#[test]
fn fewer_seats_wait_for_the_period_end_or_are_credited_now() {
    // 8 → 5 seats of Team (12 a seat): a downgrade, by default at the end of [10 Apr, 10 May).
    let team = per_seat(plan("team", "Team", "12 USD", Month));
    let sub = subscribe(&team, 8, datetime!(2026-04-10 0:00 UTC));
    let now = datetime!(2026-04-20 6:00 UTC);
    let later = quote_change(&team, &sub, &team, 5, None, now).unwrap();
    assert_eq!((later.timing, later.effective_at), (ChangeTiming::PeriodEnd, datetime!(2026-05-10 0:00 UTC)));
    assert_eq!(figures(&later), (vec![], "0.00".into()));
    // Now, with 19 days 18 hours = 19.75 of 30 days left: credit 96 × 19.75/30 = 63.20,
    // charge 60 × 19.75/30 = 39.50, total -23.70 (a credit).
    let quote = quote_change(&team, &sub, &team, 5, Some(ChangeTiming::Now), now).unwrap();
    assert_eq!(
        figures(&quote),
        (
            vec![
                ("Unused time on Team × 8 seats", "-63.20".into()),
                ("Remaining time on Team × 5 seats", "39.50".into())
            ],
            "-23.70".into()
        )
    );
}

#[test]
fn xof_has_no_minor_unit_and_its_halves_round_to_even() {
    // Basic 5000 XOF → Pro 15000 XOF in April (30 days = 2 592 000 s) with 1 h 4 min 48 s =
    // 3888 s left: credit 5000 × 3888 / 2 592 000 = 7.5 → -8 (even), charge 15000 × 3888 /
    // 2 592 000 = 22.5 → 22 (even). Total 14 (half away from zero would have made it 15).
    let basic = plan("basic", "Basic", "5000 XOF", Month);
    let pro = plan("pro", "Pro", "15000 XOF", Month);
    let sub = subscribe(&basic, 1, datetime!(2026-04-01 0:00 UTC));
    let quote = quote_change(&basic, &sub, &pro, 1, None, datetime!(2026-04-30 22:55:12 UTC)).unwrap();
    assert_eq!(
        figures(&quote),
        (vec![("Unused time on Basic", "-8".into()), ("Remaining time on Pro", "22".into())], "14".into())
    );
    assert_eq!(quote.total, money("14 XOF"));
}

#[test]
fn from_a_flat_plan_to_a_per_seat_plan() {
    // Pro is 45 flat; Team 12 a seat, 5 seats = 60: an upgrade. In [15 Jun 9:00, 15 Jul 9:00),
    // 17 days 18 hours = 17.75 of 30 days are left on 27 Jun at 15:00: credit 45 × 17.75/30 =
    // 26.625 → -26.62 (the tie goes to the even 2), charge 60 × 17.75/30 = 35.50. Total 8.88.
    let pro = plan("pro", "Pro", "45 USD", Month);
    let team = per_seat(plan("team", "Team", "12 USD", Month));
    let sub = subscribe(&pro, 5, datetime!(2026-06-15 9:00 UTC));
    let quote = quote_change(&pro, &sub, &team, 5, None, datetime!(2026-06-27 15:00 UTC)).unwrap();
    assert_eq!(
        figures(&quote),
        (
            vec![
                ("Unused time on Pro", "-26.62".into()),
                ("Remaining time on Team × 5 seats", "35.50".into())
            ],
            "8.88".into()
        )
    );
}

#[test]
fn a_change_during_a_trial_costs_nothing() {
    // Trialing for 14 days from 1 May: moving to a dearer or cheaper plan charges nothing and
    // applies at once; the trial [1 May, 15 May) stays the current period.
    let pro = with_trial(plan("pro", "Pro", "45 USD", Month), 14);
    let business = plan("business", "Business", "90 USD", Month);
    let free = plan("free", "Free", "0 USD", Month);
    let sub = subscribe(&pro, 1, datetime!(2026-05-01 0:00 UTC));
    let now = datetime!(2026-05-05 0:00 UTC);
    let trial = span(datetime!(2026-05-01 0:00 UTC), datetime!(2026-05-15 0:00 UTC));
    for target in [&business, &free] {
        let quote = quote_change(&pro, &sub, target, 1, None, now).unwrap();
        assert_eq!(figures(&quote), (vec![], "0.00".into()));
        assert_eq!((quote.timing, quote.effective_at, quote.period), (ChangeTiming::Now, now, Some(trial)));
    }
    // Asked for at period end, it waits for the trial's end, still at no cost.
    let quote = quote_change(&pro, &sub, &business, 1, Some(ChangeTiming::PeriodEnd), now).unwrap();
    assert_eq!((quote.effective_at, quote.total), (trial.end, money("0 USD")));
}

#[test]
fn leaving_a_free_plan_has_no_credit_line() {
    // Free → Pro (40) with 10 of April's 30 days left: only the charge, 40 × 10/30 = 13.333… →
    // 13.33.
    let (free, pro) = (plan("free", "Free", "0 USD", Month), plan("pro", "Pro", "40 USD", Month));
    let sub = subscribe(&free, 1, datetime!(2026-04-01 0:00 UTC));
    let quote = quote_change(&free, &sub, &pro, 1, None, datetime!(2026-04-21 0:00 UTC)).unwrap();
    assert_eq!(figures(&quote), (vec![("Remaining time on Pro", "13.33".into())], "13.33".into()));
}
