//! The x6 option framework's whole-rule messages (`xtables_options_fcheck`),
//! shared by extensions that declare exclusions and dependencies between
//! their options. The framework checks options in the extension's table
//! order, so callers test pairs in that order.

use crate::xt::opts::{self, Error};

/// `option "--a" cannot be used together with "--b".` (two options given).
pub fn excl(ext: &str, a: &str, b: &str) -> Error {
    opts::param(format!("{ext}: option \"--{a}\" cannot be used together with \"--{b}\".\n"))
}

/// `option "--a" also requires "--b".` (a given without b).
pub fn also(ext: &str, a: &str, b: &str) -> Error {
    opts::param(format!("{ext}: option \"--{a}\" also requires \"--{b}\".\n"))
}

/// The x6 "bad value ... out of range (min-max)" message for integer types.
pub fn range(ext: &str, opt: &str, min: u64, max: u64) -> Error {
    opts::param(format!("{ext}: bad value for option \"--{opt}\", or out of range ({min}-{max}).\n"))
}

/// Parses an x6 integer (`strtoul` base 0) within `min..=max`.
pub fn uint(ext: &str, opt: &str, s: &str, min: u64, max: u64) -> Result<u64, Error> {
    opts::parse_uint(s, max).filter(|v| *v >= min).ok_or_else(|| range(ext, opt, min, max))
}

/// Checks option exclusions: `seen` lists given options in table order,
/// `pairs` the (option, excluded option) pairs in table order.
pub fn check_excl(ext: &str, seen: &[&str], pairs: &[(&str, &str)]) -> Result<(), Error> {
    for (a, b) in pairs {
        if seen.contains(a) && seen.contains(b) {
            return Err(excl(ext, a, b));
        }
    }
    Ok(())
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn messages_end_with_a_newline_like_the_framework() {
        assert_eq!(excl("x", "a", "b"), opts::param("x: option \"--a\" cannot be used together with \"--b\".\n"));
        assert_eq!(uint("x", "n", "0", 1, 9), Err(range("x", "n", 1, 9)));
        assert_eq!(uint("x", "n", "0x9", 1, 9), Ok(9));
        assert!(check_excl("x", &["a", "b"], &[("a", "b")]).is_err());
    }
}
