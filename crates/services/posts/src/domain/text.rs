//! Hashtags and mentions, read from a post's or a comment's text.
//!
//! - A hashtag is `#` at the start or after a character that is not
//!   alphanumeric, `_`, `#` or `&` (so `C#`, `##x` and `&#123;` are not tags),
//!   then 1 to 100 Unicode alphanumerics or `_` with at least one that is not
//!   a digit. Kept lowercase (Unicode), once each, in order of appearance.
//! - A mention is `@` at the start or after a character that is not
//!   alphanumeric, `_`, `.` or `@` (so `email@host` and `@@x` are not
//!   mentions), then 3 to 30 of `[A-Za-z0-9_]` not followed by another
//!   alphanumeric or `_`. Kept lowercase, once each, in order.

const MAX_TAG_CHARS: usize = 100;
const MIN_USERNAME: usize = 3;
const MAX_USERNAME: usize = 30;

/// The hashtags of `text`, lowercase, without `#`.
pub fn hashtags(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tags = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '#' || !may_start(&chars, i, &['_', '#', '&']) {
            i += 1;
            continue;
        }
        let end = run_end(&chars, i + 1, |c| c.is_alphanumeric() || c == '_');
        let run = &chars[i + 1..end];
        let fits = (1..=MAX_TAG_CHARS).contains(&run.len());
        if fits && run.iter().any(|c| !c.is_numeric()) {
            push_once(&mut tags, run.iter().collect::<String>().to_lowercase());
        }
        i = end.max(i + 1);
    }
    tags
}

/// The usernames `text` mentions, lowercase, without `@`.
pub fn mentions(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut names = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '@' || !may_start(&chars, i, &['_', '.', '@']) {
            i += 1;
            continue;
        }
        let end = run_end(&chars, i + 1, |c| c.is_ascii_alphanumeric() || c == '_');
        let run = &chars[i + 1..end];
        // `@bobé` is not `@bob`: the name must end where the word ends.
        let word_ends = chars
            .get(end)
            .is_none_or(|&c| !(c.is_alphanumeric() || c == '_'));
        if word_ends && (MIN_USERNAME..=MAX_USERNAME).contains(&run.len()) {
            push_once(
                &mut names,
                run.iter().collect::<String>().to_ascii_lowercase(),
            );
        }
        i = end.max(i + 1);
    }
    names
}

/// May a marker at `at` start a tag or mention, given the character before it?
fn may_start(chars: &[char], at: usize, forbidden: &[char]) -> bool {
    match at.checked_sub(1).map(|before| chars[before]) {
        None => true,
        Some(before) => !before.is_alphanumeric() && !forbidden.contains(&before),
    }
}

/// Where the run of characters matching `part` starting at `from` ends.
fn run_end(chars: &[char], from: usize, part: impl Fn(char) -> bool) -> usize {
    let mut end = from;
    while end < chars.len() && part(chars[end]) {
        end += 1;
    }
    end
}

fn push_once(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(text: &str) -> Vec<String> {
        hashtags(text)
    }

    fn names(text: &str) -> Vec<String> {
        mentions(text)
    }

    #[test]
    fn unicode_hashtags_are_read_whole_and_lowercased() {
        assert_eq!(tags("#café au lait"), ["café"]);
        assert_eq!(tags("#ÉTÉ #Straße"), ["été", "straße"]);
        assert_eq!(tags("#日本語 と #русский"), ["日本語", "русский"]);
        assert_eq!(tags("#snake_case_tag"), ["snake_case_tag"]);
    }

    #[test]
    fn a_hashtag_needs_a_character_that_is_not_a_digit() {
        assert!(tags("#123 #2026").is_empty());
        assert_eq!(tags("#1a #a1 #_"), ["1a", "a1", "_"]);
        // Other scripts' digits are digits too.
        assert!(tags("#٣٤").is_empty());
    }

    #[test]
    fn a_hashtag_must_start_a_word() {
        assert!(tags("C# and F#").is_empty());
        assert!(tags("&#123; &#x41;").is_empty());
        assert!(tags("##double").is_empty());
        assert!(tags("under_#score").is_empty());
        assert_eq!(tags("#tag#other"), ["tag"]);
    }

    #[test]
    fn punctuation_and_emoji_end_or_precede_a_hashtag() {
        assert_eq!(
            tags("(#rust), #tokio! #axum. \"#sqlx\" #serde?"),
            ["rust", "tokio", "axum", "sqlx", "serde"]
        );
        assert_eq!(tags("🎉#party🎉 👋#hello-world"), ["party", "hello"]);
        assert_eq!(tags("line\n#next\t#tab"), ["next", "tab"]);
        assert!(tags("# alone #").is_empty());
    }

    #[test]
    fn hashtags_are_unique_in_order_of_appearance() {
        assert_eq!(tags("#b #A #b #a #B"), ["b", "a"]);
    }

    #[test]
    fn a_hashtag_has_at_most_a_hundred_characters() {
        let longest = "x".repeat(100);
        assert_eq!(tags(&format!("#{longest}")), vec![longest.clone()]);
        assert!(tags(&format!("#{longest}y")).is_empty());
    }

    #[test]
    fn mentions_are_lowercased_usernames() {
        assert_eq!(names("hi @Alice and @bob_99"), ["alice", "bob_99"]);
        assert_eq!(names("@alice @ALICE"), ["alice"]);
    }

    #[test]
    fn an_email_address_is_not_a_mention() {
        assert!(names("write to email@host.com").is_empty());
        assert!(names("first.last@example.org").is_empty());
        assert!(names("me_@example").is_empty());
    }

    #[test]
    fn doubled_at_signs_mention_nobody() {
        assert!(names("@@x @@alice").is_empty());
    }

    #[test]
    fn a_mention_ends_where_the_word_ends() {
        assert_eq!(names("(@alice), @bob! @carol."), ["alice", "bob", "carol"]);
        assert_eq!(names("@dave.smith"), ["dave"]);
        assert!(names("@bobé").is_empty(), "é continues the word");
        assert_eq!(names("🎉@alice🎉"), ["alice"]);
        assert_eq!(names("@alice@bob"), ["alice"]);
    }

    #[test]
    fn a_username_has_three_to_thirty_characters() {
        assert!(names("@ab").is_empty());
        assert_eq!(names("@abc"), ["abc"]);
        let longest = "a".repeat(30);
        assert_eq!(names(&format!("@{longest}")), vec![longest.clone()]);
        assert!(names(&format!("@{longest}a")).is_empty());
        assert!(names("@ @ @").is_empty());
    }
}
