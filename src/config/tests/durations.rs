use super::super::duration::parse;
use super::super::parse_duration;
use proptest::prelude::*;

#[test]
fn units() {
    assert_eq!(parse_duration("0m"), Ok(0));
    assert_eq!(parse_duration("0ms"), Ok(0));
    assert_eq!(parse_duration("250ms"), Ok(250));
    assert_eq!(parse_duration("90s"), Ok(90_000));
    assert_eq!(parse_duration("15m"), Ok(900_000));
    assert_eq!(parse_duration("4h"), Ok(14_400_000));
    assert_eq!(parse_duration("3d"), Ok(259_200_000));
    assert_eq!(parse_duration("007m"), Ok(420_000));
}

#[test]
fn compounds() {
    assert_eq!(parse_duration("1h30m"), Ok(5_400_000));
    assert_eq!(parse_duration("1d12h"), Ok(129_600_000));
    assert_eq!(parse_duration("2m30s"), Ok(150_000));
    assert_eq!(parse_duration("1s500ms"), Ok(1_500));
    assert_eq!(parse_duration("1d1h1m1s1ms"), Ok(86_400_000 + 3_600_000 + 60_000 + 1_000 + 1));
    // Large counts in a small unit are fine.
    assert_eq!(parse_duration("90m"), Ok(5_400_000));
}

#[test]
fn days_are_remembered() {
    assert!(parse("1d").unwrap().uses_days);
    assert!(parse("1d2h").unwrap().uses_days);
    assert!(!parse("24h").unwrap().uses_days);
    assert!(!parse("1ms").unwrap().uses_days);
}

#[track_caller]
fn refused(text: &str, fragment: &str) {
    match parse_duration(text) {
        Ok(ms) => panic!("{text:?} was accepted as {ms} ms"),
        Err(message) => {
            assert!(message.contains(fragment), "{text:?}: message {message:?} lacks {fragment:?}");
            assert!(message.contains(&format!("{text:?}")), "{text:?}: message {message:?} does not quote the value");
        }
    }
}

#[test]
fn malformed() {
    refused("", "expected a duration");
    refused("m", "expected a duration");
    refused("h1", "expected a duration");
    refused("10", "missing unit");
    refused("1h30", "missing unit");
    refused("10x", "unknown unit \"x\"");
    refused("10H", "unknown unit \"H\"");
    refused("10min", "unknown unit \"min\"");
    refused("10sec", "unknown unit \"sec\"");
    refused("1h_30m", "expected a duration");
}

#[test]
fn no_sign_fraction_or_space() {
    refused("-5m", "negative");
    refused("+5m", "sign");
    refused("1.5h", "fractions");
    refused("1,5h", "fractions");
    refused("1h 30m", "spaces");
    refused(" 5m", "spaces");
    refused("5m ", "spaces");
}

#[test]
fn units_in_decreasing_order_once() {
    refused("30m1h", "largest to the smallest");
    refused("1h1h", "largest to the smallest");
    refused("1ms1s", "largest to the smallest");
    refused("1m1m", "largest to the smallest");
}

#[test]
fn overflow() {
    // i64::MAX ms is 9223372036854775807.
    assert_eq!(parse_duration("9223372036854775807ms"), Ok(i64::MAX));
    refused("9223372036854775808ms", "too large");
    refused("99999999999999999999999999s", "too large");
    refused("106751991167301d", "too large");
    assert_eq!(parse_duration("106751991167d7h"), Ok(106_751_991_167 * 86_400_000 + 7 * 3_600_000));
    refused("106751991168d", "too large");
    // Each part fits, the sum does not.
    refused("106751991167d8h", "too large");
    refused("1d99999999999999999h", "too large");
}

proptest! {
    #[test]
    fn compound_is_the_sum(d in 0i64..1000, h in 0i64..1000, m in 0i64..100_000, s in 0i64..100_000, ms in 0i64..1_000_000) {
        let mut text = String::new();
        let mut expected = 0;
        for (count, unit, len) in [(d, "d", 86_400_000), (h, "h", 3_600_000), (m, "m", 60_000), (s, "s", 1_000), (ms, "ms", 1)] {
            if count > 0 {
                text.push_str(&format!("{count}{unit}"));
                expected += count * len;
            }
        }
        if text.is_empty() {
            text.push_str("0s");
        }
        prop_assert_eq!(parse_duration(&text), Ok(expected));
        prop_assert_eq!(parse(&text).unwrap().uses_days, d > 0);
    }

    #[test]
    fn never_panics(text in "\\PC{0,12}") {
        let _ = parse_duration(&text);
    }
}
