//! `-m comment --comment TEXT`: always matches; carries text for humans.

use crate::xt::opts::{self, Error, Opt};
use crate::xt::packet::PacketView;
use crate::xt::{Match, RuleInfo};

/// The comment match.
#[derive(Clone, Debug, Default)]
pub struct Comment {
    /// The text (at most 255 bytes, the kernel's buffer less its NUL).
    pub text: Option<String>,
}

const OPTS: &[Opt] = &[Opt::arg("comment")];

impl Match for Comment {
    fn name(&self) -> &'static str {
        "comment"
    }
    fn options(&self) -> &'static [Opt] {
        OPTS
    }
    fn parse(&mut self, _: &str, _: bool, args: &[&str], _: &RuleInfo) -> Result<(), Error> {
        // Longer text is cut to the buffer silently (observed: 256 and more
        // characters are stored as the first 255).
        let mut end = args[0].len().min(255);
        while !args[0].is_char_boundary(end) {
            end -= 1;
        }
        self.text = Some(args[0][..end].to_string());
        Ok(())
    }
    fn finish(&mut self, _: &RuleInfo) -> Result<(), Error> {
        if self.text.is_none() {
            return Err(opts::must_specify("comment", "comment"));
        }
        Ok(())
    }
    fn save(&self, out: &mut String) {
        out.push_str(" --comment ");
        out.push_str(&opts::quote_if_needed(self.text.as_deref().unwrap_or_default()));
    }
    fn list(&self, out: &mut String, _: bool) {
        out.push_str(&format!(" /* {} */", self.text.as_deref().unwrap_or_default()));
    }
    fn matches(&mut self, _: &mut dyn PacketView, _: &mut bool) -> bool {
        true
    }
    fn box_clone(&self) -> Box<dyn Match> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn quotes_only_when_needed() {
        let mut m = Comment::default();
        m.parse("comment", false, &["x y"], &RuleInfo::default()).unwrap();
        let (mut s, mut l) = (String::new(), String::new());
        m.save(&mut s);
        m.list(&mut l, true);
        assert_eq!((s.as_str(), l.as_str()), (" --comment \"x y\"", " /* x y */"));
    }

    #[test]
    fn missing_comment_is_refused() {
        assert_eq!(Comment::default().finish(&RuleInfo::default()), Err(opts::must_specify("comment", "comment")));
    }
}
