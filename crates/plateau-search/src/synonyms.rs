//! Synonyms per tenant and language, expanded at query time.
//!
//! A knowledge manager writes groups of equivalent phrases ("connexion rame",
//! "internet lent", "débit faible"). Each phrase is analysed once with the
//! language's analyser; when the analysed query contains one phrase's terms
//! contiguously, the other phrases of its group are added to the query. Query
//! time (not index time) so that editing a group takes effect immediately,
//! without reindexing.

use std::collections::HashMap;
use std::sync::Arc;

use uuid::Uuid;

use crate::analysis::Analyzers;
use crate::document::Language;

/// One phrase of a group, as analysed terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    /// What the knowledge manager wrote.
    pub text: String,
    pub terms: Vec<String>,
}

/// The synonym groups of one tenant in one language.
#[derive(Debug, Clone, Default)]
pub struct SynonymSet {
    groups: Vec<Vec<Phrase>>,
}

impl SynonymSet {
    /// Analyses `groups` (each a list of equivalent phrases). Phrases that
    /// analyse to nothing (only stop words) and groups left with fewer than
    /// two phrases are dropped: they could never expand anything.
    pub fn build(analyzers: &Analyzers, language: Language, groups: &[Vec<String>]) -> Self {
        let groups = groups
            .iter()
            .map(|group| {
                let mut phrases: Vec<Phrase> = Vec::new();
                for text in group {
                    let terms: Vec<String> = analyzers
                        .analyze(language, text)
                        .into_iter()
                        .map(|t| t.term)
                        .collect();
                    if !terms.is_empty() && !phrases.iter().any(|p| p.terms == terms) {
                        phrases.push(Phrase {
                            text: text.trim().to_string(),
                            terms,
                        });
                    }
                }
                phrases
            })
            .filter(|g| g.len() >= 2)
            .collect();
        SynonymSet { groups }
    }

    /// Number of usable groups.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Whether there is no usable group.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The phrases to add for an analysed query: every other phrase of each
    /// group one of whose phrases occurs contiguously in `query_terms`.
    pub fn expansions(&self, query_terms: &[String]) -> Vec<&Phrase> {
        let mut out: Vec<&Phrase> = Vec::new();
        for group in &self.groups {
            let matched: Vec<usize> = group
                .iter()
                .enumerate()
                .filter(|(_, p)| contains_run(query_terms, &p.terms))
                .map(|(i, _)| i)
                .collect();
            if matched.is_empty() {
                continue;
            }
            for (i, phrase) in group.iter().enumerate() {
                if !matched.contains(&i) && !out.iter().any(|p| p.terms == phrase.terms) {
                    out.push(phrase);
                }
            }
        }
        out
    }
}

fn contains_run(haystack: &[String], needle: &[String]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every tenant's synonym sets. The store owns the groups (knowledge managers
/// edit them there); it pushes them here at start-up and on each change.
#[derive(Debug, Default)]
pub struct SynonymRegistry {
    sets: HashMap<(Uuid, Language), Arc<SynonymSet>>,
}

impl SynonymRegistry {
    /// Replaces a tenant's groups for a language (an empty list removes them).
    pub fn set(&mut self, tenant: Uuid, language: Language, set: SynonymSet) {
        if set.is_empty() {
            self.sets.remove(&(tenant, language));
        } else {
            self.sets.insert((tenant, language), Arc::new(set));
        }
    }

    /// A tenant's groups for a language, if any.
    pub fn get(&self, tenant: Uuid, language: Language) -> Option<Arc<SynonymSet>> {
        self.sets.get(&(tenant, language)).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn multi_word_phrase_expands_to_the_others() {
        let analyzers = Analyzers::default();
        let set = SynonymSet::build(
            &analyzers,
            Language::Fr,
            &[group(&["connexion rame", "internet lent", "débit faible"])],
        );
        let query: Vec<String> = analyzers
            .analyze(Language::Fr, "ma connexion rame")
            .into_iter()
            .map(|t| t.term)
            .collect();
        let texts: Vec<&str> = set
            .expansions(&query)
            .iter()
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(texts, vec!["internet lent", "débit faible"]);
    }

    #[test]
    fn partial_phrase_does_not_expand() {
        let analyzers = Analyzers::default();
        let set = SynonymSet::build(
            &analyzers,
            Language::Fr,
            &[group(&["connexion rame", "internet lent"])],
        );
        let query: Vec<String> = analyzers
            .analyze(Language::Fr, "connexion fibre")
            .into_iter()
            .map(|t| t.term)
            .collect();
        assert!(set.expansions(&query).is_empty());
    }

    #[test]
    fn useless_groups_are_dropped() {
        let analyzers = Analyzers::default();
        let set = SynonymSet::build(
            &analyzers,
            Language::Fr,
            &[
                group(&["le", "frigo"]),
                group(&["frigo", "Frigo"]),
                group(&["frigo", "réfrigérateur"]),
            ],
        );
        assert_eq!(set.len(), 1);
    }
}
