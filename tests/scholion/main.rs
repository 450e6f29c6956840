//! The one integration test binary: real projects built by the real `scholion` binary,
//! output parsed and its links followed.

mod architecture;
mod authoring;
mod citations;
mod cite;
mod companion;
mod edition;
mod escaping;
mod first_hour;
mod foundation;
mod fuzz;
mod glossary;
mod guide;
mod hostile;
mod hostile_input;
mod markdown_syntax;
mod oracle;
mod preview;
mod publish;
mod reader;
mod release;
mod routes;
mod serve;
mod support;
