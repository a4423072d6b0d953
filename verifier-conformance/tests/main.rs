//! The conformance runner end to end: the catalog played over real HTTP against verifiers on
//! 127.0.0.1 (ours, deliberately broken ones, recording ones), and what its reports say.

mod support;

mod baseline;
mod batching;
mod classes;
mod html;
mod isolation;
mod matrix;
