//! Unit tests of `redactions.rs`.

use super::*;

/// The hand-written matchers against the regexes they stand for, on strings made of the
/// characters those shapes are built from.
#[test]
fn default_log_rules_match_their_regexes() {
    let rules = [
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:?[0-9]{2})?",
        r"1-[0-9a-f]{8}-[0-9a-f]{24}",
        r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
    ]
    .map(|rule| Regex::new(rule).unwrap());
    let alphabet: Vec<char> = "0123456789abcdefABCDEFg-:.TZ +é".chars().collect();
    // Templates that put near-misses in reach of a random walk.
    let seeds = [
        "2026-01-15T10:15:00.123Z",
        "2026-01-15 10:15:00+05:30",
        "2026-01-15T10:15:00.+0530",
        "2026-01-15 10:15:00-0800",
        "2026-01-15T10:15:00.5+05:3",
        "1-5e1b4151-5ac6c58f3d2a4b1c9e0f1a2b",
        "0d1f4e9e-5c1e-4c3a-9f7b-1f2e3d4c5b6a",
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for case in 0..20_000 {
        let mut text: Vec<char> = if case % 2 == 0 {
            seeds[next(seeds.len())].chars().collect()
        } else {
            Vec::new()
        };
        for _ in 0..next(40) {
            let c = alphabet[next(alphabet.len())];
            match next(3) {
                0 if !text.is_empty() => {
                    let i = next(text.len());
                    text[i] = c;
                }
                _ => {
                    let i = next(text.len() + 1);
                    text.insert(i, c);
                }
            }
        }
        let text: String = text.into_iter().collect();
        for ((matcher, with), rule) in DEFAULT_LOG_RULES.into_iter().zip(&rules) {
            let expected = rule.replace_all(&text, with);
            assert_eq!(
                volatile::replace_all(&text, matcher, with),
                expected,
                "{rule} on {text:?}"
            );
        }
    }
}
