//! Text analysis: the word tokenizer, the elision and possessive filters, our
//! stop-word lists, and the French and English analysers built from them.
//!
//! Both analysers fold accents *before* stemming, on the index side and the
//! query side alike. Folding after stemming would not be consistent: Snowball
//! reads accents ("électricité" → "électr", but "electricite" → "electricit"),
//! so a customer typing without accents would miss. Folding first means the
//! stemmer always sees the same unaccented word, whatever the customer typed.

use std::collections::HashSet;
use std::sync::Arc;

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language as StemLanguage, LowerCaser, RemoveLongFilter, Stemmer,
    StopWordFilter, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

use crate::document::Language;

/// Name under which the French analyser is registered on the index.
pub const FRENCH: &str = "plateau_fr";
/// Name under which the English analyser is registered on the index.
pub const ENGLISH: &str = "plateau_en";

/// Tokens longer than this (in bytes) are dropped: base64 blobs, URLs pasted in
/// e-mails and the like only bloat the term dictionary.
const MAX_TOKEN_BYTES: usize = 40;

/// Apostrophes customers actually type: ASCII, typographic (’ from phones and
/// word processors), modifier letter and left quote.
fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | 'ʼ' | '‘')
}

/// Splits on anything that is not a letter or digit, but keeps an apostrophe
/// between two letters ("l’abonnement" → one token "l'abonnement"), so that the
/// language filters can decide what the apostrophe means. Apostrophes are
/// normalised to ASCII.
#[derive(Clone, Default)]
pub struct WordTokenizer;

/// Token stream of [`WordTokenizer`].
pub struct WordTokenStream<'a> {
    text: &'a str,
    cursor: usize,
    token: Token,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordTokenStream<'a> {
        WordTokenStream {
            text,
            cursor: 0,
            token: Token::default(),
        }
    }
}

impl TokenStream for WordTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.token.text.clear();
        let rest = &self.text[self.cursor..];
        let Some((start_rel, _)) = rest.char_indices().find(|(_, c)| c.is_alphanumeric()) else {
            self.cursor = self.text.len();
            return false;
        };
        let start = self.cursor + start_rel;
        let mut end = start;
        let mut chars = self.text[start..].char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c.is_alphanumeric() {
                self.token.text.push(c);
                end = start + i + c.len_utf8();
            } else if is_apostrophe(c)
                && chars.peek().is_some_and(|(_, next)| next.is_alphanumeric())
            {
                // The previous char is alphanumeric (we are inside a word) and
                // the next one too: this apostrophe joins two parts of a word.
                self.token.text.push('\'');
                end = start + i + c.len_utf8();
            } else {
                break;
            }
        }
        self.cursor = end;
        self.token.offset_from = start;
        self.token.offset_to = end;
        self.token.position = self.token.position.wrapping_add(1);
        self.token.position_length = 1;
        true
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// French elided articles and pronouns: what comes before the apostrophe in
/// "l'abonnement", "qu'il", "jusqu'au". Must run after lower-casing.
const FRENCH_ELISIONS: &[&str] = &[
    "l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu",
];

/// What an apostrophe-bearing token becomes in one language.
#[derive(Clone, Copy)]
enum ApostropheRule {
    /// French: drop an elided prefix, then any other apostrophe
    /// ("aujourd'hui" → "aujourdhui").
    Elision,
    /// English: drop a possessive "'s", then any other apostrophe
    /// ("won't" → "wont", which the stop list removes).
    Possessive,
}

impl ApostropheRule {
    fn apply(self, text: &mut String) {
        if !text.contains('\'') {
            return;
        }
        match self {
            ApostropheRule::Elision => {
                if let Some((head, tail)) = text.split_once('\'') {
                    if FRENCH_ELISIONS.contains(&head) && !tail.is_empty() {
                        *text = tail.to_string();
                    }
                }
            }
            ApostropheRule::Possessive => {
                if let Some(stripped) = text.strip_suffix("'s") {
                    *text = stripped.to_string();
                }
            }
        }
        text.retain(|c| c != '\'');
    }
}

/// Token filter applying an [`ApostropheRule`].
#[derive(Clone, Copy)]
pub struct ApostropheFilter(ApostropheRule);

impl ApostropheFilter {
    /// French elision removal (l', d', qu', jusqu', …).
    pub fn elision() -> Self {
        ApostropheFilter(ApostropheRule::Elision)
    }

    /// English possessive removal ('s).
    pub fn possessive() -> Self {
        ApostropheFilter(ApostropheRule::Possessive)
    }
}

impl TokenFilter for ApostropheFilter {
    type Tokenizer<T: Tokenizer> = ApostropheFilterWrapper<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> ApostropheFilterWrapper<T> {
        ApostropheFilterWrapper {
            rule: self.0,
            inner: tokenizer,
        }
    }
}

/// Tokenizer wrapped by an [`ApostropheFilter`].
#[derive(Clone)]
pub struct ApostropheFilterWrapper<T> {
    rule: ApostropheRule,
    inner: T,
}

