//! HTTP-level tests: the real server on a random port against a fresh
//! database, on SQLite always and on PostgreSQL when PLATEAU_TEST_DATABASE_URL
//! is set. One binary with modules, to link once on two cores.

#![allow(clippy::unwrap_used)] // a panic is how a test reports

mod helpers;

mod auth;
mod bad_input;
mod callbacks;
mod chat;
mod conversations;
mod cti;
mod customers_merge;
mod directory;
mod escalation;
mod forum;
mod forum_ui;
mod indexer;
mod knowledge;
mod knowledge_ui;
mod letters;
mod mail_corpus;
mod mail_imap;
mod mail_in;
mod mail_out;
mod presence;
mod realtime;
mod roles;
mod router_service;
mod routing;
mod search;
mod sites;
mod sla;
mod staffing;
mod trees;
mod ui;
mod wallboard;
mod webhooks;
