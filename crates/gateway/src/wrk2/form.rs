//! The parameters of DeathStarBench's requests, read as its nginx front end
//! reads them, and checked into one typed request per route.
//!
//! wrk2's scripts do not escape their bodies (a composed post's text goes
//! out with raw spaces, `@`, `:`, `/`, `"`, `[`), so decoding is lenient:
//! `+` is a space, `%XX` a byte, anything else is taken as it is.

use std::fmt;

/// The most entries a timeline read may reach (`stop`): ten pages of a
/// Chorus list. DeathStarBench's scripts ask for at most 110.
pub(crate) const MAX_STOP: usize = 1000;

/// What a request gave: the form body's pairs, then the query string's.
#[derive(Debug, Default)]
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Reads the body whatever its `Content-Type` (the scripts send the
    /// form type even on body-less GETs), then the query string.
    pub(crate) fn new(query: Option<&str>, body: &[u8]) -> Self {
        let mut pairs = parse(body);
        if let Some(query) = query {
            pairs.extend(parse(query.as_bytes()));
        }
        Self { pairs }
    }

    /// The first non-empty value of `name`: the front end treats an empty
    /// value as a missing one.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(key, value)| key == name && !value.is_empty())
            .map(|(_, value)| value.as_str())
    }
}

/// `a=1&b=x+y` into pairs, in order; a part without `=` has an empty value.
pub(crate) fn parse(input: &[u8]) -> Vec<(String, String)> {
    input
        .split(|&byte| byte == b'&')
        .filter(|part| !part.is_empty())
        .map(|part| match part.iter().position(|&byte| byte == b'=') {
            Some(at) => (decode(&part[..at]), decode(&part[at + 1..])),
            None => (decode(part), String::new()),
        })
        .collect()
}

fn decode(raw: &[u8]) -> String {
    let mut bytes = Vec::with_capacity(raw.len());
    let mut at = 0;
    while at < raw.len() {
        match raw[at] {
            b'+' => bytes.push(b' '),
            b'%' => match (raw.get(at + 1).and_then(hex), raw.get(at + 2).and_then(hex)) {
                (Some(high), Some(low)) => {
                    bytes.push(high << 4 | low);
                    at += 2;
                }
                _ => bytes.push(b'%'),
            },
            byte => bytes.push(byte),
        }
        at += 1;
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn hex(byte: &u8) -> Option<u8> {
    char::from(*byte)
        .to_digit(16)
        .and_then(|digit| u8::try_from(digit).ok())
}

/// A request the front end would refuse: a 400 with a short text.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// A required parameter is missing or empty (DeathStarBench's own words).
    Incomplete,
    /// A parameter is there but unusable.
    Invalid(String),
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Incomplete => f.write_str("Incomplete arguments"),
            Self::Invalid(reason) => write!(f, "Invalid arguments: {reason}"),
        }
    }
}

/// The values of `names`, all non-empty.
fn required<'a, const N: usize>(
    params: &'a Params,
    names: [&str; N],
) -> Result<[&'a str; N], Refused> {
    let mut values = [""; N];
    for (value, name) in values.iter_mut().zip(names) {
        *value = params.get(name).ok_or(Refused::Incomplete)?;
    }
    Ok(values)
}

/// A DeathStarBench user id: a 64-bit integer.
fn user_id(name: &str, raw: &str) -> Result<i64, Refused> {
    raw.trim()
        .parse()
        .map_err(|_| Refused::Invalid(format!("{name} must be an integer")))
}

fn position(name: &str, raw: &str) -> Result<usize, Refused> {
    raw.trim()
        .parse()
        .map_err(|_| Refused::Invalid(format!("{name} must be a whole number, 0 or more")))
}

/// `POST /wrk2-api/user/register`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Register {
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) username: String,
    pub(crate) password: String,
    pub(crate) user_id: i64,
}

impl Register {
    pub(crate) fn from(params: &Params) -> Result<Self, Refused> {
        let [first_name, last_name, username, password, user] = required(
            params,
            ["first_name", "last_name", "username", "password", "user_id"],
        )?;
        Ok(Self {
            first_name: first_name.to_string(),
            last_name: last_name.to_string(),
            username: username.to_string(),
            password: password.to_string(),
            user_id: user_id("user_id", user)?,
        })
    }