impl<T: Tokenizer> Tokenizer for ApostropheFilterWrapper<T> {
    type TokenStream<'a> = ApostropheTokenStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        ApostropheTokenStream {
            rule: self.rule,
            tail: self.inner.token_stream(text),
        }
    }
}

/// Token stream of an [`ApostropheFilter`].
pub struct ApostropheTokenStream<S> {
    rule: ApostropheRule,
    tail: S,
}

impl<S: TokenStream> TokenStream for ApostropheTokenStream<S> {
    fn advance(&mut self) -> bool {
        while self.tail.advance() {
            let token = self.tail.token_mut();
            self.rule.apply(&mut token.text);
            // "'s" alone cannot happen (the tokenizer needs a letter before the
            // apostrophe), but an empty token must never reach the index.
            if !token.text.is_empty() {
                return true;
            }
        }
        false
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// French stop words: articles, pronouns, auxiliaries, prepositions and the
/// negation particles that fill customers' sentences ("ça ne marche pas").
/// Written with accents; they are folded before use, like the tokens.
pub const FRENCH_STOP_WORDS: &[&str] = &[
    "a", "à", "au", "aux", "avec", "ce", "ces", "cet", "cette", "ça", "ceci", "cela", "celle",
    "celui", "dans", "de", "des", "du", "elle", "elles", "en", "et", "est", "être", "eu", "il",
    "ils", "je", "j", "la", "le", "les", "leur", "leurs", "lui", "ma", "mais", "me", "même", "mes",
    "moi", "mon", "ne", "nos", "notre", "nous", "on", "ont", "ou", "où", "par", "pas", "pour",
    "qu", "que", "qui", "sa", "se", "ses", "son", "sont", "sur", "ta", "te", "tes", "toi", "ton",
    "tu", "un", "une", "vos", "votre", "vous", "y", "été", "étais", "était", "suis", "es",
    "sommes", "êtes", "ai", "as", "avons", "avez", "avait", "aurai", "fait", "faire", "plus",
    "très", "trop", "bien", "aussi", "alors", "donc", "car", "si", "comme", "quand", "comment",
    "pourquoi", "quoi", "tout", "tous", "toute", "toutes", "encore", "depuis", "chez", "sans",
    "sous", "entre", "vers", "l", "d", "c", "m", "n", "s", "t", "bonjour", "merci", "svp", "jai",
];

/// English stop words, plus contractions once their apostrophe is gone
/// ("won't" → "wont").
pub const ENGLISH_STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "been", "being", "but", "by", "can", "cant",
    "could", "did", "didnt", "do", "does", "doesnt", "dont", "for", "from", "had", "has", "have",
    "he", "her", "here", "him", "his", "how", "i", "if", "im", "in", "into", "is", "isnt", "it",
    "its", "ive", "just", "me", "my", "myself", "no", "nor", "not", "of", "off", "on", "or", "our",
    "ours", "out", "over", "really", "she", "should", "so", "some", "such", "than", "that", "the",
    "their", "them", "then", "there", "these", "they", "this", "those", "to", "too", "up", "us",
    "very", "was", "wasnt", "we", "were", "what", "when", "where", "which", "while", "who", "why",
    "will", "with", "wont", "would", "you", "your", "yours", "hello", "hi", "please", "thanks",
    "still", "any", "all", "again", "get", "got",
];

/// Accent folding for the stop lists, so they compare with folded tokens.
fn fold(word: &str) -> String {
    word.chars()
        .map(|c| match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            other => other,
        })
        .collect()
}

fn stop_list(words: &[&str]) -> Vec<String> {
    let set: HashSet<String> = words.iter().map(|w| fold(w)).collect();
    set.into_iter().collect()
}

/// The French analyser: word tokens, long-token removal, lower case, elision,
/// accent folding, stop words, Snowball French stemming.
pub fn french() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer)
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(ApostropheFilter::elision())
        .filter(AsciiFoldingFilter)
        .filter(StopWordFilter::remove(stop_list(FRENCH_STOP_WORDS)))
        .filter(Stemmer::new(StemLanguage::French))
        .build()
}

/// The English analyser: as the French one, with possessive removal instead of
/// elision, English stop words and Snowball English stemming.
pub fn english() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer)
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(ApostropheFilter::possessive())
        .filter(AsciiFoldingFilter)
        .filter(StopWordFilter::remove(stop_list(ENGLISH_STOP_WORDS)))
        .filter(Stemmer::new(StemLanguage::English))
        .build()
}

/// The analyser for a language.
pub fn for_language(language: Language) -> TextAnalyzer {
    match language {
        Language::Fr => french(),
        Language::En => english(),
    }
}

/// One analysed token of a query, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyzedToken {
    /// The term as indexed (folded, stemmed).
    pub term: String,
    /// Position in the token stream; stop words leave gaps, which phrase
    /// queries keep so that "mot de passe" matches only "mot de passe".
    pub position: usize,
    /// Characters of the word as the user typed it (drives typo distance).
    pub raw_chars: usize,
    /// Byte offset just past the word in the analysed text.
    pub offset_to: usize,
}

