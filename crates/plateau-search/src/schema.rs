//! The tantivy schema: which field holds what, how it is analysed, and how a
//! [`SearchDocument`] becomes a tantivy document.

use tantivy::schema::Facet;
use tantivy::schema::{
    FacetOptions, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED,
    STORED, STRING,
};
use tantivy::TantivyDocument;

use crate::analysis::{ENGLISH, FRENCH};
use crate::document::{Language, SearchDocument};

/// The three searchable parts of a document, in one language.
#[derive(Debug, Clone, Copy)]
pub struct TextFields {
    pub title: Field,
    /// KCS issue + environment + tags: the customer's words.
    pub symptom: Field,
    /// KCS resolution + cause, or the free text of a message.
    pub answer: Field,
}

impl TextFields {
    /// Each field with its ranking weight. The title says what the article is
    /// about; the symptom is how customers describe it, which is what they
    /// type; the answer is long and full of generic steps ("restart the box").
    pub fn weighted(&self) -> [(Field, f32); 3] {
        [(self.title, 2.5), (self.symptom, 1.5), (self.answer, 1.0)]
    }
}

/// Handles on every field of the schema.
#[derive(Debug, Clone)]
pub struct Fields {
    /// "tenant/id": the unit of upsert and delete.
    pub key: Field,
    pub tenant: Field,
    pub id: Field,
    pub parent: Field,
    /// Hierarchical facets: /kind/x, /language/x, /product/x, /state/x,
    /// /audience/x, /tag/x. Filters are term queries on these; facet counts
    /// come from the same field.
    pub facets: Field,
    pub kind: Field,
    pub language: Field,
    pub product: Field,
    pub state: Field,
    pub audience: Field,
    pub tags: Field,
    pub title: Field,
    pub text: Field,
    /// 0 archived, 1 wip, 2 not validated or not an article, 3 validated.
    pub state_rank: Field,
    pub reuse_count: Field,
    pub updated_at: Field,
    pub fr: TextFields,
    pub en: TextFields,
}

impl Fields {
    /// The searchable fields of a language.
    pub fn text(&self, language: Language) -> &TextFields {
        match language {
            Language::Fr => &self.fr,
            Language::En => &self.en,
        }
    }
}

fn analysed(tokenizer: &str) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    )
}

/// Builds the schema and its field handles.
pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let stored = TextOptions::default().set_stored();
    let mut text_fields = |lang: &str, tokenizer: &str| TextFields {
        title: b.add_text_field(&format!("title_{lang}"), analysed(tokenizer)),
        symptom: b.add_text_field(&format!("symptom_{lang}"), analysed(tokenizer)),
        answer: b.add_text_field(&format!("answer_{lang}"), analysed(tokenizer)),
    };
    let fr = text_fields("fr", FRENCH);
    let en = text_fields("en", ENGLISH);
    let fields = Fields {
        key: b.add_text_field("key", STRING),
        tenant: b.add_text_field("tenant_id", STRING),
        id: b.add_text_field("id", STRING | STORED),
        parent: b.add_text_field("parent_id", stored.clone()),
        facets: b.add_facet_field("facets", FacetOptions::default()),
        kind: b.add_text_field("kind", stored.clone()),
        language: b.add_text_field("language", stored.clone()),
        product: b.add_text_field("product", stored.clone()),
        state: b.add_text_field("state", stored.clone()),
        audience: b.add_text_field("audience", stored.clone()),
        tags: b.add_text_field("tags", stored.clone()),
        title: b.add_text_field("title", stored.clone()),
        text: b.add_text_field("text", stored),
        state_rank: b.add_u64_field("state_rank", FAST),
        reuse_count: b.add_u64_field("reuse_count", FAST | STORED),
        updated_at: b.add_i64_field("updated_at", FAST | STORED | INDEXED),
        fr,
        en,
    };
    (b.build(), fields)
}

/// The upsert key of a document.
pub fn key(tenant: uuid::Uuid, id: uuid::Uuid) -> String {
    format!("{tenant}/{id}")
}

/// A facet value. Facet components cannot hold the separator byte; the values
/// we store are codes, product slugs and tags, so dropping it loses nothing.
pub fn facet(dimension: &str, value: &str) -> Facet {
    let clean: String = value.chars().filter(|c| *c != '\0').collect();
    Facet::from_path([dimension, clean.trim()])
}

/// Whether a facet value is worth storing (an empty tag is not).
fn has_value(value: &str) -> bool {
    !value.trim().is_empty()
}

/// Converts a [`SearchDocument`] into a tantivy document.
pub fn to_tantivy(fields: &Fields, doc: &SearchDocument) -> TantivyDocument {
    let mut d = TantivyDocument::new();
    d.add_text(fields.key, key(doc.tenant_id, doc.id));
    d.add_text(fields.tenant, doc.tenant_id.to_string());
    d.add_text(fields.id, doc.id.to_string());
    if let Some(parent) = doc.parent_id {
        d.add_text(fields.parent, parent.to_string());
    }

    d.add_facet(fields.facets, facet("kind", doc.kind.code()));
    d.add_facet(fields.facets, facet("language", doc.language.code()));
    d.add_text(fields.kind, doc.kind.code());
    d.add_text(fields.language, doc.language.code());
    if let Some(product) = doc.product.as_deref().filter(|p| has_value(p)) {
        d.add_facet(fields.facets, facet("product", product));
        d.add_text(fields.product, product);
    }
    if let Some(state) = doc.state {
        d.add_facet(fields.facets, facet("state", state.code()));
        d.add_text(fields.state, state.code());
    }
    if let Some(audience) = doc.audience {
        d.add_facet(fields.facets, facet("audience", audience.code()));
        d.add_text(fields.audience, audience.code());
    }
    for tag in doc.tags.iter().filter(|t| has_value(t)) {
        d.add_facet(fields.facets, facet("tag", tag));
        d.add_text(fields.tags, tag);
    }

    let text = fields.text(doc.language);
    d.add_text(text.title, &doc.title);
    d.add_text(text.symptom, doc.symptom_text());
    d.add_text(text.answer, doc.answer_text());
    d.add_text(fields.title, &doc.title);
    d.add_text(fields.text, doc.display_text());

    let rank = match doc.state {
        Some(crate::document::ArticleState::Archived) => 0,
        Some(crate::document::ArticleState::Wip) => 1,
        Some(crate::document::ArticleState::Validated) => 3,
        Some(crate::document::ArticleState::NotValidated) | None => 2,
    };
    d.add_u64(fields.state_rank, rank);
    d.add_u64(fields.reuse_count, doc.reuse_count);
    d.add_i64(fields.updated_at, doc.updated_at);
    d
}
