//! The channels' rules that need no network: how an inbound e-mail is
//! classified and threaded, how outbound replies are addressed, and how a
//! connector's webhook is authenticated and what it may post. The server's receivers and senders
//! (SMTP, IMAP, HTTP) call these and keep the I/O to themselves.

pub mod chat;
pub mod html;
pub mod letter;
pub mod mail;
pub mod mime;
pub mod retry;
pub mod signature;
pub mod social;
pub mod voice;
