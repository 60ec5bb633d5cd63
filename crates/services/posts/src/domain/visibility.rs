//! Who may see a post.

use chorus_core::{ApiError, ApiResult, Id};
use chorus_rpc::users::Relation;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Everyone, signed in or not.
    Public,
    /// The author's approved followers (friends follow each other).
    Followers,
    /// The author alone.
    Private,
}

impl Visibility {
    pub const ALL: [Visibility; 3] = [Self::Public, Self::Followers, Self::Private];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Followers => "followers",
            Self::Private => "private",
        }
    }

    /// A request's value: absent means public; unknown is a 400 on `visibility`.
    pub fn parse(raw: Option<&str>) -> ApiResult<Self> {
        match raw {
            None => Ok(Self::Public),
            Some(raw) => Self::from_stored(raw).ok_or_else(|| {
                ApiError::invalid_field("visibility", "must be public, followers or private")
            }),
        }
    }

    pub fn from_stored(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == raw)
    }

    /// The visibilities `viewer` may see among `author`'s posts, given how
    /// they stand (`relation` is `None` for an anonymous viewer). Empty when
    /// a block hides the author.
    pub fn visible_set(viewer: Option<Id>, author: Id, relation: Option<Relation>) -> Vec<Self> {
        Self::ALL
            .into_iter()
            .filter(|v| v.visible_to(viewer, author, relation))
            .collect()
    }

    /// The rule ([`chorus_rpc::posts::may_see`], shared with the services
    /// that show posts): the author sees everything; a block either way
    /// hides everything; public is for all; followers for those who follow;
    /// private for nobody else.
    pub fn visible_to(self, viewer: Option<Id>, author: Id, relation: Option<Relation>) -> bool {
        chorus_rpc::posts::may_see(self.as_str(), viewer, author, relation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUTHOR: Id = Id(1);
    const VIEWER: Id = Id(2);

    fn relation(following: bool, blocked: bool) -> Option<Relation> {
        Some(Relation {
            following,
            blocked,
            friends: false,
        })
    }

    #[test]
    fn absent_means_public_and_unknown_is_refused() {
        assert_eq!(Visibility::parse(None).expect("ok"), Visibility::Public);
        assert_eq!(
            Visibility::parse(Some("followers")).expect("ok"),
            Visibility::Followers
        );
        for bad in ["", "Public", "friends", "unlisted"] {
            let error = Visibility::parse(Some(bad)).expect_err("refused");
            assert_eq!(error.details.expect("details")["field"], "visibility");
        }
    }

    #[test]
    fn each_viewer_sees_what_the_rule_says() {
        use Visibility::*;
        let stranger = relation(false, false);
        let follower = relation(true, false);
        let blocked_follower = relation(true, true);
        let cases = [
            (None, None, vec![Public]),
            (Some(VIEWER), stranger, vec![Public]),
            (Some(VIEWER), follower, vec![Public, Followers]),
            (Some(VIEWER), blocked_follower, vec![]),
            (Some(AUTHOR), None, vec![Public, Followers, Private]),
        ];
        for (viewer, relation, expected) in cases {
            assert_eq!(
                Visibility::visible_set(viewer, AUTHOR, relation),
                expected,
                "{viewer:?} {relation:?}"
            );
        }
    }
}