/// Runs `analyzer` over `text`. Analysers are cheap to clone (their filters
/// share state through `Arc`s), and tantivy needs `&mut` to tokenize.
pub fn analyze(analyzer: &TextAnalyzer, text: &str) -> Vec<AnalyzedToken> {
    let mut analyzer = analyzer.clone();
    let mut stream = analyzer.token_stream(text);
    let mut tokens = Vec::new();
    while stream.advance() {
        let token = stream.token();
        let raw = text.get(token.offset_from..token.offset_to).unwrap_or("");
        tokens.push(AnalyzedToken {
            term: token.text.clone(),
            position: token.position,
            raw_chars: raw.chars().count(),
            offset_to: token.offset_to,
        });
    }
    tokens
}

/// Both analysers, built once and shared.
#[derive(Clone)]
pub struct Analyzers {
    french: Arc<TextAnalyzer>,
    english: Arc<TextAnalyzer>,
}

impl Default for Analyzers {
    fn default() -> Self {
        Analyzers {
            french: Arc::new(french()),
            english: Arc::new(english()),
        }
    }
}

impl Analyzers {
    /// The analyser for `language`.
    pub fn get(&self, language: Language) -> &TextAnalyzer {
        match language {
            Language::Fr => &self.french,
            Language::En => &self.english,
        }
    }

    /// Analyses `text` as `language`.
    pub fn analyze(&self, language: Language, text: &str) -> Vec<AnalyzedToken> {
        analyze(self.get(language), text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(language: Language, text: &str) -> Vec<String> {
        Analyzers::default()
            .analyze(language, text)
            .into_iter()
            .map(|t| t.term)
            .collect()
    }

    #[test]
    fn tokenizer_keeps_inner_apostrophes_only() {
        let mut tokenizer = WordTokenizer;
        let mut stream = tokenizer.token_stream("l’abonnement 'cité' aujourd'hui rock'n'roll x'");
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        assert_eq!(
            out,
            vec!["l'abonnement", "cité", "aujourd'hui", "rock'n'roll", "x"]
        );
    }

    #[test]
    fn tokenizer_offsets_point_at_the_raw_word() {
        let text = "Écran  l’été";
        let mut tokenizer = WordTokenizer;
        let mut stream = tokenizer.token_stream(text);
        let mut spans = Vec::new();
        while stream.advance() {
            let t = stream.token();
            spans.push((&text[t.offset_from..t.offset_to], t.position));
        }
        assert_eq!(spans, vec![("Écran", 0), ("l’été", 1)]);
    }

    #[test]
    fn french_accents_and_no_accents_meet() {
        assert_eq!(
            terms(Language::Fr, "électricité"),
            terms(Language::Fr, "electricite")
        );
        assert_eq!(
            terms(Language::Fr, "problèmes"),
            terms(Language::Fr, "probleme")
        );
        assert_eq!(
            terms(Language::Fr, "Réfrigérateur"),
            terms(Language::Fr, "refrigerateur")
        );
    }

    #[test]
    fn french_elision_and_plural_meet() {
        assert_eq!(
            terms(Language::Fr, "l'abonnement"),
            terms(Language::Fr, "abonnements")
        );
        assert_eq!(
            terms(Language::Fr, "L’ABONNEMENT"),
            terms(Language::Fr, "abonnement")
        );
        for elided in [
            "d'internet",
            "qu'internet",
            "jusqu'internet",
            "lorsqu'internet",
            "puisqu'internet",
            "n'internet",
            "s'internet",
            "c'internet",
            "j'internet",
            "t'internet",
            "m'internet",
        ] {
            assert_eq!(
                terms(Language::Fr, elided),
                terms(Language::Fr, "internet"),
                "{elided}"
            );
        }
    }

    #[test]
    fn french_stop_words_are_removed() {
        assert_eq!(
            terms(Language::Fr, "ça ne marche pas du tout"),
            terms(Language::Fr, "marche")
        );
        assert!(terms(Language::Fr, "le la les de des à").is_empty());
    }

    #[test]
    fn english_possessive_stop_words_and_stemming() {
        assert_eq!(
            terms(Language::En, "router's lights"),
            terms(Language::En, "router light")
        );
        assert_eq!(
            terms(Language::En, "it won't connect"),
            terms(Language::En, "connecting")
        );
        assert_eq!(
            terms(Language::En, "Draining"),
            terms(Language::En, "drains")
        );
    }

    #[test]
    fn positions_keep_stop_word_gaps() {
        let tokens = Analyzers::default().analyze(Language::Fr, "mot de passe");
        let positions: Vec<usize> = tokens.iter().map(|t| t.position).collect();
        assert_eq!(positions, vec![0, 2]);
    }

    #[test]
    fn over_long_tokens_are_dropped() {
        let blob = "a".repeat(200);
        assert_eq!(
            terms(Language::En, &format!("modem {blob}")),
            terms(Language::En, "modem")
        );
    }
}