    /// Chorus's display name: `first last`, at most 50 characters.
    pub(crate) fn display_name(&self) -> String {
        let full = format!("{} {}", self.first_name.trim(), self.last_name.trim());
        full.trim()
            .chars()
            .take(50)
            .collect::<String>()
            .trim()
            .to_string()
    }
}

/// `POST /wrk2-api/user/follow` and `/unfollow`: by ids, else by names.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Pair {
    Ids { user: i64, followee: i64 },
    Names { user: String, followee: String },
}

impl Pair {
    pub(crate) fn from(params: &Params) -> Result<Self, Refused> {
        if let (Some(user), Some(followee)) = (params.get("user_id"), params.get("followee_id")) {
            return Ok(Self::Ids {
                user: user_id("user_id", user)?,
                followee: user_id("followee_id", followee)?,
            });
        }
        match (params.get("user_name"), params.get("followee_name")) {
            (Some(user), Some(followee)) => Ok(Self::Names {
                user: user.to_string(),
                followee: followee.to_string(),
            }),
            _ => Err(Refused::Incomplete),
        }
    }
}

/// `POST /wrk2-api/post/compose`.
///
/// `media_ids` and `media_types` are not read: DeathStarBench's media ids are
/// random numbers that refer to nothing in Chorus (whose media are uploads
/// with ids of their own), so the post is made without media. `post_type`
/// must be one of DeathStarBench's kinds (0 post, 1 repost, 2 reply, 3 DM)
/// but changes nothing: every composed post is a public Chorus post.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Compose {
    pub(crate) username: String,
    pub(crate) user_id: i64,
    pub(crate) text: String,
    pub(crate) post_type: i64,
}

impl Compose {
    pub(crate) fn from(params: &Params) -> Result<Self, Refused> {
        let [username, user, text, post_type] =
            required(params, ["username", "user_id", "text", "post_type"])?;
        let post_type = post_type
            .trim()
            .parse()
            .ok()
            .filter(|kind| (0..=3).contains(kind))
            .ok_or_else(|| Refused::Invalid("post_type must be 0, 1, 2 or 3".to_string()))?;
        Ok(Self {
            username: username.to_string(),
            user_id: user_id("user_id", user)?,
            text: text.to_string(),
            post_type,
        })
    }
}

/// `/wrk2-api/home-timeline/read` and `/user-timeline/read`: entries
/// `start` to `stop` (0-based, `stop` excluded), newest first.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Read {
    pub(crate) user_id: i64,
    pub(crate) start: usize,
    pub(crate) stop: usize,
}

impl Read {
    pub(crate) fn from(params: &Params) -> Result<Self, Refused> {
        let [user, start, stop] = required(params, ["user_id", "start", "stop"])?;
        let read = Self {
            user_id: user_id("user_id", user)?,
            start: position("start", start)?,
            stop: position("stop", stop)?,
        };
        if read.stop > MAX_STOP {
            return Err(Refused::Invalid(format!("stop must be at most {MAX_STOP}")));
        }
        Ok(read)
    }

