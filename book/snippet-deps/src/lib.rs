//! Nothing here: this crate only exists so that its dependencies get built for the
//! book's snippets. See `xtask/src/book.rs`.
