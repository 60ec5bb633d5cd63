//! The actors a notification shows: newest first, at most three, stored as
//! `"id,id,id"`.

use chorus_core::Id;

/// Cards a notification carries; `actor_count` tells how many more acted.
pub const MAX_SHOWN_ACTORS: usize = 3;

/// `actor` acted again or for the first time: first in line, once.
pub fn push_actor(shown: &[Id], actor: Id) -> Vec<Id> {
    std::iter::once(actor)
        .chain(shown.iter().copied().filter(|id| *id != actor))
        .take(MAX_SHOWN_ACTORS)
        .collect()
}

pub fn render_actor_ids(ids: &[Id]) -> String {
    ids.iter().map(Id::to_string).collect::<Vec<_>>().join(",")
}

/// The stored list; anything unreadable in it is skipped.
pub fn parse_actor_ids(text: &str) -> Vec<Id> {
    text.split(',')
        .filter_map(|part| part.trim().parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_actor_comes_first_once_and_three_are_kept() {
        let mut shown = push_actor(&[], Id(1));
        for actor in [2, 3, 4] {
            shown = push_actor(&shown, Id(actor));
        }
        assert_eq!(shown, [Id(4), Id(3), Id(2)]);
        assert_eq!(push_actor(&shown, Id(2)), [Id(2), Id(4), Id(3)]);
    }

    #[test]
    fn the_stored_list_round_trips() {
        let ids = [Id(7), Id(12345678901234)];
        assert_eq!(parse_actor_ids(&render_actor_ids(&ids)), ids);
        assert!(parse_actor_ids("").is_empty());
    }
}