    /// Nothing to read: the answer is an empty list without asking Chorus.
    pub(crate) fn is_empty(&self) -> bool {
        self.start >= self.stop
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(body: &str, query: Option<&str>) -> Params {
        Params::new(query, body.as_bytes())
    }

    #[test]
    fn pairs_are_decoded_leniently() {
        assert_eq!(
            parse(b"a=1&b=x+y%21&c&=v&&d=100%&e=%zz&f=%C3%A9"),
            [
                ("a", "1"),
                ("b", "x y!"),
                ("c", ""),
                ("", "v"),
                ("d", "100%"),
                ("e", "%zz"),
                ("f", "é"),
            ]
            .map(|(key, value)| (key.to_string(), value.to_string()))
        );
    }

    #[test]
    fn the_unescaped_body_of_the_compose_script_reads_as_meant() {
        let body = "username=username_4&user_id=4&text=AbC9 @username_7 @username_12 http://xYz0\
                    &media_ids=[\"123456789012345678\",\"876543210987654321\"]\
                    &media_types=[\"png\",\"png\"]&post_type=0";
        let compose = Compose::from(&params(body, None)).expect("complete");
        assert_eq!(
            compose,
            Compose {
                username: "username_4".to_string(),
                user_id: 4,
                text: "AbC9 @username_7 @username_12 http://xYz0".to_string(),
                post_type: 0,
            }
        );
    }

    #[test]
    fn a_missing_or_empty_parameter_is_incomplete() {
        let body = "first_name=Ada&last_name=L&username=ada&password=&user_id=1";
        assert_eq!(
            Register::from(&params(body, None)),
            Err(Refused::Incomplete)
        );
        assert_eq!(
            Compose::from(&params("username=a&user_id=1&text=hi", None)),
            Err(Refused::Incomplete)
        );
        assert_eq!(Refused::Incomplete.to_string(), "Incomplete arguments");
    }

    #[test]
    fn register_takes_all_five_and_builds_a_display_name() {
        let body = "first_name=first_name_3&last_name=last_name_3&username=username_3\
                    &password=password_3&user_id=3";
        let register = Register::from(&params(body, None)).expect("complete");
        assert_eq!(register.user_id, 3);
        assert_eq!(register.username, "username_3");
        assert_eq!(register.password, "password_3");
        assert_eq!(register.display_name(), "first_name_3 last_name_3");

        let long = format!(
            "first_name={}&last_name=x&username=u&password=p&user_id=1",
            "a".repeat(60)
        );
        let register = Register::from(&params(&long, None)).expect("complete");
        assert_eq!(register.display_name().chars().count(), 50);
    }

    #[test]
    fn a_user_id_must_be_an_integer() {
        let body = "first_name=a&last_name=b&username=u&password=p&user_id=seven";
        assert_eq!(
            Register::from(&params(body, None)),
            Err(Refused::Invalid("user_id must be an integer".to_string()))
        );
    }

    #[test]
    fn follow_takes_ids_first_then_names() {
        assert_eq!(
            Pair::from(&params(
                "user_id=1&followee_id=2&user_name=a&followee_name=b",
                None
            )),
            Ok(Pair::Ids {
                user: 1,
                followee: 2
            })
        );
        assert_eq!(
            Pair::from(&params("user_id=1&user_name=a&followee_name=b", None)),
            Ok(Pair::Names {
                user: "a".to_string(),
                followee: "b".to_string()
            })
        );
        assert_eq!(
            Pair::from(&params("user_id=1&followee_name=b", None)),
            Err(Refused::Incomplete)
        );
        assert!(matches!(
            Pair::from(&params("user_id=1&followee_id=x", None)),
            Err(Refused::Invalid(_))
        ));
    }

    #[test]
    fn a_post_type_outside_deathstarbench_kinds_is_refused() {
        for bad in ["4", "-1", "post"] {
            let body = format!("username=a&user_id=1&text=hi&post_type={bad}");
            assert!(
                matches!(
                    Compose::from(&params(&body, None)),
                    Err(Refused::Invalid(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_read_takes_the_query_string_and_the_body() {
        let read = Read::from(&params("", Some("user_id=5&start=20&stop=30"))).expect("read");
        assert_eq!(
            read,
            Read {
                user_id: 5,
                start: 20,
                stop: 30
            }
        );
        let read = Read::from(&params("user_id=5&start=0", Some("stop=10"))).expect("read");
        assert_eq!(read.stop, 10);
        // The body wins over the query string.
        let read = Read::from(&params("start=1", Some("user_id=5&start=2&stop=3"))).expect("read");
        assert_eq!(read.start, 1);
    }

    #[test]
    fn read_positions_are_checked() {
        for (query, expected) in [
            (
                "user_id=1&start=-1&stop=10",
                "start must be a whole number, 0 or more",
            ),
            (
                "user_id=1&start=0&stop=ten",
                "stop must be a whole number, 0 or more",
            ),
            ("user_id=1&start=0&stop=1001", "stop must be at most 1000"),
        ] {
            assert_eq!(
                Read::from(&params("", Some(query))),
                Err(Refused::Invalid(expected.to_string())),
                "{query}"
            );
        }
        let backwards = Read::from(&params("", Some("user_id=1&start=9&stop=3"))).expect("read");
        assert!(backwards.is_empty());
    }
}
